/** Every `gen` sub-command. A new command is one module and one line here. */
import type { CliCommand } from './common.js';
import { diffCommand } from './diff.js';
import { dlqCommand } from './dlq.js';
import { docsCommand } from './docs.js';
import { eventsCommand } from './events.js';
import { topicsCommand } from './topics.js';

export const COMMANDS: CliCommand[] = [eventsCommand, topicsCommand, diffCommand, docsCommand, dlqCommand];

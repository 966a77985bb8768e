/** Every `gen` sub-command. A new command is one module and one line here. */
import type { CliCommand } from './common.js';
import { diffCommand } from './diff.js';
import { eventsCommand } from './events.js';

export const COMMANDS: CliCommand[] = [eventsCommand, diffCommand];

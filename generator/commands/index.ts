/** Every `gen` sub-command. A new command is one module, one line in list.ts and one line here. */
import type { CliCommand } from './common.js';
import { COMMAND_LIST } from './list.js';

export interface LazyCommand {
  name: keyof typeof COMMAND_LIST;
  command: string;
  describe: string;
  /** The command's module: loaded only when the command line names it. */
  load(): Promise<CliCommand>;
}

const lazy = (name: keyof typeof COMMAND_LIST, load: () => Promise<CliCommand>): LazyCommand => ({ name, ...COMMAND_LIST[name], load });

export const COMMANDS: LazyCommand[] = [
  lazy('events', async () => (await import('./events.js')).eventsCommand),
  lazy('topics', async () => (await import('./topics.js')).topicsCommand),
  lazy('diff', async () => (await import('./diff.js')).diffCommand),
  lazy('docs', async () => (await import('./docs.js')).docsCommand),
  lazy('schemas', async () => (await import('./schemas.js')).schemasCommand),
  lazy('dlq', async () => (await import('./dlq.js')).dlqCommand),
];

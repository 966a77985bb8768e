/**
 * `gen`: the command line. Exit codes: 0 ok, 1 drift / invalid catalog / write conflict, 2 usage error.
 */
import yargs from 'yargs';
import { COMMANDS } from './commands/index.js';
import { UsageError, type Io } from './commands/common.js';
import { eventgenVersion } from './index.js';
import { WriteError } from './write/index.js';

export type { Io } from './commands/common.js';
export { formatDiagnostic, readConfig } from './commands/common.js';

const camel = (k: string): string => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Run the CLI; resolves to the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  let code = 0;
  let usage: string | undefined;
  let parser = yargs(argv)
    .scriptName('gen')
    .usage('$0 <command> [options]')
    .version(eventgenVersion())
    .strict()
    .exitProcess(false)
    .fail((msg, err) => {
      usage = msg || err?.message || 'usage error';
    });
  // Only the modules of commands the command line names are loaded; the others are listed by name for --help.
  const named = new Set(argv);
  const loaded = await Promise.all(COMMANDS.map(async (c) => (named.has(c.name) ? await c.load() : undefined)));
  for (const [i, lazy] of COMMANDS.entries()) {
    const cmd = loaded[i];
    if (!cmd) {
      parser = parser.command(lazy.command, lazy.describe, (y) => y, () => {
        throw new UsageError(`cannot run ${lazy.name} here`); // unreachable: a named command is loaded
      });
      continue;
    }
    parser = parser.command(
      cmd.command,
      cmd.describe,
      (y) => {
        let b = y.strict().options(cmd.options);
        for (const [ex, what] of cmd.examples ?? []) b = b.example(ex, what);
        return b;
      },
      async (a) => {
        // yargs' strict mode reports unknown options only after the handler ran: refuse them first.
        const known = new Set(['_', '$0', 'help', 'version', ...(cmd.positionals ?? [])]);
        for (const k of Object.keys(cmd.options)) known.add(k).add(camel(k));
        const unknown = Object.keys(a).filter((k) => !known.has(k));
        if (unknown.length) throw new UsageError(`unknown option${unknown.length > 1 ? 's' : ''}: ${unknown.map((k) => (k.length > 1 ? '--' : '-') + k).join(', ')}`);
        if (a._.length > 1) throw new UsageError(`unexpected argument: ${String(a._[1])}`);
        code = await cmd.run(a as Record<string, unknown>, io);
      },
    );
  }
  parser = parser
    .demandCommand(1, 'name a command, e.g. `gen events`')
    .help()
    .wrap(Math.min(100, process.stdout.columns || 100));
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof UsageError) usage = err.message;
    else if (err instanceof WriteError) {
      io.err(`${err.path}  error  write-refused  ${err.message}`);
      return 1;
    } else if (!usage) throw err;
  }
  if (usage) {
    io.err(`gen: ${usage}\nRun \`gen --help\` for usage.`);
    return 2;
  }
  return code;
}

/** Entry point used by `bin/gen.js` (`cacheMissed`: its fast path consulted the cache of `gen events` already). */
export async function run(options: { cacheMissed?: boolean } = {}): Promise<void> {
  const color = !process.env.NO_COLOR && process.stderr.isTTY === true;
  const io: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n'), cwd: process.cwd(), color };
  if (options.cacheMissed) io.cacheMissed = true;
  try {
    process.exitCode = await main(process.argv.slice(2), io);
  } catch (err) {
    io.err(`gen: internal error (please report): ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  }
}

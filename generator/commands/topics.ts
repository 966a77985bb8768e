/**
 * `gen topics [plan|apply|check]`: provision the catalog's topics on a live cluster. The engine is the
 * runtime's `topics-admin.ts` (the same code the generated `scripts/topics.ts` runs); this command only
 * loads the catalog and builds the topology from the model.
 */
import { runTopicsCommand, type TopicsAction, type TopicsCommandOptions } from '../../templates/runtime/topics-admin.js';
import { loadModel } from '../index.js';
import { catalogTopology } from '../topics/topology.js';
import { LENIENT_OPTION, paint, printDiagnostics, resolveCatalog, resolveLenient, UsageError, type CliCommand, type Io } from './common.js';
import { COMMAND_LIST } from './list.js';

const ACTIONS: readonly TopicsAction[] = ['plan', 'apply', 'check'];

async function runTopics(args: Record<string, unknown>, io: Io): Promise<number> {
  const action = args.action === undefined ? 'plan' : String(args.action);
  const known = ACTIONS.find((a) => a === action);
  if (!known) throw new UsageError(`unknown topics action "${action}" (plan, apply or check)`);
  const catalog = resolveCatalog(args.catalog, io.cwd);
  const result = await loadModel(catalog, { cwd: io.cwd, lenient: resolveLenient(args.lenient, io.cwd) });
  const errors = printDiagnostics(result.diagnostics, io, args.verbose === true);
  if (errors || !result.catalog) {
    io.err(paint(io, '31', `gen topics: ${catalog} has ${errors} error${errors === 1 ? '' : 's'}; nothing was done`));
    return 1;
  }
  const options: TopicsCommandOptions = {
    action: known,
    json: args.json === true,
    removeUndeclaredConfigs: args['remove-undeclared-configs'] === true,
    allOrNothing: args['all-or-nothing'] === true,
    ...(typeof args.env === 'string' ? { environment: args.env } : {}),
    ...(typeof args.brokers === 'string' ? { brokers: args.brokers } : {}),
  };
  return runTopicsCommand(catalogTopology(result.catalog), options, { out: io.out, err: io.err, env: process.env });
}

export const topicsCommand: CliCommand = {
  command: COMMAND_LIST.topics.command,
  describe: COMMAND_LIST.topics.describe,
  positionals: ['action'],
  options: {
    catalog: { type: 'string', describe: 'AsyncAPI catalog file (YAML or JSON)' },
    env: { type: 'string', describe: 'Apply this x-environments name\'s overrides' },
    brokers: { type: 'string', describe: 'Bootstrap brokers host:port[,...] (default: KAFKA_BROKERS)' },
    json: { type: 'boolean', default: false, describe: 'Print a JSON report (for CI)' },
    'remove-undeclared-configs': { type: 'boolean', default: false, describe: 'apply: remove topic config overrides the catalog does not declare' },
    'all-or-nothing': { type: 'boolean', default: false, describe: 'apply: change nothing when a difference cannot be fixed (default: apply the rest, exit 1)' },
    verbose: { type: 'boolean', default: false, describe: 'Show info diagnostics' },
    lenient: LENIENT_OPTION,
  },
  examples: [
    ['$0 topics plan --brokers localhost:9092', 'show how the cluster differs from the catalog'],
    ['$0 topics apply --env production', 'create missing topics, add partitions, set configs'],
    ['$0 topics check --json', 'exit 1 on drift (CI)'],
  ],
  run: runTopics,
};

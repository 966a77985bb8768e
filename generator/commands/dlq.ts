/**
 * `gen dlq list|show|replay|purge`: inspect and act on dead-letter topics. Which topics: `--topic` (repeatable),
 * else every dead-letter topic the catalog implies that exists on the cluster. Connection as `gen topics`
 * (`--brokers`, KAFKA_BROKERS, SASL/TLS from the environment). Exit codes: 0 ok, 1 cluster/catalog failure,
 * 2 usage error (bad flag or filter, unknown topic, refused purge).
 */
import { createInterface } from 'node:readline/promises';
import { decodeDeadLetter } from '../../templates/runtime/dead-letter-record.js';
import { KafkaConfigError } from '../../templates/runtime/config.js';
import { topicsConnectionFromEnv, type TopicsConnection } from '../../templates/runtime/topics-admin.js';
import {
  applyPurge,
  describeRecord,
  DlqSession,
  DlqUsageError,
  emptyFilter,
  fetchOne,
  formatRecord,
  formatSummary,
  makeFilter,
  planPurge,
  replay,
  summarize,
  type DlqFilter,
  type ReplayReport,
} from '../dlq/engine.js';
import { loadModel } from '../index.js';
import { topicSpecs } from '../topics/topology.js';
import { LENIENT_OPTION, paint, printDiagnostics, resolveCatalog, resolveLenient, UsageError, type CliCommand, type Io } from './common.js';
import { COMMAND_LIST } from './list.js';

const ACTIONS = ['list', 'show', 'replay', 'purge'] as const;
type Action = (typeof ACTIONS)[number];

const list = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean));
const str = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));

function positiveInt(v: unknown, flag: string, allowZero = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new UsageError(`${flag} must be a${allowZero ? ' non-negative' : ' positive'} integer (got "${String(v)}")`);
  return n;
}

/** `--rate 500` or `--rate 500/s`. */
function parseRate(v: unknown): number {
  if (v === undefined) return 0;
  const m = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(String(v).trim());
  if (!m || Number(m[1]) <= 0) throw new UsageError(`--rate must be records per second, e.g. 100 or 100/s (got "${String(v)}")`);
  return Number(m[1]);
}

/** The DLQ topics to work on: `--topic`, else the catalog's dead-letter topics that exist on the cluster. */
async function resolveTopics(args: Record<string, unknown>, io: Io, session: DlqSession): Promise<string[] | number> {
  const given = list(args.topic);
  if (given.length) {
    const existing = await session.existing(given);
    const missing = given.filter((t) => !existing.has(t));
    if (missing.length) throw new DlqUsageError(`no such topic on the cluster: ${missing.join(', ')}`);
    return given;
  }
  const catalog = resolveCatalog(args.catalog, io.cwd);
  const result = await loadModel(catalog, { cwd: io.cwd, lenient: resolveLenient(args.lenient, io.cwd) });
  const errors = printDiagnostics(result.diagnostics, io, args.verbose === true);
  if (errors || !result.catalog) {
    io.err(paint(io, '31', `gen dlq: ${catalog} has ${errors} error${errors === 1 ? '' : 's'}; nothing was done`));
    return 1;
  }
  const names = topicSpecs(result.catalog).filter((s) => s.deadLetterFor !== undefined).map((s) => s.name);
  const existing = await session.existing(names);
  const found = names.filter((n) => existing.has(n));
  if (!found.length) io.err(`gen dlq: none of the ${names.length} dead-letter topic${names.length === 1 ? '' : 's'} of ${catalog} exist${names.length === 1 ? 's' : ''} on the cluster${names.length ? ` (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''})` : ''}`);
  return found;
}

function filterFrom(args: Record<string, unknown>): DlqFilter {
  return makeFilter({
    eventTypes: list(args['event-type']),
    reasons: list(args.reason),
    groups: list(args.group),
    eventIds: list(args['event-id']),
    ...(args.since !== undefined ? { since: String(args.since) } : {}),
    ...(args.until !== undefined ? { until: String(args.until) } : {}),
  });
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function runDlq(args: Record<string, unknown>, io: Io): Promise<number> {
  const action = String(args.action ?? 'list');
  const known = ACTIONS.find((a) => a === action);
  if (!known) throw new UsageError(`unknown dlq action "${action}" (list, show, replay or purge)`);
  let filter: DlqFilter;
  let connection: TopicsConnection;
  try {
    filter = filterFrom(args);
    connection = topicsConnectionFromEnv(process.env, str(args.brokers));
  } catch (err) {
    if (err instanceof DlqUsageError || err instanceof KafkaConfigError) throw new UsageError(err.message);
    throw err;
  }
  if (known === 'show') {
    if (args.topic === undefined || args.partition === undefined || args.offset === undefined) throw new UsageError('usage: gen dlq show <topic> <partition> <offset>');
    if (!/^\d+$/.test(String(args.partition)) || !/^\d+$/.test(String(args.offset))) throw new UsageError(`partition and offset must be non-negative integers (got ${String(args.partition)} ${String(args.offset)})`);
  } else if (args.partition !== undefined) throw new UsageError(`unexpected argument: ${String(args.partition)}`);
  let session: DlqSession | undefined;
  try {
    try {
      session = await DlqSession.connect(connection.config);
    } catch (err) {
      io.err(`gen dlq: cannot reach the cluster (${connection.summary}): ${(err as Error).message}`);
      return 1;
    }
    return await act(known, args, io, session, filter, connection);
  } catch (err) {
    if (err instanceof DlqUsageError) {
      io.err(`gen dlq ${known}: ${err.message}`);
      return 2;
    }
    if (err instanceof UsageError) throw err;
    io.err(`gen dlq ${known}: failed against ${connection.summary}: ${(err as Error).message}`);
    return 1;
  } finally {
    await session?.close();
  }
}

async function act(action: Action, args: Record<string, unknown>, io: Io, session: DlqSession, filter: DlqFilter, connection: TopicsConnection): Promise<number> {
  const json = args.json === true;
  if (action === 'show') {
    const topic = list(args.topic)[0] ?? '';
    if (!(await session.existing([topic])).has(topic)) throw new DlqUsageError(`no such topic on the cluster: ${topic}`);
    const r = decodeDeadLetter(await fetchOne(session, topic, Number(args.partition), BigInt(String(args.offset))));
    io.out(json ? JSON.stringify(describeRecord(r), null, 2) : formatRecord(r));
    return 0;
  }
  const topics = await resolveTopics(args, io, session);
  if (typeof topics === 'number') return topics;

  if (action === 'list') {
    const summaries = [];
    for (const t of topics) summaries.push(await summarize(session, t, filter));
    if (json) io.out(JSON.stringify({ brokers: connection.summary, topics: summaries }, null, 2));
    else {
      for (const s of summaries) io.out(formatSummary(s));
      io.out(`dlq: ${summaries.reduce((n, s) => n + s.total, 0)} dead letters in ${summaries.length} topic${summaries.length === 1 ? '' : 's'} (${connection.summary})`);
    }
    return summaries.some((s) => !s.complete) ? 1 : 0;
  }

  if (action === 'replay') {
    const maxReplays = positiveInt(args['max-replays'], '--max-replays') ?? 3;
    const limit = positiveInt(args.limit, '--limit');
    const batch = positiveInt(args.batch, '--batch') ?? 100;
    const rate = parseRate(args.rate);
    const to = str(args.to);
    const dryRun = args['dry-run'] === true;
    if (str(args['replay-group']) !== undefined && topics.length > 1) throw new UsageError('--replay-group names one progress group: use it with a single --topic');
    // Ctrl-C: finish the batch in flight, commit, stop (a second Ctrl-C exits at once).
    const controller = new AbortController();
    const onSigint = (): void => {
      if (controller.signal.aborted) process.exit(130);
      io.err('gen dlq replay: stopping after the batch in flight (Ctrl-C again to exit now)');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    io.signal?.addEventListener('abort', () => controller.abort(), { once: true });
    const reports: ReplayReport[] = [];
    try {
      for (const t of topics) {
        const report = await replay(session, t, {
          filter,
          ...(to !== undefined ? { to } : {}),
          ...(str(args['replay-group']) !== undefined ? { replayGroup: str(args['replay-group']) } : {}),
          maxReplays,
          rate,
          batch,
          ...(limit !== undefined ? { limit: limit - reports.reduce((n, r) => n + r.replayed, 0) } : {}),
          dryRun,
          signal: controller.signal,
          onRecord: (r, what, target) => {
            if (!dryRun && what === 'replay') return;
            const where = `${r.topic}:${r.partition}:${r.offset}`;
            const ev = `${r.eventType ?? '?'} ${r.eventId ?? '?'}`;
            if (what === 'replay') io.out(`would replay ${where}  ${ev}  -> ${target ?? '?'}`);
            else if (what === 'loop-guard') io.err(`skip ${where}  ${ev}: replayed ${r.replayCount} times already (--max-replays ${maxReplays})`);
            else io.err(`skip ${where}  ${ev}: ${target === undefined ? 'no dlq-original-topic header (use --to)' : `target topic ${target} does not exist`}`);
          },
        });
        reports.push(report);
        if (report.stopped !== 'done') break;
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
    if (json) io.out(JSON.stringify({ brokers: connection.summary, replays: reports }, null, 2));
    for (const r of reports) {
      const targets = Object.entries(r.byTarget).map(([t, n]) => `${n} to ${t}`).join(', ');
      const skipped = r.loopGuard.length + r.noTarget.length;
      const tail = r.stopped === 'limit' ? '; stopped at --limit, rerun to continue' : r.stopped === 'interrupted' ? '; interrupted, rerun to continue' : r.stopped === 'idle' ? '; no records arrived for 20 s before the end (another replay in the same group?), rerun to continue' : '';
      const line = `dlq replay ${r.topic}: ${dryRun ? 'would replay' : 'replayed'} ${r.replayed} of ${r.matched} matching (${r.scanned} read${targets ? `; ${targets}` : ''}${skipped ? `; skipped ${r.loopGuard.length} at the loop guard, ${r.noTarget.length} without a target` : ''})${dryRun ? '' : `, progress in group ${r.replayGroup}`}${tail}`;
      (json ? io.err : io.out)(line);
    }
    return reports.some((r) => r.stopped === 'idle') ? 1 : 0;
  }

  // purge
  const dryRun = args['dry-run'] === true;
  const { until, ...rest } = filter;
  if (!emptyFilter({ ...rest, eventTypes: rest.eventTypes, reasons: rest.reasons, groups: rest.groups, eventIds: rest.eventIds })) {
    throw new DlqUsageError(
      'purge accepts no filter but --until: Kafka cannot delete single records, only everything before an offset (deleteRecords). ' +
        'Replay or inspect the records you mean with filters; purge everything, or everything that failed before a time with --until.',
    );
  }
  const plans = [];
  for (const t of topics) plans.push(await planPurge(session, t, until));
  const total = plans.reduce((n, p) => n + p.records, 0n);
  for (const p of plans) io.out(`${p.topic}: ${p.records} record${p.records === 1n ? '' : 's'} to delete${until ? ` (written before ${until.toISOString()})` : ''}${p.partitions.filter((x) => x.records !== '0').map((x) => `\n  partition ${x.partition}: offsets ${x.low}..${BigInt(x.to) - 1n}`).join('')}`);
  if (dryRun || total === 0n) {
    io.out(`dlq purge: ${dryRun ? 'would delete' : 'nothing to delete:'} ${total} record${total === 1n ? '' : 's'}`);
    return 0;
  }
  if (args.yes !== true) {
    if (!process.stdin.isTTY) throw new DlqUsageError(`refusing to delete ${total} records without confirmation: pass --yes`);
    if (!(await confirm(`delete ${total} dead letter${total === 1n ? '' : 's'} from ${plans.map((p) => p.topic).join(', ')}?`))) {
      io.err('dlq purge: nothing deleted');
      return 1;
    }
  }
  for (const p of plans) await applyPurge(session, p);
  io.out(`dlq purge: deleted ${total} record${total === 1n ? '' : 's'} (${connection.summary})`);
  return 0;
}

const FILTERS = {
  'event-type': { type: 'string', array: true, describe: 'Only these event types (repeatable; `order.*` matches a prefix)' },
  reason: { type: 'string', array: true, describe: 'Only these dead-letter reasons (decode, envelope, validation, unknown-event-type, version, handler-non-retriable, retries-exhausted)' },
  group: { type: 'string', array: true, describe: 'Only records failed by this consumer group (dlq-consumer-group)' },
  'event-id': { type: 'string', array: true, describe: 'Only these eventIds' },
  since: { type: 'string', describe: 'Failed at or after: ISO time or a duration ago (30m, 2h, 7d)' },
  until: { type: 'string', describe: 'Failed before: ISO time or a duration ago' },
} as const;

export const dlqCommand: CliCommand = {
  command: COMMAND_LIST.dlq.command,
  describe: COMMAND_LIST.dlq.describe,
  positionals: ['action', 'topic', 'partition', 'offset'],
  options: {
    catalog: { type: 'string', describe: 'AsyncAPI catalog file: its dead-letter topics are the default' },
    topic: { type: 'string', array: true, describe: 'A dead-letter topic (repeatable; default: the catalog\'s that exist)' },
    brokers: { type: 'string', describe: 'Bootstrap brokers host:port[,...] (default: KAFKA_BROKERS)' },
    json: { type: 'boolean', default: false, describe: 'Print JSON (list, show, replay)' },
    ...FILTERS,
    to: { type: 'string', describe: 'replay: write to this topic instead of each record\'s original topic' },
    'replay-group': { type: 'string', describe: 'replay: consumer group holding the progress (default eventgen-dlq-replay-<dlq topic>[-<filter hash>])' },
    'max-replays': { type: 'number', describe: 'replay: loop guard, skip records already replayed this many times (default 3)' },
    rate: { type: 'string', describe: 'replay: at most this many records per second, e.g. 100/s' },
    batch: { type: 'number', describe: 'replay: records per produced batch; progress is committed after each (default 100)' },
    limit: { type: 'number', describe: 'replay: stop after this many records (progress kept; rerun to continue)' },
    'dry-run': { type: 'boolean', default: false, describe: 'replay, purge: print what would happen, change nothing' },
    yes: { type: 'boolean', default: false, describe: 'purge: do not ask for confirmation' },
    verbose: { type: 'boolean', default: false, describe: 'Show info diagnostics' },
    lenient: LENIENT_OPTION,
  },
  examples: [
    ['$0 dlq list', 'count the dead letters of the catalog\'s DLQ topics by event type, reason, group and age'],
    ['$0 dlq show orders.dlq 0 42', 'one dead letter: failure, envelope, payload, stack'],
    ['$0 dlq replay --topic orders.dlq --reason retries-exhausted --since 2h --rate 100/s', 'replay to the original topic'],
    ['$0 dlq purge --topic orders.dlq --until 7d --yes', 'delete the dead letters written more than 7 days ago'],
  ],
  run: runDlq,
};

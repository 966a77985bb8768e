/**
 * `npm run bench` (full; writes BENCHMARKS.md) and `npm run bench -- --quick` (smoke run for CI; writes
 * test/output/bench-quick.md). Options: `--only gen,runtime,tracing,avro,kafka,gateway,live,retry,eos,dlq,outbox,soak`, `--out <file>`,
 * `--render a.json,b.json` (re-render the report from saved results, later files winning per section).
 * Every number is measured against its baseline in the same run, interleaved, and reported as a median.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { generationBench, type GenerationSize } from './generation.js';
import { GATEWAY_MODES, gatewayBench, type GatewayResult } from './gateway.js';
import { liveBench, type LiveResult } from './live.js';
import { retryBench, type RetryResult } from './retry.js';
import { exactlyOnceBench, type EosResult } from './exactly-once.js';
import { benchDlq, type DlqBenchResult } from './dlq.js';
import { outboxBench, renderOutbox, type OutboxBenchResult } from './outbox.js';
import { CONSUMER_CASES, brokerAnswers, kafkaBench, type KafkaResult } from './kafka.js';
import type { RuntimeResult } from './runtime.js';
import type { SoakResult } from './soak.js';
import type { TracingResult, TracingSeries } from './tracing.js';
import type { AvroBenchResult } from './avro.js';
import { lastJson, machine, mb, median, ms, progress, rate, ratio, runChild, verdict, type MachineInfo } from './stats.js';

const us = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)} µs` : 'n/a');
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const TSX_IMPORT = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = new Set((arg('--only') ?? 'gen,runtime,tracing,avro,kafka,gateway,live,retry,eos,dlq,outbox,soak').split(','));
const outFile = path.resolve(ROOT, arg('--out') ?? (quick ? 'test/output/bench-quick.md' : 'BENCHMARKS.md'));

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return t;
}

/** The CLI runs dist/: rebuild it when a generator source is newer. */
function ensureBuilt(): void {
  const cli = path.join(ROOT, 'dist', 'generator', 'cli.js');
  if (existsSync(cli) && statSync(cli).mtimeMs >= newest(path.join(ROOT, 'generator'))) return;
  progress('dist/ is missing or older than generator/: npm run build');
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

async function tsChild<T>(file: string, childArgs: string[], timeoutMs: number): Promise<T> {
  const r = await runChild(process.execPath, ['--expose-gc', '--import', TSX_IMPORT, path.join(ROOT, 'test', 'bench', file), ...childArgs], { cwd: ROOT, timeoutMs });
  process.stderr.write(r.stderr);
  if (r.code !== 0) throw new Error(`${file} exited ${r.code}`);
  return lastJson<T>(r.stdout);
}

interface Report {
  startedAt: string;
  seconds: number;
  machineBefore: MachineInfo;
  machineAfter: MachineInfo;
  generation?: GenerationSize[];
  runtime?: RuntimeResult;
  tracing?: TracingResult;
  avro?: AvroBenchResult;
  kafka?: KafkaResult | { skipped: string };
  gateway?: GatewayResult | { skipped: string };
  live?: LiveResult;
  retry?: RetryResult | { skipped: string };
  eos?: EosResult | { skipped: string };
  dlq?: DlqBenchResult | { skipped: string };
  outbox?: OutboxBenchResult | { skipped: string };
  soak?: SoakResult;
}

async function main(): Promise<void> {
  const merge = arg('--render');
  if (merge !== undefined) {
    // Re-render from saved results (e.g. a full run plus a separate `--only kafka` run): later files win per section.
    const reports = merge.split(',').map((f) => JSON.parse(readFileSync(path.resolve(ROOT, f), 'utf8')) as Report);
    const merged = reports.slice(1).reduce<Report>((acc, r) => {
      const out: Report = { ...acc };
      for (const key of ['generation', 'runtime', 'tracing', 'avro', 'kafka', 'gateway', 'live', 'retry', 'eos', 'dlq', 'outbox', 'soak'] as const) {
        const value = r[key];
        if (value !== undefined && !(typeof value === 'object' && 'skipped' in value)) Object.assign(out, { [key]: value });
      }
      return out;
    }, reports[0] as Report);
    writeFileSync(outFile, render(merged));
    progress(`rendered ${path.relative(ROOT, outFile)} from ${merge}`);
    return;
  }
  const t0 = performance.now();
  const report: Report = { startedAt: new Date().toISOString(), seconds: 0, machineBefore: machine(), machineAfter: machine() };
  const workDir = path.join(tmpdir(), `eventgen-bench-${process.pid}`);
  mkdirSync(workDir, { recursive: true });
  try {
    if (only.has('gen')) {
      ensureBuilt();
      report.generation = await generationBench({
        workDir,
        // `--gen-sizes 1000:0:2:5`: events:in-process reps (0 = skip):CLI reps[:watch edits], comma-separated.
        sizes: arg('--gen-sizes')
          ? (arg('--gen-sizes') as string).split(',').map((x) => {
              const [events, reps, cliReps, watchEdits] = x.split(':').map(Number);
              return { events: events ?? 1000, reps: reps ?? 0, cliReps: cliReps ?? 1, watchEdits: watchEdits ?? 0 };
            })
          : quick
          ? [{ events: 100, reps: 1, cliReps: 1, watchEdits: 2 }]
          : [
              { events: 100, reps: 3, cliReps: 3 },
              { events: 1000, reps: 4, cliReps: 3, watchEdits: 5 },
              { events: 5000, reps: 1, cliReps: 1 },
            ],
      });
    }
    if (only.has('runtime')) {
      progress('runtime in process (InMemoryTransport)');
      report.runtime = await tsChild<RuntimeResult>('runtime.ts', quick ? ['--quick'] : [], 900_000);
    }
    if (only.has('tracing')) {
      progress('tracing: consumer throughput with tracing off, with no SDK, with the SDK (per-record and batch spans); the bare SDK floor');
      report.tracing = await tsChild<TracingResult>('tracing.ts', quick ? ['--quick'] : [], 900_000);
    }
    if (only.has('avro')) {
      progress('avro: Confluent wire-format Avro vs the JSON envelope, encode + decode (in process), then the consumer on the real broker');
      report.avro = await tsChild<AvroBenchResult>('avro.ts', quick ? ['--quick'] : [], 1_200_000);
    }
    if (only.has('kafka')) {
      if (await brokerAnswers()) {
        progress('real broker');
        report.kafka = await kafkaBench({ quick });
      } else {
        report.kafka = { skipped: 'no broker answered (start one with `npm run kafka:start` or set KAFKA_BROKERS)' };
        progress(`kafka skipped: ${report.kafka.skipped}`);
      }
    }
    if (only.has('gateway')) {
      if (await brokerAnswers()) {
        progress('gateway: HTTP publish to the real broker (autocannon)');
        report.gateway = await gatewayBench({ quick });
      } else {
        report.gateway = { skipped: 'no broker answered (start one with `npm run kafka:start` or set KAFKA_BROKERS)' };
        progress(`gateway skipped: ${report.gateway.skipped}`);
      }
    }
    if (only.has('live')) {
      progress('live: WebSocket fan-out to local clients');
      report.live = await liveBench({ quick });
    }
    if (only.has('retry')) {
      if (await brokerAnswers()) {
        progress('retry: retry topics vs blocking retries on the real broker');
        report.retry = await retryBench({ quick });
      } else {
        report.retry = { skipped: 'no broker answered (start one with `npm run kafka:start` or set KAFKA_BROKERS)' };
        progress(`retry skipped: ${report.retry.skipped}`);
      }
    }
    if (only.has('eos')) {
      if (await brokerAnswers()) {
        progress('eos: transactional vs at-least-once consume → produce on the real broker');
        report.eos = await exactlyOnceBench({ quick });
      } else {
        report.eos = { skipped: 'no broker answered (start one with `npm run kafka:start` or set KAFKA_BROKERS)' };
        progress(`eos skipped: ${report.eos.skipped}`);
      }
    }
    if (only.has('dlq')) {
      if (await brokerAnswers()) {
        ensureBuilt();
        progress(`dlq: gen dlq list over ${quick ? '10,000' : '100,000'} dead letters`);
        report.dlq = await benchDlq(quick ? 10_000 : 100_000);
      } else {
        report.dlq = { skipped: 'no broker answered (start one with `npm run kafka:start` or set KAFKA_BROKERS)' };
        progress(`dlq skipped: ${report.dlq.skipped}`);
      }
    }
    if (only.has('outbox')) {
      progress('outbox: insert overhead and relay throughput (PostgreSQL + real broker)');
      report.outbox = (await brokerAnswers()) ? await outboxBench({ quick }) : { skipped: 'no broker answered (start one with `npm run kafka:start` or set KAFKA_BROKERS)' };
    }
    if (only.has('soak') && !quick) {
      progress('memory soak: 1,000,000 events');
      report.soak = await tsChild<SoakResult>('soak.ts', ['1000000'], 3_600_000);
    }
  } finally {
    execFileSync('rm', ['-rf', workDir]);
  }
  report.machineAfter = machine();
  report.seconds = (performance.now() - t0) / 1000;
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, render(report));
  // Raw results (every repetition) for --render and for digging; test/output/ is not committed.
  const jsonFile = path.join(ROOT, 'test', 'output', `bench-${quick ? 'quick' : path.basename(outFile, '.md').toLowerCase()}.json`);
  mkdirSync(path.dirname(jsonFile), { recursive: true });
  writeFileSync(jsonFile, `${JSON.stringify(report, null, 1)}\n`);
  progress(`wrote ${path.relative(ROOT, outFile)} (${report.seconds.toFixed(0)} s)`);
}

function render(r: Report): string {
  const m = r.machineBefore;
  const L: string[] = [];
  L.push(
    '# Benchmarks',
    '',
    `Generated by \`npm run bench${quick ? ' -- --quick' : ''}\` (test/bench/run.ts) on ${r.startedAt}, ${r.seconds.toFixed(0)} s. ${quick ? '**Quick smoke run: small sizes, one repetition; the numbers are not meaningful.**' : ''}`,
    '',
    '## Machine',
    '',
    `- ${m.nproc} CPUs (${m.cpu}), ${m.memoryGb.toFixed(1)} GB memory (${m.freeGb.toFixed(1)} GB free at start), ${m.platform}, Node ${m.node}`,
    `- load average (1/5/15 min) at start: ${m.load}; at end: ${r.machineAfter.load}. The machine is shared: absolute times are noisy, ratios against a baseline measured in the same run are what count.`,
    '',
    '## Method',
    '',
    '- Every measurement has its baseline measured in the same run, interleaved with it (order alternated between repetitions). Ratios are the **median of per-repetition ratios** (each pair measured back to back); times and rates are medians.',
    '- **Generation**: synthetic catalogs from `test/bench/synthetic.ts` (topics of 10 events, 2 consumer groups per topic out of 10, nested objects, enums, uuid/date-time formats, shared `$ref` schemas, examples). *In process*: one child process per size, after one warm-up of each, alternating `@asyncapi/parser` `fromFile(...).parse()` (baseline) and `generate()` (which runs that same parse plus YAML with positions, the model and every emitter). *Processes*: cold `node bin/gen.js events --catalog X --out <fresh dir>` against a cold `node test/bench/parse-only.mjs X` (imports the parser, parses, exits); then `--check` on the unchanged tree and a re-generation of it. Every timed process, the baseline too, starts after a `sync` (the write-back of earlier steps\' files is not billed to the next process), and output trees are moved aside between timed processes and deleted only after the whole generation section, every size (since the run of 2026-12-03 02:12; from 2026-12-02 06:09 after each size\'s section, before that between repetitions): ext4 without a journal scans past every inode deleted in the last minutes for each file it creates. Peak memory is the max RSS of the whole process from GNU time (`/usr/bin/time -f %M`).',
    '- **Runtime in process**: `order.created` as generated for the bundled catalog (strict objects, guid/email/regex/enum/datetime, 3 line items; ~1.1 KB JSON payload), 6 partitions, `EventProducer.sendBatch` in batches of 100 → `InMemoryTransport` → `GroupConsumer` (default in-memory dedup store, metrics) → `TopicDelegator` → `route` (Zod) → handler. Baseline: the same transport, producer sends `JSON.stringify({ type, data })`, consumer does `JSON.parse` + `Map` lookup + handler, no envelope and no validation. Floor: the same JSON + lookup with no transport. Rates are **messages per CPU-second** of the (single-threaded) process, i.e. throughput on one core, which is far less sensitive to other load than wall time (wall-time rates are in the JSON).',
    '- **Real broker**: local single broker (`npm run kafka:start`), topics with 6 partitions, 1.1 KB payloads. Producer: `EventProducer.sendBatch` over `KafkaTransport` (idempotent, acks=all, 1 in flight, no compression) vs raw kafkajs `sendBatch` with the same settings and the same records (envelope + headers), batches of 500, sequential. Consumer: each run reads the generated producer\'s records from the beginning in a new group; rate from the first record handed to the handler to the last (group join excluded), CPU = process user+system time over the same window per record. Baseline = raw kafkajs `eachMessage` with `JSON.parse` only (default autoCommit); reference = raw `eachBatch`. Generated = `GroupConsumer` over `KafkaTransport` (eachBatch, envelope + Zod, batched commits), `store: null`, then with `RedisProcessedStore` leases (ioredis, 127.0.0.1:6379) one partition at a time and with `partitionsConsumedConcurrently: 6`. Cases rotate order per repetition.',
    '- **Gateway (HTTP publish)**: three servers, each in its own child process (`test/bench/gateway-server.ts`) publishing `POST /events/order.created` to a fresh 6-partition topic on the real broker: *baseline* = a hand-written minimal `node:http` endpoint (bounded body read, `JSON.parse`, one kafkajs `producer.send` per request with the raw producer settings above: idempotent, acks=all, 1 in flight, no compression; answers 202 `{ eventId }`); *gateway* = `createGateway` (templates/gateway) on its own `node:http` server with `EventProducer` over `KafkaTransport`, an `InMemoryStatusStore` and no authentication (per request: bounded UTF-8 JSON body read, nesting check, Zod validation, admission, two status-store writes, envelope + headers, metrics); *fastify* = the same gateway `handle` mounted in fastify 5 (`removeAllContentTypeParsers()` + a catch-all parser that leaves the body unread, `reply.hijack()`, the raw request/response handed to `handle`): framework overhead only. Load: autocannon (programmatic, in the benchmark process, sharing the machine with the server and the broker), 64 connections, each sending its own ~1.1 KB valid `order.created` payload (own `orderId`, so keys spread over the partitions; checked against the generated `OrderCreatedSchema` and accepted with 202 by each server before measuring), a warm-up run, then a measured run per server; modes rotate order per repetition. Accepted requests/s = 2xx answers / duration; latencies are per response as measured by autocannon; server CPU = user + system time of the server process (/proc) per accepted request. *Overload*: the gateway with `maxInFlight` 64 (priority `normal` is admitted while fewer than 51 events are in flight) under 256 connections that resend at once on every answer (no back-off): the share answered 503, the latency of accepted and refused requests, whether refusals carry `Retry-After` (one burst by hand), and the server\'s RSS before and after.',
    '- **Live fan-out (WebSocket)**: two servers, each in its own child process (`test/bench/live-server.ts`), fanning ~1 KB `price.updated` envelopes out to N local `ws` clients opened by one client process (`test/bench/live-clients.ts`; 1,000 clients in the full run, 200 in `--quick`): *baseline* = the minimal `ws` broadcast (one `JSON.stringify` per event, `send` to every open client; no subscriptions, bounds or authentication); *live* = `createLiveServer` (templates/live) with a public channel every client subscribed to (subscription lookup, classification, per-connection byte bound, metrics). Publishing is paced by a window of 64 events in flight (the lowest sequence number every client has received, relayed every 20 ms), so neither server buffers without bound and the rate is what the whole loop sustains. After 1 s of warm-up: frames delivered per second (all clients), latency publish → client on every 10th client (clocks of one machine), server CPU per delivered frame. Clients scan frames for two numbers without `JSON.parse` (the same cost in both modes). Modes alternate per repetition.',
    '- **Exactly-once consume → produce** (test/bench/exactly-once.ts): on the real broker, N ~400-byte records (20,000 in the full run, 4,000 in `--quick`) on a 2-partition input topic, produced before the consumer starts; the group turns each into one record on a 2-partition output topic with the same `handleBatch` in both modes (one typed `sendBatch` with `{ causedBy: context }` per batch). *at-least-once*: a plain group (outputs sent and acknowledged before the offsets may be committed; no processed store); *exactly-once*: `exactlyOnce: true` (outputs buffered per attempt and written with the offsets in one Kafka transaction per partition and commit). Fresh topics and group per run, modes interleaved; records/s from `start()` until the committed offsets cover every input record (polled every 20 ms).',
    '- **Retry topics**: one partition on the real broker, N ~1.1 KB records (20,000 in the full run, 2,000 in `--quick`; blocking mode a quarter of that, at least 2,000, since its rate is set by its waits) produced before the consumer starts, after one unmeasured warm-up run per mode; every 100th fails once with a retriable error. Modes on fresh topics and groups, interleaved: *success* (nothing fails), *topics* (the failing records move to a retry topic with a 200 ms delay, `x-retry: { mode: topics }`; the moves of one fetched batch share one produce request), *blocking* (in-process retries with the same delay). From the first handled record: the partition\'s rate (original records per second up to the last first attempt on the original topic) and the completion rate (until every record succeeded).',
    '- **Memory soak**: 1,000,000 events through producer + consumer (envelope, Zod, default in-memory dedup store capped at 100,000 entries, metrics) on a streaming in-memory transport that keeps no log; heap sampled after a forced GC every 100,000 events; warm-up = the first 200,000 (the dedup store fills up to its cap).',
    '',
    '## Results',
    '',
  );
  const targets: string[] = ['| target | measured | |', '|---|---|---|'];
  if (r.generation) {
    L.push('### 1. Generation', '', '| events | catalog | files | parse in process | generate in process | ratio | parse-only process | `gen events` process | ratio | `--check` | check / generate | re-generate unchanged | cached `--check` | cached re-generate | peak RSS parse-only / gen / check |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const g of r.generation) {
      const c = g.cli;
      L.push(
        `| ${g.events.toLocaleString('en-US')} | ${(g.catalogBytes / 1024).toFixed(0)} KB | ${g.files.toLocaleString('en-US')} (${c.filesWritten.toLocaleString('en-US')} written, ${(g.bytesGenerated / 1024 / 1024).toFixed(1)} MB) | ${ms(median(g.inProcess.parseMs))} ms | ${ms(median(g.inProcess.generateMs))} ms | ${ratio(g.inProcess.ratio)} | ${ms(median(c.parseOnlyMs))} ms | ${ms(median(c.generateMs))} ms | ${ratio(c.ratio)} | ${ms(median(c.checkMs))} ms | ${ratio(c.checkRatio)} | ${ms(median(c.regenerateMs))} ms | ${ms(median(c.warmCheckMs ?? []))} ms | ${ms(median(c.warmRegenerateMs ?? []))} ms | ${mb(Math.max(...c.parseOnlyRss))} / ${mb(Math.max(...c.generateRss))} / ${mb(Math.max(...c.checkRss))} |`,
      );
    }
    const probes = r.generation.filter((g) => g.cli.createProbeMs?.length);
    if (probes.length) {
      L.push('', `The disk, before each repetition's processes (empty files created in one new directory, as many as a generate writes; per repetition): ${probes.map((g) => `${g.events.toLocaleString('en-US')} events: ${(g.cli.createProbeMs ?? []).map((x) => `${ms(x)} ms`).join(', ')}`).join('; ')}. Not a target: on this machine's ext4 (no journal) file creation slows down for minutes after many files were deleted, which only the processes that write pay.`);
    }
    L.push('', 'Phases of `generate()` in process (medians): load = YAML with positions + parser; parser alone; model; emit.', '', '| events | load | of which parser | model | emit |', '|---|---|---|---|---|');
    for (const g of r.generation) {
      const p = g.inProcess.phases;
      L.push(`| ${g.events.toLocaleString('en-US')} | ${ms(median(p.map((x) => x.loadMs)))} ms | ${ms(median(p.map((x) => x.parserMs)))} ms | ${ms(median(p.map((x) => x.modelMs)))} ms | ${ms(median(p.map((x) => x.emitMs)))} ms |`);
    }
    L.push('');
    const g1k = r.generation.find((g) => g.events === 1000);
    const g5k = r.generation.find((g) => g.events === 5000);
    if (g1k) {
      targets.push(`| 1,000 events in process ≤ 2.0× parse-only | ${ratio(g1k.inProcess.ratio)} | ${verdict(g1k.inProcess.ratio <= 2)} |`);
      targets.push(`| 1,000 events as processes ≤ 2.0× parse-only process | ${ratio(g1k.cli.ratio)} | ${verdict(g1k.cli.ratio <= 2)} |`);
    }
    if (g5k) targets.push(`| 5,000 events completes with < 2 GB peak | ${mb(Math.max(...g5k.cli.generateRss))} (gen), ${mb(Math.max(...g5k.cli.checkRss))} (--check) | ${verdict(Math.max(...g5k.cli.generateRss, ...g5k.cli.checkRss) < 2 * 1024 ** 3)} |`);
    for (const g of r.generation.filter((x) => x.events === 1000 && x.cli.warmCheckMs?.length)) {
      targets.push(`| cached \`--check\` on an unchanged 1,000-event catalog < 0.5 s (whole process) | ${ms(median(g.cli.warmCheckMs))} ms | ${verdict(median(g.cli.warmCheckMs) < 500)} |`);
      targets.push(`| cached re-generate on an unchanged 1,000-event catalog < 0.5 s (whole process) | ${ms(median(g.cli.warmRegenerateMs))} ms | ${verdict(median(g.cli.warmRegenerateMs) < 500)} |`);
      targets.push(`| cold \`gen events\` on 1,000 events ≤ 1.5× parse-only process | ${ratio(g.cli.ratio)} | ${verdict(g.cli.ratio <= 1.5)} |`);
      if (g.cli.generateNoDocsMs?.length) targets.push(`| cold \`gen events --no-docs\` on 1,000 events ≤ 1.25× parse-only process | ${ratio(g.cli.noDocsRatio)} (per repetition ${g.cli.generateNoDocsMs.map((x, i) => ratio(x / (g.cli.parseOnlyMs[i] as number))).join(', ')}) | ${verdict(g.cli.noDocsRatio <= 1.25)} |`);
    }
    for (const g of r.generation) {
      if (!g.watch?.editToDiskMs.length) continue;
      const w = g.watch;
      L.push(`\`gen events --watch\`, ${g.events.toLocaleString('en-US')} events: an edit of one event's summary → \`${w.file}\` on disk in ${ms(median(w.editToDiskMs))} ms (median of ${w.editToDiskMs.length}; each: ${w.editToDiskMs.map((x) => ms(x)).join(', ')} ms); the runs took ${ms(median(w.runMs))} ms and wrote ${median(w.written)} files (median).`, '');
      if (g.events === 1000) targets.push(`| watch: edit of one event → files on disk < 200 ms (1,000 events) | ${ms(median(w.editToDiskMs))} ms | ${verdict(median(w.editToDiskMs) < 200)} |`);
    }
    for (const g of r.generation) targets.push(`| \`--check\` ≤ 1.2× generate (${g.events.toLocaleString('en-US')} events) | ${ratio(g.cli.checkRatio)} | ${verdict(g.cli.checkRatio <= 1.2)} |`);
  }
  if (r.runtime) {
    const rt = r.runtime;
    L.push(`### 2. Runtime in process`, '', `${rt.messages.toLocaleString('en-US')} messages per run, ${rt.payloadBytes}-byte payloads, batches of ${rt.batch}, ${rt.partitions} partitions.`, '', '| path | msgs per CPU-second (median) | msgs/s wall (median) |', '|---|---|---|');
    for (const c of rt.cases) L.push(`| ${c.name} | ${rate(median(c.cpuRates))} | ${rate(median(c.rates))} |`);
    L.push('', `Ratios (per CPU-second): generated / baseline **${ratio(rt.ratioVsBaseline)}**, generated without dedup store / baseline ${ratio(rt.ratioNoStoreVsBaseline)}, generated / floor ${ratio(rt.ratioVsFloor)}.`, '');
    const gen = median(rt.cases[0]?.cpuRates ?? []);
    targets.push(`| runtime in process ≥ 0.6× the same-transport baseline (per CPU-second) | ${ratio(rt.ratioVsBaseline)} (${rate(gen)} vs ${rate(median(rt.cases[2]?.cpuRates ?? []))} msgs per CPU-second) | ${verdict(rt.ratioVsBaseline >= 0.6)} |`);
  }
  if (r.tracing) {
    const t = r.tracing;
    const us = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
    const table = (x: TracingSeries): string[] => [
      '| case | records per CPU-second (median) | records/s wall (median) |',
      '|---|---|---|',
      `| tracing off (no \`tracing\` option) | ${rate(median(x.cpuRates.off))} | ${rate(median(x.rates.off))} |`,
      `| \`otelTracing(api)\`, no SDK registered | ${rate(median(x.cpuRates.noSdk))} | ${rate(median(x.rates.noSdk))} |`,
      `| \`otelTracing(api)\`, SDK (BatchSpanProcessor, dropping exporter), ${x.sdkSpans.toLocaleString('en-US')} spans exported | ${rate(median(x.cpuRates.sdk))} | ${rate(median(x.rates.sdk))} |`,
      ...(x.cpuRates.sdkBatch === undefined ? [] : [`| \`otelTracing(api, { spans: 'batch' })\`, same SDK, ${(x.sdkBatchSpans ?? 0).toLocaleString('en-US')} batch spans exported | ${rate(median(x.cpuRates.sdkBatch))} | ${rate(median(x.rates.sdkBatch))} |`]),
      ...(x.cpuRates.sdkBatchNoLinks === undefined || x.cpuRates.sdkBatchNoLinks.length === 0 ? [] : [`| \`otelTracing(api, { spans: 'batch', batchLinks: false })\`, same SDK, no per-record links | ${rate(median(x.cpuRates.sdkBatchNoLinks))} | ${rate(median(x.rates.sdkBatchNoLinks))} |`]),
      ...(x.cpuRates.sdkIdle === undefined || x.cpuRates.sdkIdle.length === 0 ? [] : [`| reference: the same SDK registered, its context manager in use, no \`tracing\` option | ${rate(median(x.cpuRates.sdkIdle))} | ${rate(median(x.rates.sdkIdle))} |`]),
      '',
      `Paired ratios to tracing off (median; per repetition in brackets): SDK **${ratio(x.ratios.sdkVsOff)}** (${x.ratios.perRep.map((p) => ratio(p.sdk)).join(', ')}), no SDK **${ratio(x.ratios.noSdkVsOff)}** (${x.ratios.perRep.map((p) => ratio(p.noSdk)).join(', ')})${x.ratios.sdkBatchVsOff === undefined ? '' : `, SDK batch span mode **${ratio(x.ratios.sdkBatchVsOff)}** (${x.ratios.perRep.map((p) => ratio(p.sdkBatch)).join(', ')})`}${x.ratios.sdkBatchNoLinksVsOff === undefined || !Number.isFinite(x.ratios.sdkBatchNoLinksVsOff) ? '' : `, SDK batch span mode without links **${ratio(x.ratios.sdkBatchNoLinksVsOff)}** (${x.ratios.perRep.map((p) => ratio(p.sdkBatchNoLinks ?? NaN)).join(', ')})`}.`,
      ...(x.ratios.sdkIdleVsOff === undefined || !Number.isFinite(x.ratios.sdkIdleVsOff)
        ? []
        : [
            `The SDK alone (registered, context manager in use, no span of ours) is **${ratio(x.ratios.sdkIdleVsOff)}** tracing off (${x.ratios.perRep.map((p) => ratio(p.sdkIdle ?? NaN)).join(', ')}; ${(x.perRecordUs?.sdkIdleExtra ?? NaN) < 0 ? '' : '+'}${us(x.perRecordUs?.sdkIdleExtra ?? NaN)} µs per record): on Node 20 AsyncLocalStorage's promise hooks, paid by every promise of the process once anything used the context manager. Batch span mode against that reference: **${ratio(x.ratios.sdkBatchVsSdkIdle ?? NaN)}**.`,
          ]),
      `CPU per record: ${us(x.perRecordUs?.off)} µs with tracing off; the SDK adds ${us(x.perRecordUs?.sdkExtra)} µs (batch span mode ${us(x.perRecordUs?.sdkBatchExtra ?? NaN)} µs, without links ${us(x.perRecordUs?.sdkBatchNoLinksExtra ?? NaN)} µs), \`otelTracing(api)\` without an SDK ${us(x.perRecordUs?.noSdkExtra)} µs (medians of per-repetition differences). ≥ 0.9× leaves ${us((x.perRecordUs?.off ?? NaN) / 9)} µs per record for a span.`,
      '',
    ];
    L.push(
      '### 2b. Tracing cost (consumer)',
      '',
      `In process: ${t.messages.toLocaleString('en-US')} records per run, produced first, then consumed by a new group (InMemoryTransport, in-memory dedup, metrics on); ${t.repetitions} repetitions, the cases back to back in a rotating order after a warm-up, a full GC before each. Rate = records per CPU-second of the consume phase.`,
      '',
      ...table(t),
    );
    const f = t.floor;
    if (f !== undefined)
      L.push(
        `Bare SDK span cost (the floor of per-record spans, none of our code; same SDK setup, ${f.operations.toLocaleString('en-US')} operations, CPU µs each, median of repetitions): \`startSpan(name, { kind, 8 semconv attributes, 1 link }, parent).end()\` **${f.span.toFixed(2)} µs**, \`propagation.extract\` from Kafka-like Buffer headers ${f.extract.toFixed(2)} µs, \`context.with\` around an async function ${f.contextWith.toFixed(2)} µs (the function alone ${f.asyncBaseline.toFixed(2)} µs); the three together **${f.perRecord.toFixed(2)} µs per record**.`,
        '',
      );
    const b = t.broker;
    if (b !== undefined && 'skipped' in b) L.push(`Real broker: not measured (${b.skipped}).`, '');
    else if (b !== undefined)
      L.push(
        `Real broker (${b.brokers}): ${b.messages.toLocaleString('en-US')} records of ~${b.payloadBytes} bytes in ${b.partitions} partitions, each case read by a new group (GroupConsumer over KafkaTransport, no dedup store, metrics on); ${b.repetitions} repetitions, rotating order. Rate = records per CPU-second from the first record to the last.`,
        '',
        ...table(b),
      );
    targets.push(`| consumer with tracing (SDK, no-op exporter) + metrics ≥ 0.9× tracing off (in process) | ${ratio(t.ratios.sdkVsOff)} | ${verdict(t.ratios.sdkVsOff >= 0.9)} |`);
    targets.push(`| consumer with \`otelTracing(api)\` and no SDK ≥ 0.98× tracing off (in process) | ${ratio(t.ratios.noSdkVsOff)} | ${verdict(t.ratios.noSdkVsOff >= 0.98)} |`);
    if (t.ratios.sdkBatchVsOff !== undefined) targets.push(`| consumer with tracing in batch span mode (SDK, no-op exporter) + metrics ≥ 0.9× tracing off (in process) | ${ratio(t.ratios.sdkBatchVsOff)} | ${verdict(t.ratios.sdkBatchVsOff >= 0.9)} |`);
    if (t.ratios.sdkBatchNoLinksVsOff !== undefined && Number.isFinite(t.ratios.sdkBatchNoLinksVsOff)) targets.push(`| consumer with tracing in batch span mode without links (\`batchLinks: false\`; SDK, no-op exporter) + metrics ≥ 0.9× tracing off (in process) | ${ratio(t.ratios.sdkBatchNoLinksVsOff)} | ${verdict(t.ratios.sdkBatchNoLinksVsOff >= 0.9)} |`);
    if (b !== undefined && !('skipped' in b)) {
      targets.push(`| consumer with tracing (SDK, no-op exporter) + metrics ≥ 0.9× tracing off (real broker) | ${ratio(b.ratios.sdkVsOff)} | ${verdict(b.ratios.sdkVsOff >= 0.9)} |`);
      targets.push(`| consumer with \`otelTracing(api)\` and no SDK ≥ 0.98× tracing off (real broker) | ${ratio(b.ratios.noSdkVsOff)} | ${verdict(b.ratios.noSdkVsOff >= 0.98)} |`);
      if (b.ratios.sdkBatchVsOff !== undefined) targets.push(`| consumer with tracing in batch span mode (SDK, no-op exporter) + metrics ≥ 0.9× tracing off (real broker) | ${ratio(b.ratios.sdkBatchVsOff)} | ${verdict(b.ratios.sdkBatchVsOff >= 0.9)} |`);
      if (b.ratios.sdkBatchNoLinksVsOff !== undefined && Number.isFinite(b.ratios.sdkBatchNoLinksVsOff)) targets.push(`| consumer with tracing in batch span mode without links (\`batchLinks: false\`; SDK, no-op exporter) + metrics ≥ 0.9× tracing off (real broker) | ${ratio(b.ratios.sdkBatchNoLinksVsOff)} | ${verdict(b.ratios.sdkBatchNoLinksVsOff >= 0.9)} |`);
    }
  }
  if (r.avro) {
    const a = r.avro;
    const fewer = 1 - a.bytes.avroValue / a.bytes.jsonValue;
    const fewerTotal = 1 - a.bytes.avroTotal / a.bytes.jsonTotal;
    L.push(
      '### 2c. Avro (Confluent wire format) vs JSON envelope',
      '',
      `The bundled \`order.created\` shape (3 line items), ${a.records.toLocaleString('en-US')} records per run, ${a.repetitions} interleaved repetitions: encode (value + headers) and decode (headers + value to metadata and payload; Zod validation, equal on both paths, left out). Avro metadata travels in headers; the schema id is cached (no registry call per record).`,
      '',
      '| path | records per CPU-second (median) | value bytes | value + header bytes |',
      '|---|---|---|---|',
      `| JSON envelope | ${rate(median(a.rates.json))} | ${a.bytes.jsonValue.toFixed(0)} | ${a.bytes.jsonTotal.toFixed(0)} |`,
      `| Avro, Confluent wire format | ${rate(median(a.rates.avro))} | ${a.bytes.avroValue.toFixed(0)} | ${a.bytes.avroTotal.toFixed(0)} |`,
      '',
      `Paired ratio Avro / JSON: **${ratio(a.ratio)}**; bytes: value ${(fewer * 100).toFixed(0)} % fewer, value + headers ${(fewerTotal * 100).toFixed(0)} % fewer.`,
      '',
    );
    targets.push(`| Avro encode+decode ≥ 1.0× the JSON envelope, ≥ 30 % fewer bytes (value + headers) | ${ratio(a.ratio)}, ${(fewerTotal * 100).toFixed(0)} % fewer | ${verdict(a.ratio >= 1 && fewerTotal >= 0.3)} |`);
    const b = a.broker;
    if (b !== undefined && 'skipped' in b) L.push(`Consumer on the real broker: skipped (${b.skipped}).`, '');
    else if (b !== undefined) {
      const fewerStored = 1 - b.bytes.avro / b.bytes.json;
      L.push(
        `**Consumer on the real broker** (${b.brokers}; schema ids from ${b.registry}): the generated consumer (GroupConsumer over KafkaTransport: decode, Zod validation, handler, commits; no dedup) reading ${b.records.toLocaleString('en-US')} records of the same payloads from a ${b.partitions}-partition JSON envelope topic and a wire-format Avro topic, ${b.repetitions} interleaved repetitions after one untimed warm-up pair (a fresh group each, JSON and Avro alternating first). Rate from the first record handled to the last.`,
        '',
        '| path | records/s (median) | per repetition | CPU µs/record (median) | stored bytes/record (value + headers) |',
        '|---|---|---|---|---|',
        `| JSON envelope | ${rate(median(b.json.rates))} | ${b.json.rates.map((x) => rate(x)).join(', ')} | ${median(b.json.cpuUs).toFixed(0)} | ${b.bytes.json.toFixed(0)} |`,
        `| Avro, Confluent wire format | ${rate(median(b.avro.rates))} | ${b.avro.rates.map((x) => rate(x)).join(', ')} | ${median(b.avro.cpuUs).toFixed(0)} | ${b.bytes.avro.toFixed(0)} |`,
        '',
        `Paired ratio Avro / JSON on the broker: **${ratio(b.ratio)}**; ${(fewerStored * 100).toFixed(0)} % fewer bytes stored and fetched.`,
        '',
      );
      targets.push(`| Avro consumer on the real broker ≥ 1.0× the JSON envelope consumer, ≥ 30 % fewer bytes | ${ratio(b.ratio)}, ${(fewerStored * 100).toFixed(0)} % fewer | ${verdict(b.ratio >= 1 && fewerStored >= 0.3)} |`);
    }
  }
  if (r.kafka) {
    L.push('### 3. Real broker', '');
    if ('skipped' in r.kafka) L.push(`Skipped: ${r.kafka.skipped}.`, '');
    else {
      const k = r.kafka;
      L.push(
        `${k.messages.toLocaleString('en-US')} events per producer run, ${k.consumerMessages.toLocaleString('en-US')} per consumer run, batches of ${k.batch}, ${k.partitions} partitions, broker ${k.brokers}.`,
        '',
        '| path | msgs/s (median) | CPU µs per record (median) | ratio |',
        '|---|---|---|---|',
        `| raw kafkajs producer (sendBatch) | ${rate(median(k.producer.raw))} | ${us(median(k.producer.cpuUs.raw))} | |`,
        `| generated producer (EventProducer.sendBatch, Zod + envelope) | ${rate(median(k.producer.generated))} | ${us(median(k.producer.cpuUs.generated))} | ${ratio(k.producer.ratio)} |`,
      );
      const plt = k.platformaticProducer;
      if (plt !== undefined && plt.raw.length > 0) {
        const rawProducer = median(k.producer.raw);
        L.push(
          `| raw @platformatic/kafka producer (send, idempotent, acks=all) | ${rate(median(plt.raw))} | ${us(median(plt.cpuUs.raw))} | ${ratio(median(plt.raw) / rawProducer)} |`,
          `| generated producer on PlatformaticTransport | ${rate(median(plt.generated))} | ${us(median(plt.cpuUs.generated))} | ${ratio(median(plt.generated) / rawProducer)} |`,
        );
      }
      const raw = median(k.consumer.cases['raw eachMessage'].rates);
      for (const name of CONSUMER_CASES) {
        const c = k.consumer.cases[name];
        const label =
          name === 'raw eachMessage'
            ? 'raw kafkajs consumer, eachMessage + JSON.parse (autoCommit): the baseline'
            : name === 'raw eachBatch'
              ? 'raw kafkajs consumer, eachBatch + JSON.parse (reference)'
              : name === 'raw platformatic stream'
                ? 'raw @platformatic/kafka consumer, consume() stream + JSON.parse (its autocommit)'
                : `${name} (GroupConsumer: envelope + Zod, batched commits)`;
        if (c.rates.length === 0) L.push(`| ${label} | Redis not reachable | | |`);
        else L.push(`| ${label} | ${rate(median(c.rates))} | ${us(median(c.cpuUs))} | ${name === 'raw eachMessage' ? '' : ratio(median(c.rates) / raw)} |`);
      }
      L.push('', 'Ratios are of the same-run medians, every one against the raw kafkajs row of its kind (producer: raw kafkajs sendBatch; consumer: raw kafkajs eachMessage); the targets use paired ratios (each repetition against its own baseline).', '');
      targets.push(`| generated producer ≥ 0.95× raw kafkajs | ${ratio(k.producer.ratio)} | ${verdict(k.producer.ratio >= 0.95)} |`);
      const perRep = k.consumer.cases.generated.rates.map((g, i) => ratio(g / (k.consumer.cases['raw eachMessage'].rates[i] ?? Number.NaN))).join(', ');
      const cpu = k.consumer.cpuRatio === undefined ? '' : `; CPU per record raw/generated ${ratio(k.consumer.cpuRatio)}`;
      targets.push(`| generated consumer on the default transport (kafkajs) ≥ 1.0× raw kafkajs eachMessage (#18) | ${ratio(k.consumer.ratio)} (per repetition ${perRep}${cpu}) | ${verdict(k.consumer.ratio >= 1.0)} |`);
      if (k.consumer.redisAvailable) {
        targets.push(`| generated consumer with Redis lease dedup ≥ 0.6× raw | ${ratio(k.consumer.redisRatio)} one partition at a time; ${ratio(k.consumer.redisConcurrentRatio)} with partitionsConsumedConcurrently 6 | ${verdict(Math.max(k.consumer.redisRatio, k.consumer.redisConcurrentRatio) >= 0.6)} |`);
      }
    }
  }
  if (r.gateway) {
    L.push('### 4. Gateway (HTTP publish to the real broker)', '');
    if ('skipped' in r.gateway) L.push(`Skipped: ${r.gateway.skipped}.`, '');
    else {
      const g = r.gateway;
      const label: Record<(typeof GATEWAY_MODES)[number], string> = {
        baseline: 'minimal `node:http` + kafkajs, one `send` per request (baseline)',
        gateway: 'gateway (`createGateway`, its own `node:http` server)',
        fastify: 'gateway `handle` in fastify 5',
      };
      const statuses = (runs: GatewayResult['runs'][keyof GatewayResult['runs']]): string => {
        const all: Record<string, number> = {};
        for (const run of runs) for (const [code, n] of Object.entries(run.statuses)) if (!code.startsWith('2')) all[code] = (all[code] ?? 0) + n;
        const errors = runs.reduce((n, run) => n + run.errors, 0);
        const parts = Object.entries(all).map(([code, n]) => `${n.toLocaleString('en-US')} × ${code}`);
        if (errors > 0) parts.push(`${errors.toLocaleString('en-US')} connection errors/timeouts`);
        return parts.length === 0 ? '0' : parts.join(', ');
      };
      L.push(
        `${g.connections} connections, ${g.seconds} s per measured run after a ${g.warmupSeconds} s warm-up, ${g.reps} repetition${g.reps === 1 ? '' : 's'}, ${g.payloadBytes}-byte payloads, ${g.partitions} partitions, broker ${g.brokers}.`,
        '',
        '| server | accepted req/s (median) | p50 | p99 | non-2xx (all runs) | server CPU per accepted request |',
        '|---|---|---|---|---|---|',
      );
      for (const mode of GATEWAY_MODES) {
        const m = g.medians[mode];
        L.push(`| ${label[mode]} | ${rate(m.rps)} | ${ms(m.p50)} ms | ${ms(m.p99)} ms | ${statuses(g.runs[mode])} | ${us(m.serverCpuUs)} |`);
      }
      const per = g.ratios.perRep.map((p) => ratio(p.gatewayVsBaseline)).join(', ');
      L.push(
        '',
        `Paired ratios of accepted requests/s: gateway / baseline **${ratio(g.ratios.gatewayVsBaseline)}** (per repetition: ${per}); fastify / gateway **${ratio(g.ratios.fastifyVsGateway)}** (per repetition: ${g.ratios.perRep.map((p) => ratio(p.fastifyVsGateway)).join(', ')}); fastify / baseline ${ratio(g.ratios.fastifyVsBaseline)}. Server CPU per accepted request, paired: gateway / baseline ${ratio(g.ratios.cpuGatewayVsBaseline)}, fastify / gateway ${ratio(g.ratios.cpuFastifyVsGateway)}.`,
        '',
      );
      const o = g.overload;
      const total = o.accepted + o.non2xx;
      L.push(
        `**Overload** (gateway, \`maxInFlight\` ${o.maxInFlight}, ${o.connections} connections, ${ms(o.seconds)} s): ${total.toLocaleString('en-US')} answers, **${(o.share503 * 100).toFixed(1)}% 503** (${o.retryAfter ? 'with `Retry-After`' : '**without `Retry-After`**'})${o.otherNon2xx > 0 ? `, ${o.otherNon2xx} other non-2xx` : ''}, ${o.errors} connection errors, ${o.timeouts} timeouts; ${rate(o.rps)} accepted/s (${ratio(o.rps / g.medians.gateway.rps)} of the gateway at ${g.connections} connections); accepted p50 ${ms(o.p50)} ms, p99 **${ms(o.p99)} ms**, max ${ms(o.max)} ms; 503 p50 ${ms(o.p50Non2xx)} ms, p99 ${ms(o.p99Non2xx)} ms; server RSS ${mb(o.rssBefore)} before the run, ${mb(o.rssAfter)} after (peak ${mb(o.rssPeak)}).`,
        '',
      );
      targets.push(`| gateway ≥ 0.8× minimal node:http + kafkajs (accepted req/s) | ${ratio(g.ratios.gatewayVsBaseline)} (${rate(g.medians.gateway.rps)} vs ${rate(g.medians.baseline.rps)} req/s; p99 ${ms(g.medians.gateway.p99)} vs ${ms(g.medians.baseline.p99)} ms) | ${verdict(g.ratios.gatewayVsBaseline >= 0.8)} |`);
      // Bounded: the excess is refused (503 only, with Retry-After), nothing times out, accepted requests wait less than
      // half of the client's 10 s timeout, and the server's memory does not grow with the excess.
      const bounded = o.share503 > 0 && o.retryAfter && o.errors === 0 && o.timeouts === 0 && o.otherNon2xx === 0 && o.p99 < 5000 && o.rssAfter - o.rssBefore < 64 * 1024 * 1024;
      targets.push(
        `| gateway under overload (${o.connections} connections, \`maxInFlight\` ${o.maxInFlight}): excess refused with 503, no unbounded queue | ${(o.share503 * 100).toFixed(0)}% 503${o.retryAfter ? ' with Retry-After' : ''}, ${o.timeouts + o.errors} timeouts/errors, accepted p99 ${ms(o.p99)} ms (< 5 s), 503 p99 ${ms(o.p99Non2xx)} ms, RSS ${mb(o.rssBefore)} → ${mb(o.rssAfter)} (< +64 MB); goodput ${ratio(o.rps / g.medians.gateway.rps)} of normal load | ${verdict(bounded)} |`,
      );
    }
  }
  if (r.live) {
    const v = r.live;
    L.push('### 5. Live fan-out (WebSocket)', '', `${v.clients.toLocaleString('en-US')} clients on loopback, ~1 KB events, window ${v.window} events, ${v.seconds} s measured per run, ${v.repetitions} repetition(s).`, '', '| server | frames/s delivered (median) | events/s | p50 | p99 | server CPU per frame |', '|---|---|---|---|---|---|');
    const label = { baseline: 'minimal `ws` broadcast (baseline)', live: 'live gateway server (`createLiveServer`)' } as const;
    for (const mode of ['baseline', 'live'] as const) {
      const runs = v.runs.filter((x) => x.mode === mode);
      const m = v.medians[mode];
      L.push(`| ${label[mode]} | ${rate(m.framesPerSecond)} | ${rate(median(runs.map((x) => x.eventsPerSecond)))} | ${ms(m.p50)} ms | ${ms(m.p99)} ms | ${us(m.serverCpuUsPerFrame)} |`);
    }
    L.push('', `Paired ratio of delivered frames/s, live / baseline: **${ratio(v.ratios.liveVsBaseline)}** (per repetition: ${v.ratios.perRep.map((x) => ratio(x)).join(', ')}).`, '');
    targets.push(`| live fan-out ≥ 0.8× a minimal \`ws\` broadcast (frames/s delivered, ${v.clients.toLocaleString('en-US')} clients) | ${ratio(v.ratios.liveVsBaseline)} (${rate(v.medians.live.framesPerSecond)} vs ${rate(v.medians.baseline.framesPerSecond)} frames/s; p99 ${ms(v.medians.live.p99)} vs ${ms(v.medians.baseline.p99)} ms) | ${verdict(v.ratios.liveVsBaseline >= 0.8)} |`);
  }
  if (r.retry) {
    L.push('### 6. Retry topics (real broker)', '');
    if ('skipped' in r.retry) L.push(`Skipped: ${r.retry.skipped}.`, '');
    else {
      const v = r.retry;
      L.push(`${v.records.toLocaleString('en-US')} records on one partition, ${v.failing} failing once (1%), retry delay ${v.delayMs} ms, ${v.repetitions} repetition(s).`, '', '| mode | partition: records/s (median) | completion: records/s (median) |', '|---|---|---|');
      const label = { success: 'nothing fails (baseline)', topics: '1% fail once, retry topics', blocking: '1% fail once, blocking in-process retries' } as const;
      for (const mode of ['success', 'topics', 'blocking'] as const) L.push(`| ${label[mode]} | ${rate(v.medians[mode].partitionRate)} | ${rate(v.medians[mode].completionRate)} |`);
      L.push('', `Paired ratios of the partition rate to the all-success run: retry topics **${ratio(v.ratios.topicsVsSuccess)}** (per repetition: ${v.ratios.perRep.map((x) => ratio(x.topics)).join(', ')}), blocking retries ${ratio(v.ratios.blockingVsSuccess)} (${v.ratios.perRep.map((x) => ratio(x.blocking)).join(', ')}).`, '');
      targets.push(`| retry topics keep ≥ 0.9× the all-success partition throughput with 1% transient failures | ${ratio(v.ratios.topicsVsSuccess)} (${rate(v.medians.topics.partitionRate)} vs ${rate(v.medians.success.partitionRate)} records/s; blocking retries ${ratio(v.ratios.blockingVsSuccess)}, ${rate(v.medians.blocking.partitionRate)} records/s) | ${verdict(v.ratios.topicsVsSuccess >= 0.9)} |`);
    }
  }
  if (r.eos) {
    L.push('### 6b. Exactly-once consume → produce (real broker)', '');
    if ('skipped' in r.eos) L.push(`Skipped: ${r.eos.skipped}.`, '');
    else {
      const v = r.eos;
      L.push(`${v.records.toLocaleString('en-US')} input records on ${v.partitions} partitions, each turned into one output record by the same \`handleBatch\` (typed \`sendBatch\` with \`causedBy\`), ${v.repetitions} repetition(s), modes interleaved; records/s from the consumer's start until every input offset is committed.`, '', '| mode | records/s (median) |', '|---|---|');
      L.push(`| at-least-once (outputs acknowledged, then offsets committed) | ${rate(v.medians.plain)} |`, `| exactly-once (outputs and offsets in one transaction per partition) | ${rate(v.medians.transactional)} |`);
      L.push('', `Paired ratio transactional / at-least-once: **${ratio(v.ratio)}** (per repetition: ${v.perRep.map((x) => ratio(x)).join(', ')}).`, '');
      targets.push(`| exactly-once consume → produce ≥ 0.5× the at-least-once path | ${ratio(v.ratio)} (${rate(v.medians.transactional)} vs ${rate(v.medians.plain)} records/s) | ${verdict(v.ratio >= 0.5)} |`);
    }
  }
  if (r.dlq) {
    L.push('### 7. `gen dlq list` (real broker)', '');
    if ('skipped' in r.dlq) L.push(`Skipped: ${r.dlq.skipped}.`, '');
    else {
      const d = r.dlq;
      L.push(`A fresh 3-partition dead-letter topic filled with ${d.records.toLocaleString('en-US')} dead letters as the runtime writes them (envelope value, event and \`dlq-*\` headers with a stack, three failure kinds) in ${ms(d.fillMs / 1000)} s; \`node bin/gen.js dlq list --topic <it> --json\` as a whole process counted ${d.counted.toLocaleString('en-US')} in **${ms(d.listMs / 1000)} s**.`, '');
      targets.push(`| \`gen dlq list\` over ${d.records.toLocaleString('en-US')} dead letters < 10 s | ${ms(d.listMs / 1000)} s | ${verdict(d.records >= 100_000 ? d.listMs < 10_000 : undefined)} |`);
    }
  }
  if (r.outbox) {
    const o = renderOutbox(r.outbox);
    L.push(...o.lines);
    targets.push(...o.targets);
  }
  if (r.soak) {
    const s = r.soak;
    L.push('### 8. Memory soak', '', `${s.events.toLocaleString('en-US')} events in ${s.seconds.toFixed(0)} s.`, '', '| events | heap used after GC | RSS |', '|---|---|---|');
    for (const x of s.samples) L.push(`| ${x.events.toLocaleString('en-US')} | ${x.heapUsedMb.toFixed(1)} MB | ${x.rssMb.toFixed(0)} MB |`);
    L.push('');
    targets.push(`| soak: heap after warm-up within 10% | max ${ratio(s.growth)} of the heap at ${s.warmupEvents.toLocaleString('en-US')} events | ${verdict(s.growth <= 1.1)} |`);
  }
  L.push('## Targets', '', ...targets, '');
  L.push(ANALYSIS, '', '## Reproduce', '', '```sh', 'npm install', 'npm run kafka:start && npm run redis:start   # optional: sections 3 and 4 are skipped without a broker', 'npm run bench                                  # full run (~30-60 min on 2 cores), writes BENCHMARKS.md (raw results: test/output/bench-benchmarks.json)', 'npm run bench -- --quick                       # smoke run (CI), writes test/output/bench-quick.md', 'npm run bench -- --only runtime                # one section: gen, runtime, kafka, gateway, live, retry, eos, dlq, outbox, soak', 'npx tsx test/bench/runtime.ts --before <dir>   # runtime A/B: another copy of templates/runtime as an extra case', '```', '');
  return L.join('\n');
}

/** Written by hand from the profiles of the run that produced BENCHMARKS.md (kept in the script so re-runs keep it). */
const ANALYSIS = `## Analysis (profiles: \`node --cpu-prof\`)

**Cold \`gen events\` (issue #20; the run of 2026-12-02 06:09).** Since that day the model and the emitters run on the main
thread while @asyncapi/parser validates in the worker thread, and the result waits for the parser's findings (a
rejected catalog gets them and no files, as before). An interleaved A/B on 1,000 events the same hour (4 repetitions,
\`--no-cache\`, \`sync\` before each process, no trees deleted in between): the parse-only process 2.9-3.3 s; \`gen events\`
5.3 s before → 4.6 s after (paired ratio to the floor 1.68× → 1.52×); \`--no-docs\` 4.1 → 3.9 s (1.36× → 1.27×). The
rows above measured 2.24× and 1.61× because of the file system, not the generator: on this machine's ext4 (online
\`discard\`), creating files right after ~10,000 others were deleted spends seconds in the kernel (\`perf\`:
\`recently_deleted\` scanning the inode table in \`ext4_create\`, and spinning on the directory lock), so a generate's
5,600 writes took 2-4 s instead of 0.45 s in some repetitions; the parse-only process writes nothing. The bench now
moves trees aside and deletes them after the section. The main thread is now the critical path (profile: its own
YAML parse with positions ~0.84 s, the docs emitter ~0.84 s of which Handlebars ~0.68 s, garbage collection ~0.64 s,
the model ~0.25 s), so what would close the rest is (1) and (2) below.

**Generation, whole processes (1,000 events: 2.0-2.5× a parse-only process in the latest runs; target 2.0×; the
symbol table added no measurable model/emit time at 5,000 events).** The in-process ratio (1.5-1.7×) meets the target; the process ratio does not because of costs outside \`generate()\`'s parse: in a cold
\`gen events\` of 1,000 events (profile of ~24 s under load) the parser is ~7%, reading the YAML a second time with
positions (\`generator/load/source.ts\`, the \`yaml\` package's \`parseDocument\`) ~8%, the docs emitter
(\`generator/emit/docs/**\`, mostly Handlebars rendering) ~7% of the time and ~70% of emit, the model ~3%, and
**~38% idle**: the writer awaited ~6 file-system calls per file one after another (5,582 files). Fixed in
\`generator/write\` (bounded concurrency, 32 calls in flight, plan order and all checks unchanged): an interleaved A/B
of the CLI on 1,000 events, 3 repetitions each, gave median 20.1 s → 17.0 s for a generate into a fresh directory
(identical trees); the table above was measured **before** this change (dist/ built before it). What would close
the rest: (1) parse the YAML once: feed the \`yaml\` document's JS value to the parser (\`parser.parse(object, {source})\`)
and locate its diagnostics with our own pointer index, instead of letting @stoplight/yaml parse the text again
(~1.5-2 s at 1,000 events); (2) the docs emitter (owned by the docs work): precompile its templates once and avoid
per-page Handlebars \`extend\`/\`lookupProperty\` churn, or emit the site lazily; (3) module loading of the CLI (yargs,
handlebars, yaml, the parser) is paid by every process, the parse-only process pays only the parser.

**\`--check\`** reads and compares every file (sequential before the writer change, concurrent now) and is 0.8-1.1× a
generate. **5,000 events** peak at 1.2-1.3 GB RSS (the parser's and our two YAML trees, plus 95 MB of output held
as strings); under the 2 GB target.

**Runtime in process (issue 11: 0.45× the same-transport baseline per CPU-second; target 0.6×, missed; 0.37× before
the delivery engine, 0.28× for the previous runtime measured as an extra case in one interleaved run).** Profile of the
generated path: JSON encode/decode of the envelope ~22% (the baseline pays the payload's share of it), garbage
collection ~18-22%, Zod validation on both sides ~8% (down from ~35%: schemas are compiled once with \`z.compile\`,
1.8 µs instead of 14.5 µs per \`order.created\`), the producer's envelope (two uuids, a timestamp, six headers) and
the engine's per-record bookkeeping. Changed for speed: a hand-written envelope check instead of a Zod parse per
record, lazily decoded headers, one frozen label set per topic and event type, no BigInt per offset, one promise
per attempt and a synchronous fast path for the common record, in-process dedup marked per batch. What remains is
the product's work (envelope + validation on both sides) against a baseline that does neither.

**Real broker (issue 11).** The consumer reads batches (\`eachBatch\`) into the delivery engine and commits in
batches: **0.87-0.88× raw kafkajs \`eachMessage\` + \`JSON.parse\`** (0.48× before; aim 0.9×, missed by a hair in this
run, 0.75-0.77× in loaded runs earlier the same day) at 31 µs CPU per record against the baseline's 24 µs and raw
\`eachBatch\`'s 17 µs: envelope check, compiled Zod validation, routing and the engine's bookkeeping. The producer is at
0.90× (0.99×, 0.88×, 0.90× per pair; 0.96× in a kafka-only run the same day): partitions are now chosen by the
transport from cached metadata and sends are ordered per partition only. **Redis lease dedup: 0.11× one partition
at a time, 0.27× with \`partitionsConsumedConcurrently: 6\` (target 0.6×, missed; 0.08× before).** The lease design
marks each event done before the next handler starts, so that a SIGKILL repeats at most one effect (the witness
measures 0-1 per run): one Redis round trip per record, sequential per partition. A round trip of ioredis costs
35-50 µs of CPU (syscalls; measured alone) and ~100 µs of wall time here, so one partition at a time is capped near
10,000 records/s whatever the engine does; partitions in parallel share round trips through ioredis'
auto-pipelining (11 µs per command). Claims are one Lua call per 64 records. Meeting 0.6× would need marking several
records per round trip, i.e. a larger repeat window per SIGKILL: left as a deliberate trade-off.

**Gateway (issue 13: 1.80× the minimal \`node:http\` + kafkajs endpoint in this full run, 8,263 vs 4,491 accepted
req/s, p99 15.5 vs 25.7 ms; 1.50× in an earlier \`--only gateway\` run on a busier machine; target 0.8×).** The gateway does
more per request (bounded body read with UTF-8 and nesting checks, Zod, two status-store writes, envelope + six
headers, metrics) and still answers more: \`KafkaTransport\` merges concurrent sends whose partitions are free into one
produce request per round trip, while the hand-written endpoint's one kafkajs \`send\` per request waits its turn
behind kafkajs' single request in flight, one record per round trip; server CPU per accepted request is about the
same (0.91×). Profile of the gateway under 64 connections: kafkajs request encoding and socket writes ~15%, the
answer (\`sendJson\`, mostly the \`writev\` syscall) ~10%, payload validation ~9% (Zod ~6%: the gateway calls the
definition's uncompiled \`schema.safeParse\`, and the producer validates the same data again on its compiled path,
~1%; \`protoKey\` ~3%, most of it building a JSON pointer for every key although one is needed only for a
\`__proto__\` key), body read ~7%, envelope encoding ~4%, status store ~2%, GC ~7%, idle ~8% (the machine's two cores
also run the broker and autocannon). **fastify 5** around the same \`handle\`: 0.80-1.02× the gateway's own server in
two full runs (noise of the shared machine) at 1.05-1.09× its CPU per request (routing, hooks, content-type lookup
~3% of the profile): no throughput to gain from a framework, so the gateway stays on \`node:http\` and mounts in one
when a service wants it. **Overload** (\`maxInFlight\` 64, 256 connections resending at once, no back-off): 96% 503
with \`Retry-After\`, no timeouts, RSS flat (+9 MB), accepted p99 0.8 s: nothing queues, but goodput falls to
~0.05-0.12× of normal. A refusal costs nearly as much as a publish: admission comes after the body is read, parsed
and validated (by design: a bad body answers 422, not 503), the problem is an \`Error\` (stack capture ~9% of the
overload profile) and its answer is written like any other (~32% with \`writev\`); with ~95% of the event loop spent
refusing, each loop turn serves up to 256 requests and an admitted publish needs several turns, so admitted slots
turn over slowly. Cheaper refusals would keep goodput: an admission check before reading the body (503 with a
prepared answer) and a stackless problem for \`overloaded\`; clients that honour \`Retry-After\` do not produce this
storm.

**Live fan-out (issue 14: 1.04× a minimal \`ws\` broadcast at 1,000 clients, 179,622 vs 172,874 frames/s delivered, p99
21.1 vs 20.2 ms, server CPU 5.3 vs 5.5 µs per frame; target 0.8×; section 5 comes from a \`--only live\` run rendered
into this report with \`--render\`).** The first version measured 0.73-0.75× in the full run (120,000 vs 166,000
frames/s, 8 vs 6.5 µs per frame): it passed a completion callback with every \`ws.send\` (to count bytes in flight
for its own queue) and updated a \`Map\` of per-channel counters per frame. Profile of the live server at 1,000
clients: ~75% is the \`writev\` syscall (one per frame and socket, as for the baseline), ~6% idle, the server's own
code ~2% (\`enqueue\`, \`publish\`). Now a frame goes straight to the socket with no callback while the socket's
buffer is below the window (\`min(64 KiB, maxBufferedBytes / 2)\`); only the write that crosses it takes a callback,
and later frames wait in the connection's own queue, where the oldest can still be dropped; counters are plain
fields on objects the frame carries. Each event is serialized once per channel and the same \`Buffer\` goes to every
socket (the baseline serializes once too, and \`ws\` encodes its string per socket). The byte bound and the
stalled-client tests (test/live/server.test.ts, test/integration/live.test.ts) hold as before. Measured without
Kafka on purpose: the consumer side is the runtime's (sections 2 and 3); the integration test reports the
produce → client latency through the broker.

**Retry topics (issue 16: 0.60× the all-success partition rate with 1% of records failing once; target 0.9×, missed;
blocking in-process retries 0.01×, ~495 records/s: every failure holds the partition for its 200 ms delay).** The
partition no longer waits for a retry's delay, but it still waits for each move: the engine awaits the retry-topic
write (acks=all, one broker round trip of a few ms) before it takes the next record, like a dead-letter write, so
the original's offset is never committable before the copy is safe. With 1% failures that round trip costs about
as much as the 100 successful records around it. What would close the gap: pipeline the moves (send, go on with
the next records, and hold the partition's committable offset below the oldest unacknowledged move; a failed move
pauses the partition and seeks back to it), which keeps the no-loss rule without the round trip per failure. Not
done in this session. The completion rate (retries included: 12,000-13,000 records/s) is bounded by the retry
topic's 200 ms delay and its own consumer.

**Memory soak**: flat (30.9 → 30.7 MB after GC from 100,000 to 1,000,000 events; the in-memory dedup store is full at
100,000 entries).

**Left out / limits.** The consumer rows read 20,000 of the 100,000 produced records per run. The broker, Redis and
the benchmark share two cores: absolute rates move ±30 % between runs; the paired ratios are what count.`;

await main();

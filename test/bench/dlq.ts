/**
 * `gen dlq list` over 100,000 dead letters (issue #16 target: under 10 s). Fills a fresh DLQ topic (3 partitions) with
 * DLQ_BENCH_RECORDS (default 100,000) dead letters as the runtime writes them (envelope value, event headers, dlq-*
 * headers with a stack; three failure kinds), then times `node bin/gen.js dlq list --topic <it>` as a process, checks
 * its count, and deletes the topic. Standalone: `npm run -s build && npx tsx test/bench/dlq.ts` (KAFKA_BROKERS, default
 * 127.0.0.1:19092). `--json` prints the result as JSON.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { buildDeadLetterMessage, encodeEnvelope, envelopeHeaders, EventValidationError, type ConsumedRecord, type DeadLetterReason } from '../../templates/runtime/index.js';

const { Kafka, logLevel } = kafkajs;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const brokers = process.env.KAFKA_BROKERS?.trim() || '127.0.0.1:19092';
const N = Number(process.env.DLQ_BENCH_RECORDS ?? 100_000);
const PARTITIONS = 3;

export interface DlqBenchResult {
  brokers: string;
  records: number;
  fillMs: number;
  listMs: number;
  counted: number;
}

export async function benchDlq(records = N): Promise<DlqBenchResult> {
  if (!existsSync(path.join(ROOT, 'dist/generator/commands/dlq.js'))) throw new Error('dist/ has no `gen dlq`: run `npm run -s build` first');
  const topic = `egbench-dlq-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const kafka = new Kafka({ clientId: 'eventgen-bench-dlq', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
    await producer.connect();
    const kinds: Array<{ type: string; reason: DeadLetterReason; group: string; error: Error }> = [
      { type: 'order.created', reason: 'validation', group: 'billing', error: new EventValidationError('order.created', []) },
      { type: 'order.paid', reason: 'retries-exhausted', group: 'shipping', error: new Error('connect ECONNREFUSED 10.0.0.7:5432') },
      { type: 'order.cancelled', reason: 'handler-non-retriable', group: 'billing', error: new Error('customer is closed') },
    ];
    const t0 = performance.now();
    const CHUNK = 300; // one produce request stays under the broker's 1 MB message.max.bytes
    for (let base = 0; base < records; base += CHUNK) {
      const messages = [];
      for (let i = base; i < Math.min(records, base + CHUNK); i++) {
        const kind = kinds[i % kinds.length]!;
        const metadata = { eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, eventType: kind.type, eventVersion: '1.0.0', correlationId: `corr-${i}`, timestamp: new Date().toISOString(), source: 'bench', dataClassification: 'internal' as const, partitionKey: `order-${i % 997}` };
        const record: ConsumedRecord = {
          topic: 'orders',
          partition: i % 6,
          offset: String(i),
          key: Buffer.from(metadata.partitionKey),
          value: encodeEnvelope({ metadata, data: { orderId: `order-${i}`, customerId: `c-${i % 5000}`, total: { amount: i % 1000, currency: 'EUR' }, items: [{ sku: 'sku-1', quantity: 1 }] } }),
          headers: envelopeHeaders(metadata),
          timestamp: String(Date.now()),
        };
        const m = buildDeadLetterMessage({ record, groupId: kind.group, reason: kind.reason, error: kind.error, attempts: 4, correlationId: metadata.correlationId, failedAt: new Date(Date.now() - (i % 10) * 3_600_000) });
        messages.push({ key: m.key, value: m.value, headers: m.headers as kafkajs.IHeaders, partition: i % PARTITIONS });
      }
      await producer.send({ topic, acks: -1, messages });
    }
    const fillMs = performance.now() - t0;
    if (process.env.DLQ_BENCH_VERBOSE) process.stderr.write(`filled ${records} in ${(fillMs / 1000).toFixed(1)} s\n`);
    const t1 = performance.now();
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin/gen.js'), 'dlq', 'list', '--topic', topic, '--json', '--brokers', brokers], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const listMs = performance.now() - t1;
    const counted = Number(JSON.parse(stdout).topics[0].total);
    if (counted !== records) throw new Error(`gen dlq list counted ${counted}, expected ${records}`);
    return { brokers, records, fillMs, listMs, counted };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await benchDlq();
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(result) + '\n');
  else
    process.stdout.write(
      `dlq list: ${result.records.toLocaleString('en')} dead letters counted in ${(result.listMs / 1000).toFixed(2)} s as a process (target < 10 s; fill ${(result.fillMs / 1000).toFixed(1)} s; ${result.brokers})\n`,
    );
}

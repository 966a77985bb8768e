/** The shop example on real Kafka: `npm run example` with KAFKA_BROKERS set (integration project). */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { kafkaBrokers } from '../../../test/support/kafka.js';

const brokers = await kafkaBrokers();

describe.skipIf(!brokers)('shop example (Kafka)', () => {
  it('`KAFKA_BROKERS=… npm run example` confirms every order and notifies declines over Kafka, run after run on one broker', async () => {
    // The second run finds the first run's records (and any earlier run's) on the topics: it must not wait behind them.
    for (const run of [1, 2]) {
      const started = Date.now();
      const { stdout } = await promisify(execFile)(process.execPath, [path.resolve(import.meta.dirname, '../run.mjs')], { env: { ...process.env, KAFKA_BROKERS: brokers! }, encoding: 'utf8', timeout: 120_000 });
      console.log(`[it] example run ${run}: ${Date.now() - started} ms`);
      expect(stdout).toMatch(/on Kafka at .*: 8 orders, 2 declined, 10 notifications/);
      expect(stdout).toMatch(/payment-service processed [1-9]/);
    }
  });
});

/**
 * Vitest global set-up of the `integration` project (runs only when integration tests are part of the run):
 * provides a Kafka bootstrap address and a Redis URL to the tests, starting a local broker (scripts/kafka) and
 * a redis-server when none is given, and stopping only what it started. Without a broker the tests skip with one
 * line saying why; with REQUIRE_KAFKA=1 a missing broker or Redis fails the run instead.
 */
import type { TestProject } from 'vitest/node';
import { brokerAnswers, redisAnswers, startBroker, startRedis, stopBroker, stopRedis } from '../../scripts/kafka/lib.mjs';

const log = (line: string): void => void process.stderr.write(`[kafka] ${line}\n`);
const HOW = 'run `npm run kafka:start` (Java 17 + Maven) or set KAFKA_BROKERS=host:port; REQUIRE_KAFKA=1 turns this into a failure';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const required = process.env.REQUIRE_KAFKA === '1';
  const cleanup: Array<() => Promise<unknown>> = [];
  let brokers = '';
  let problem = '';
  const given = process.env.KAFKA_BROKERS?.trim();
  if (given) {
    if (await brokerAnswers(given.split(',')[0] ?? given, 10_000)) brokers = given;
    else problem = `KAFKA_BROKERS=${given} does not answer a metadata request`;
  } else {
    try {
      const r = await startBroker({ log });
      brokers = r.bootstrap;
      if (r.started) {
        log(`Local Kafka started for this run on ${r.bootstrap} in ${(r.ms / 1000).toFixed(1)} s`);
        cleanup.push(() => stopBroker({ log }));
      }
    } catch (error) {
      problem = `could not start a local broker: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  const redisPort = Number(new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379);
  let redisUrl = '';
  if (await redisAnswers(redisPort)) redisUrl = process.env.REDIS_URL ?? `redis://127.0.0.1:${redisPort}`;
  else {
    try {
      const r = await startRedis({ port: redisPort, log });
      redisUrl = r.url;
      if (r.started) cleanup.push(() => stopRedis({ port: redisPort, log }));
    } catch (error) {
      problem ||= `no Redis on ${redisPort}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  if (problem) {
    const line = `Kafka integration tests SKIPPED: ${problem.split('\n')[0]} (${HOW})`;
    if (required) {
      for (const undo of cleanup.reverse()) await undo();
      throw new Error(`REQUIRE_KAFKA=1 and the integration environment is missing: ${problem}`);
    }
    process.stderr.write(`${line}\n`);
  }
  project.provide('kafkaBrokers', problem ? '' : brokers);
  project.provide('redisUrl', problem ? '' : redisUrl);
  project.provide('integrationSkipReason', problem ? problem.split('\n')[0] ?? problem : '');
  return async () => {
    for (const undo of cleanup.reverse()) await undo();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    redisUrl: string;
    integrationSkipReason: string;
  }
}

/**
 * What a witness scenario needs: the run's Kafka broker and Redis (from the integration project's global set-up)
 * and PostgreSQL as the witness. Missing parts skip the scenario with one line saying why; with REQUIRE_KAFKA=1
 * (CI) they fail the run instead.
 */
import { kafkaBrokers, redisUrl, skipReason } from '../../support/kafka.js';
import { PG_URL, pgProblem } from './witness-db.js';

/** The services of a scenario, or why it cannot run. */
export interface WitnessEnv {
  brokers: string;
  redis: string;
  pg: string;
  /** '' when the scenario can run. */
  reason: string;
}

/** Resolves the services; prints the skip reason (or throws under REQUIRE_KAFKA=1). */
export async function witnessEnv(scenario: string, needs: { redis?: boolean } = {}): Promise<WitnessEnv> {
  const brokers = (await kafkaBrokers()) ?? '';
  const redis = (await redisUrl()) ?? '';
  let reason = '';
  if (brokers === '') reason = skipReason() || 'no Kafka for this run';
  else if (needs.redis === true && redis === '') reason = 'no Redis for this run';
  else reason = await pgProblem(PG_URL);
  if (reason !== '') {
    if (process.env.REQUIRE_KAFKA === '1') throw new Error(`REQUIRE_KAFKA=1 and the witness scenario ${scenario} cannot run: ${reason}`);
    process.stderr.write(`Witness scenario ${scenario} SKIPPED: ${reason}\n`);
  }
  return { brokers, redis, pg: PG_URL, reason };
}

/**
 * Integration-test access to Kafka and Redis. The `integration` vitest project's global set-up
 * (test/integration/global-setup.ts) uses KAFKA_BROKERS when set, otherwise starts the local broker
 * (scripts/kafka) once for the run; without one the integration tests skip (REQUIRE_KAFKA=1: the run fails).
 */
import { inject } from 'vitest';

/** Bootstrap servers (`host:port[,host:port]`) for this run, or undefined when no broker is available. */
export async function kafkaBrokers(): Promise<string | undefined> {
  const provided = inject('kafkaBrokers') as string | undefined;
  // Outside the integration project (no global set-up ran): an explicitly given broker still counts.
  if (provided === undefined) return process.env.KAFKA_BROKERS?.trim() || undefined;
  return provided || undefined;
}

/** Redis URL for this run, or undefined. */
export async function redisUrl(): Promise<string | undefined> {
  return (inject('redisUrl') as string | undefined) || undefined;
}

/** Why integration tests are skipped ('' when they run). */
export function skipReason(): string {
  return inject('integrationSkipReason') ?? '';
}

/** A name unique to this run, for topics and groups (the local broker keeps its data between runs). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

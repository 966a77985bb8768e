/**
 * Schema registry access for tests: REGISTRY_URL when set, else the local Apicurio Registry that
 * `npm run registry:start` (scripts/registry) runs on 127.0.0.1:18081. Tests skip with one line when none answers;
 * with REQUIRE_REGISTRY=1 (set by .ci/run) a missing registry fails them instead.
 */
import { registryAnswers, registrySettings } from '../../scripts/registry/registry.mjs';

const HOW = 'run `npm run registry:start` (Java 21+ and Maven) or set REGISTRY_URL; REQUIRE_REGISTRY=1 turns this into a failure';

/** The Confluent-compatible base URL of a registry that answers, or undefined (after one SKIPPED line). */
export async function registryUrl(suite: string): Promise<string | undefined> {
  const url = process.env.REGISTRY_URL?.trim() || registrySettings().url;
  if (await registryAnswers(url, 3000)) return url;
  const problem = `no schema registry answers at ${url}`;
  if (process.env.REQUIRE_REGISTRY === '1') throw new Error(`REQUIRE_REGISTRY=1 and ${problem} (${HOW})`);
  process.stderr.write(`${suite} SKIPPED: ${problem} (${HOW})\n`);
  return undefined;
}

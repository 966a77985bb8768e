/** Sample payloads for the NestJS tests: the catalog's own examples (they validate against the schemas). */
import { generateNest, SHOP } from './support.js';

let shop: ReturnType<typeof generateNest> | undefined;

export async function catalogExample(eventType: string): Promise<Record<string, unknown>> {
  const result = await (shop ??= generateNest(SHOP));
  const event = result.catalog?.events.find((e) => e.type === eventType);
  const payload = event?.examples[0]?.payload;
  if (payload === undefined || payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw new Error(`no example for ${eventType}`);
  return structuredClone(payload) as Record<string, unknown>;
}

/** Who sends: the Kafka operation binding's `clientId`, read for docs only (never an error: it is informational). */
import { isRecord } from './context.js';

/** A string, or a schema pinning one (`const`, or `enum` with one value); anything else is undefined. */
export function pinnedString(raw: unknown): string | undefined {
  if (typeof raw === 'string' && raw !== '') return raw;
  if (!isRecord(raw)) return undefined;
  if (typeof raw.const === 'string' && raw.const !== '') return raw.const;
  if (Array.isArray(raw.enum) && raw.enum.length === 1 && typeof raw.enum[0] === 'string' && raw.enum[0] !== '') return raw.enum[0];
  return undefined;
}

import { createHash } from 'node:crypto';

/** Namespace of eventgen's name-based event ids (a fixed random UUID; changing it would change every derived id). */
export const EVENTGEN_ID_NAMESPACE = '6f1c1a52-5b0e-4a6e-9a53-2f1f3c2d7e10';

/**
 * A name-based UUID (version 5, RFC 9562: SHA-1 of namespace + name): the same name always gives the same id, so a
 * record handled twice produces events with the same ids and downstream consumers can deduplicate them.
 */
export function uuidV5(name: string, namespace: string = EVENTGEN_ID_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new RangeError(`Invalid UUID namespace '${namespace}'`);
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The event id of a record that carries none (a legacy producer): stable per topic, partition and offset. */
export function recordEventId(record: { topic: string; partition: number; offset: string }): string {
  return uuidV5(`record:${record.topic}:${record.partition}:${record.offset}`);
}

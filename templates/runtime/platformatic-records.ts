/** Fetched record batches of @platformatic/kafka as the runtime's {@link ConsumedRecord}s (platformatic transport). */
import type { PltRecordsBatch } from './platformatic-client.js';
import type { ConsumedRecord, HeaderValue, RecordHeaders, TopicPartition } from './transport.js';

/** Record batch attribute: a control batch (transaction markers), never handed out. */
const IS_CONTROL = 1 << 5;

/** Partitions grouped by topic, in first-seen order. */
export function byTopic(partitions: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const map = new Map<string, number[]>();
  for (const p of partitions) {
    let list = map.get(p.topic);
    if (list === undefined) map.set(p.topic, (list = []));
    list.push(p.partition);
  }
  return [...map].map(([topic, list]) => ({ topic, partitions: list }));
}

/** The records at or after `from` (control batches left out) and the offset after the last batch. */
export function toRecords(topic: string, partition: number, batches: readonly PltRecordsBatch[], from: bigint): { records: ConsumedRecord[]; next: bigint | undefined } {
  const records: ConsumedRecord[] = [];
  let next: bigint | undefined;
  for (const batch of batches) {
    next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
    if ((batch.attributes & IS_CONTROL) !== 0) continue;
    for (const r of batch.records) {
      const offset = batch.firstOffset + BigInt(r.offsetDelta);
      if (offset < from) continue;
      records.push({
        topic,
        partition,
        offset: offset.toString(),
        key: r.key,
        value: r.value,
        headers: toHeaders(r.headers),
        timestamp: (batch.firstTimestamp + r.timestampDelta).toString(),
      });
    }
  }
  return { records, next };
}

const NO_HEADERS: RecordHeaders = Object.freeze({}) as RecordHeaders;

/** Wire headers as the runtime reads them: repeated names become arrays, null values stay null, any name is an own property. */
export function toHeaders(headers: ReadonlyArray<[Buffer | null, Buffer | null]>): RecordHeaders {
  if (headers.length === 0) return NO_HEADERS;
  const out: RecordHeaders = {};
  for (const [rawName, value] of headers) {
    const name = rawName === null ? '' : rawName.toString('utf8');
    const v: HeaderValue = value;
    if (Object.prototype.hasOwnProperty.call(out, name)) {
      const existing = out[name] as HeaderValue | HeaderValue[];
      out[name] = Array.isArray(existing) ? [...existing, v] : [existing, v];
    } else {
      // defineProperty: a header named `__proto__` becomes an own property, not the prototype.
      Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

/**
 * Kafka's default partitioner as implemented by kafkajs (`Partitioners.DefaultPartitioner`, Java-compatible
 * murmur2), so a key maps to the same partition in memory as on a real cluster.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** murmur2 hash of a key (UTF-8 for strings), as a signed 32-bit integer (same result as kafkajs). */
export function murmur2(key: string | Buffer): number {
  const data = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const length = data.length;
  // kafkajs computes with 64-bit Longs but only the low 32 bits reach the result, so 32-bit math is exact.
  let h = (SEED ^ length) | 0;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    let k = data.readInt32LE(i * 4);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  // The Java switch falls through; cascading ifs do the same without fallthrough cases.
  const rest = length & 3;
  if (rest >= 3) h ^= byteAt(data, tail + 2) << 16;
  if (rest >= 2) h ^= byteAt(data, tail + 1) << 8;
  if (rest >= 1) {
    h ^= byteAt(data, tail);
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Partition of a key among `partitionCount` partitions: `toPositive(murmur2(key)) % partitionCount`. */
export function partitionForKey(key: string | Buffer, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}

function byteAt(data: Buffer, index: number): number {
  return data.readUInt8(index);
}

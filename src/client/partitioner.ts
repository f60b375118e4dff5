// Partition choice for records without an explicit partition.
//
// With a key: toPositive(murmur2(key)) % partitionCount, bit for bit what Java's built-in
// partitioner and librdkafka's murmur2_random do, so a Samsa producer and a Java or librdkafka
// producer send the same key to the same partition.
// Without a key: "sticky" - one partition, chosen at random among those with a leader, takes
// records until about batchSize bytes went to it, then another is chosen. Batches fill up
// instead of many tiny batches being spread over every partition.

/** Kafka's murmur2 (Utils.murmur2): 32-bit signed result, seed 0x9747b28c. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const at = i * 4;
    let k = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The tail bytes are mixed in highest first, as Java's fall-through switch does.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs, which differs for MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Java's default partitioner picks for `key` among `partitionCount`. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return toPositive(murmur2(key)) % partitionCount;
}

export interface PartitionerArgs {
  topic: string;
  /** The serialized key. */
  key: Buffer | null;
  value: Buffer | null;
  partitionCount: number;
  /** Partitions that have a leader right now (never empty when partitionCount > 0). */
  availablePartitions: readonly number[];
}

/** Returns the partition for a record, or undefined to let the default partitioner decide. */
export type Partitioner = (args: PartitionerArgs) => number | undefined;

interface Sticky {
  partition: number;
  bytes: number;
}

/** The default: murmur2 for keyed records, sticky for the rest. */
export class DefaultPartitioner {
  private readonly sticky = new Map<string, Sticky>();

  constructor(
    private readonly batchSize: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The partition for a record of `size` bytes. */
  partition(args: PartitionerArgs, size: number): number {
    if (args.key !== null) return partitionForKey(args.key, args.partitionCount);
    let s = this.sticky.get(args.topic);
    if (!s || s.partition >= args.partitionCount || s.bytes >= this.batchSize) {
      s = { partition: this.pick(args, s?.partition), bytes: 0 };
      this.sticky.set(args.topic, s);
    }
    s.bytes += size;
    return s.partition;
  }

  private pick(args: PartitionerArgs, previous: number | undefined): number {
    const from = args.availablePartitions.length > 0 ? args.availablePartitions : undefined;
    const count = from ? from.length : args.partitionCount;
    if (count === 1) return from ? from[0]! : 0;
    // Move on from the previous partition so a switch really spreads load.
    for (;;) {
      const i = Math.floor(this.random() * count);
      const p = from ? from[i]! : i;
      if (p !== previous) return p;
    }
  }
}

// The cleaner's key -> latest offset map (Kafka's SkimpyOffsetMap): a fixed block of memory with,
// per slot, the MD5 digest of a key (16 bytes) and an offset (8), so the memory used is bounded by
// log.cleaner.dedupe.buffer.size whatever the keys' sizes. Keys are never stored, so two keys with
// the same digest would be taken for one; at 128 bits that is the risk Kafka accepts too.
import { createHash, hash as oneShotHash } from 'node:crypto';

export const OFFSET_MAP_ENTRY_BYTES = 24;

// crypto.hash arrived in Node 20.12 and is about twice as fast as a Hash object for short keys.
const md5: (key: Buffer) => Buffer =
  typeof oneShotHash === 'function'
    ? (key) => oneShotHash('md5', key, 'buffer')
    : (key) => createHash('md5').update(key).digest();

export class OffsetMap {
  readonly slots: number;
  /** Four 32-bit words of digest per slot. */
  private readonly digests: Uint32Array;
  /** offset + 1 per slot; 0 marks a free slot. */
  private readonly offsets: Float64Array;
  private entries = 0;
  /** The last offset the map covers (Kafka's latestOffset): records above it were not seen. */
  latestOffset = -1;
  /** Probes beyond the first slot, for the utilisation the cleaner logs. */
  collisions = 0;

  /** A map using about `memoryBytes` (at least two slots: one always stays free). */
  constructor(memoryBytes: number) {
    this.slots = Math.max(2, Math.floor(memoryBytes / OFFSET_MAP_ENTRY_BYTES));
    this.digests = new Uint32Array(this.slots * 4);
    this.offsets = new Float64Array(this.slots);
  }

  get size(): number {
    return this.entries;
  }

  get utilization(): number {
    return this.entries / this.slots;
  }

  /** Records `offset` as the latest for `key` (offsets come in increasing order). */
  put(key: Buffer, offset: number): void {
    const d = md5(key);
    const slot = this.find(d);
    if (this.offsets[slot] === 0) {
      if (this.entries >= this.slots - 1) throw new RangeError('offset map is full');
      const at = slot * 4;
      this.digests[at] = d.readUInt32LE(0);
      this.digests[at + 1] = d.readUInt32LE(4);
      this.digests[at + 2] = d.readUInt32LE(8);
      this.digests[at + 3] = d.readUInt32LE(12);
      this.entries++;
    }
    this.offsets[slot] = offset + 1;
    this.latestOffset = offset;
  }

  /** The latest offset recorded for `key`, or -1. */
  get(key: Buffer): number {
    return this.offsets[this.find(md5(key))]! - 1;
  }

  updateLatestOffset(offset: number): void {
    this.latestOffset = offset;
  }

  /** The slot holding digest `d`, or the free slot where it would go (linear probing). */
  private find(d: Buffer): number {
    const w0 = d.readUInt32LE(0);
    const w1 = d.readUInt32LE(4);
    const w2 = d.readUInt32LE(8);
    const w3 = d.readUInt32LE(12);
    const ds = this.digests;
    let slot = w0 % this.slots;
    // Terminates: `put` always leaves one slot free.
    for (;;) {
      if (this.offsets[slot] === 0) return slot;
      const at = slot * 4;
      if (ds[at] === w0 && ds[at + 1] === w1 && ds[at + 2] === w2 && ds[at + 3] === w3) return slot;
      this.collisions++;
      slot = slot + 1 === this.slots ? 0 : slot + 1;
    }
  }
}

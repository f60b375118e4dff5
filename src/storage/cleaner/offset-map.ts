// The cleaner's key -> latest offset map (Kafka's SkimpyOffsetMap): per slot, the MD5 digest of a
// key (16 bytes) and an offset (8), so the memory used is bounded by log.cleaner.dedupe.buffer.size
// whatever the keys' sizes. Keys are never stored, so two keys with the same digest would be taken
// for one; at 128 bits that is the risk Kafka accepts too (a keyed or faster hash is possible, but
// an unkeyed fast one would let a client craft keys that collide with another group's offsets).
//
// Unlike Kafka's, which allocates its whole buffer once, the table starts small and doubles (up to
// the bound) while it is less than 3/4 full: a log with few keys does not pin 128 MiB, and no step
// of the cleaner pays for zeroing memory it will not use. At the bound it fills up to the cleaner's
// load factor. Digests are kept, so growing never hashes a key again.
import { createHash, hash as oneShotHash } from 'node:crypto';

export const OFFSET_MAP_ENTRY_BYTES = 24;
const INITIAL_SLOTS = 1 << 14;
const GROW_AT = 0.75;

// crypto.hash arrived in Node 20.12 and is about twice as fast as a Hash object for short keys.
const md5: (key: Buffer) => Buffer =
  typeof oneShotHash === 'function'
    ? (key) => oneShotHash('md5', key, 'buffer')
    : (key) => createHash('md5').update(key).digest();

export class OffsetMap {
  /** The most slots the memory bound allows. */
  readonly maxSlots: number;
  private slotCount: number;
  /** Four 32-bit words of digest per slot. */
  private digests: Uint32Array;
  /** offset + 1 per slot; 0 marks a free slot. */
  private offsets: Float64Array;
  private entries = 0;
  /** The last offset the map covers (Kafka's latestOffset): records above it were not seen. */
  latestOffset = -1;

  /** A map of at most about `maxMemoryBytes` (at least two slots: one always stays free). */
  constructor(maxMemoryBytes: number) {
    this.maxSlots = Math.max(2, Math.floor(maxMemoryBytes / OFFSET_MAP_ENTRY_BYTES));
    this.slotCount = Math.min(this.maxSlots, INITIAL_SLOTS);
    this.digests = new Uint32Array(this.slotCount * 4);
    this.offsets = new Float64Array(this.slotCount);
  }

  get size(): number {
    return this.entries;
  }

  /** Slots allocated now. */
  get slots(): number {
    return this.slotCount;
  }

  /** Entries over the most slots the bound allows. */
  get utilization(): number {
    return this.entries / this.maxSlots;
  }

  /** Records `offset` as the latest for `key` (offsets come in increasing order). */
  put(key: Buffer, offset: number): void {
    const d = md5(key);
    const w0 = d.readUInt32LE(0);
    const w1 = d.readUInt32LE(4);
    const w2 = d.readUInt32LE(8);
    const w3 = d.readUInt32LE(12);
    let slot = this.find(w0, w1, w2, w3);
    if (this.offsets[slot] === 0) {
      if (this.entries + 1 > this.slotCount * GROW_AT && this.slotCount < this.maxSlots) {
        this.grow();
        slot = this.find(w0, w1, w2, w3);
      }
      if (this.entries >= this.slotCount - 1) throw new RangeError('offset map is full');
      const at = slot * 4;
      this.digests[at] = w0;
      this.digests[at + 1] = w1;
      this.digests[at + 2] = w2;
      this.digests[at + 3] = w3;
      this.entries++;
    }
    this.offsets[slot] = offset + 1;
    this.latestOffset = offset;
  }

  /** The latest offset recorded for `key`, or -1. */
  get(key: Buffer): number {
    const d = md5(key);
    const slot = this.find(
      d.readUInt32LE(0),
      d.readUInt32LE(4),
      d.readUInt32LE(8),
      d.readUInt32LE(12),
    );
    return this.offsets[slot]! - 1;
  }

  updateLatestOffset(offset: number): void {
    this.latestOffset = offset;
  }

  /** The slot holding the digest, or the free slot where it would go (linear probing). */
  private find(w0: number, w1: number, w2: number, w3: number): number {
    const ds = this.digests;
    const offsets = this.offsets;
    const n = this.slotCount;
    let slot = w0 % n;
    // Terminates: `put` always leaves one slot free.
    for (;;) {
      if (offsets[slot] === 0) return slot;
      const at = slot * 4;
      if (ds[at] === w0 && ds[at + 1] === w1 && ds[at + 2] === w2 && ds[at + 3] === w3) return slot;
      slot = slot + 1 === n ? 0 : slot + 1;
    }
  }

  private grow(): void {
    const oldDigests = this.digests;
    const oldOffsets = this.offsets;
    const oldCount = this.slotCount;
    this.slotCount = Math.min(this.maxSlots, oldCount * 2);
    this.digests = new Uint32Array(this.slotCount * 4);
    this.offsets = new Float64Array(this.slotCount);
    for (let i = 0; i < oldCount; i++) {
      const offset = oldOffsets[i]!;
      if (offset === 0) continue;
      const at = i * 4;
      const slot = this.find(
        oldDigests[at]!,
        oldDigests[at + 1]!,
        oldDigests[at + 2]!,
        oldDigests[at + 3]!,
      );
      this.digests.set(oldDigests.subarray(at, at + 4), slot * 4);
      this.offsets[slot] = offset;
    }
  }
}

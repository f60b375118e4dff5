// Writes Kafka wire types. Small fields go into a growing scratch buffer; large payloads
// (record batches) are appended by reference with `rawBuffer`, so a Fetch response built
// from file reads is a list of buffers handed to the socket as they are (writev), never
// copied into one big buffer.
import type { UnknownTaggedField } from './reader.js';
import { uuidToBytes } from './uuid.js';

const MIN_CHUNK = 256;
/** Payloads at least this large are referenced, not copied, by rawBuffer. */
const REFERENCE_THRESHOLD = 512;

export class Writer {
  private chunk: Buffer;
  private pos = 0;
  /** Where the part of `chunk` not yet moved to `parts` starts. */
  private flushed = 0;
  private readonly parts: Buffer[] = [];
  private partsLength = 0;

  constructor(initialSize = MIN_CHUNK) {
    this.chunk = Buffer.allocUnsafe(Math.max(initialSize, 16));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.partsLength + (this.pos - this.flushed);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.chunk.length) return;
    // Keep what was written so far as a part, and continue in a fresh chunk.
    this.flushChunk();
    this.chunk = Buffer.allocUnsafe(Math.max(n, this.chunk.length * 2));
    this.pos = 0;
    this.flushed = 0;
  }

  private flushChunk(): void {
    if (this.pos > this.flushed) {
      const part = this.chunk.subarray(this.flushed, this.pos);
      this.parts.push(part);
      this.partsLength += part.length;
      this.flushed = this.pos;
    }
  }

  int8(v: number): this {
    this.ensure(1);
    this.chunk.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }
  int16(v: number): this {
    this.ensure(2);
    this.chunk.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  uint16(v: number): this {
    this.ensure(2);
    this.chunk.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.chunk.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  uint32(v: number): this {
    this.ensure(4);
    this.chunk.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  int64(v: bigint): this {
    this.ensure(8);
    this.chunk.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }
  float64(v: number): this {
    this.ensure(8);
    this.chunk.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }
  bool(v: boolean): this {
    this.ensure(1);
    this.chunk[this.pos++] = v ? 1 : 0;
    return this;
  }

  unsignedVarint(v: number): this {
    this.ensure(5);
    let u = v >>> 0;
    while (u >= 0x80) {
      this.chunk[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.chunk[this.pos++] = u;
    return this;
  }

  varint(v: number): this {
    return this.unsignedVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  varlong(v: bigint): this {
    this.ensure(10);
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (u >= 0x80n) {
      this.chunk[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.chunk[this.pos++] = Number(u);
    return this;
  }

  /** Zigzag varlong from a JS number (record deltas); exact below 2^53. */
  varlongNumber(v: number): this {
    if (v >= -0x40000000 && v < 0x40000000) return this.varint(v);
    return this.varlong(BigInt(v));
  }

  uuid(v: string): this {
    this.ensure(16);
    uuidToBytes(v, this.chunk, this.pos);
    this.pos += 16;
    return this;
  }

  /** Appends bytes without a length prefix. Large buffers are referenced, small ones copied. */
  rawBuffer(b: Buffer): this {
    if (b.length >= REFERENCE_THRESHOLD) {
      this.flushChunk();
      this.parts.push(b);
      this.partsLength += b.length;
    } else {
      this.ensure(b.length);
      b.copy(this.chunk, this.pos);
      this.pos += b.length;
    }
    return this;
  }

  private utf8(s: string, lengthPrefix: (n: number) => void): this {
    const n = Buffer.byteLength(s, 'utf8');
    lengthPrefix(n);
    this.ensure(n);
    this.chunk.write(s, this.pos, n, 'utf8');
    this.pos += n;
    return this;
  }

  string(s: string): this {
    return this.utf8(s, (n) => this.int16(n));
  }
  nullableString(s: string | null): this {
    return s === null ? this.int16(-1) : this.string(s);
  }
  compactString(s: string): this {
    return this.utf8(s, (n) => this.unsignedVarint(n + 1));
  }
  compactNullableString(s: string | null): this {
    return s === null ? this.unsignedVarint(0) : this.compactString(s);
  }

  bytes(b: Buffer): this {
    return this.int32(b.length).rawBuffer(b);
  }
  nullableBytes(b: Buffer | null): this {
    return b === null ? this.int32(-1) : this.bytes(b);
  }
  compactBytes(b: Buffer): this {
    return this.unsignedVarint(b.length + 1).rawBuffer(b);
  }
  compactNullableBytes(b: Buffer | null): this {
    return b === null ? this.unsignedVarint(0) : this.compactBytes(b);
  }

  arrayLength(n: number): this {
    return this.int32(n);
  }
  /** Compact array length: N+1, with -1 (null) written as 0. */
  compactArrayLength(n: number): this {
    return this.unsignedVarint(n + 1);
  }

  /** An empty tagged-field section, the common case. */
  emptyTaggedFields(): this {
    return this.unsignedVarint(0);
  }

  /** A tagged-field section from encoded values; Kafka requires ascending tag order. */
  taggedFields(fields: readonly UnknownTaggedField[]): this {
    const sorted = [...fields].sort((a, b) => a.tag - b.tag);
    this.unsignedVarint(sorted.length);
    for (const f of sorted)
      this.unsignedVarint(f.tag).unsignedVarint(f.data.length).rawBuffer(f.data);
    return this;
  }

  /** The bytes written, as a list of buffers in order (referenced payloads are not copied). */
  toBuffers(): Buffer[] {
    this.flushChunk();
    return this.parts;
  }

  /** The bytes written, as one buffer (copies when there is more than one part). */
  toBuffer(): Buffer {
    const parts = this.toBuffers();
    if (parts.length === 1) return parts[0]!;
    return Buffer.concat(parts, this.partsLength);
  }
}

// Reads Kafka wire types from a Buffer. Every read checks the bytes it needs against the end
// of the input first, so truncated or hostile input raises MalformedInputError rather than a
// RangeError, and no length read from the wire is trusted before it is checked.
import { MalformedInputError } from '../errors.js';
import { uuidFromBytes } from './uuid.js';

/** A field kept as raw bytes because this version of Samsa does not know its tag. */
export interface UnknownTaggedField {
  tag: number;
  data: Buffer;
}

export class Reader {
  readonly buf: Buffer;
  offset: number;
  readonly end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  /** Reserves n bytes and returns where they start; throws if the input is too short. */
  private take(n: number, what: string): number {
    const at = this.offset;
    if (n < 0 || at + n > this.end) {
      throw new MalformedInputError(
        `truncated input: ${what} needs ${n} bytes at offset ${at}, ${this.end - at} left`,
      );
    }
    this.offset = at + n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.take(1, 'int8'));
  }
  int16(): number {
    return this.buf.readInt16BE(this.take(2, 'int16'));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.take(2, 'uint16'));
  }
  int32(): number {
    return this.buf.readInt32BE(this.take(4, 'int32'));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.take(4, 'uint32'));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.take(8, 'int64'));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.take(8, 'float64'));
  }
  bool(): boolean {
    return this.buf[this.take(1, 'bool')] !== 0;
  }

  /** Unsigned LEB128 of at most 5 bytes (a uint32). */
  unsignedVarint(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      if (this.offset >= this.end) throw new MalformedInputError('truncated varint');
      const b = this.buf[this.offset++]!;
      if (i === 4 && b > 0x0f) throw new MalformedInputError('varint does not fit in 32 bits');
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value;
    }
    throw new MalformedInputError('varint longer than 5 bytes');
  }

  /** Zigzag-encoded signed 32-bit varint. */
  varint(): number {
    const u = this.unsignedVarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zigzag-encoded signed 64-bit varint, as a bigint. */
  varlong(): bigint {
    let value = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) throw new MalformedInputError('truncated varlong');
      const b = this.buf[this.offset++]!;
      if (i === 9 && b > 0x01) throw new MalformedInputError('varlong does not fit in 64 bits');
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (value >> 1n) ^ -(value & 1n);
      shift += 7n;
    }
    throw new MalformedInputError('varlong longer than 10 bytes');
  }

  /**
   * Zigzag varlong as a JS number, for record-level deltas on the hot path. Exact for
   * magnitudes below 2^53; larger values (never produced by real clients) lose precision.
   */
  varlongNumber(): number {
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) throw new MalformedInputError('truncated varlong');
      const b = this.buf[this.offset++]!;
      if (i === 9 && b > 0x01) throw new MalformedInputError('varlong does not fit in 64 bits');
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value % 2 === 1 ? -(value + 1) / 2 : value / 2;
    }
    throw new MalformedInputError('varlong longer than 10 bytes');
  }

  uuid(): string {
    const at = this.take(16, 'uuid');
    return uuidFromBytes(this.buf, at);
  }

  /** Raw bytes without a length prefix; a view into the input, not a copy. */
  raw(n: number): Buffer {
    const at = this.take(n, 'bytes');
    return this.buf.subarray(at, at + n);
  }

  private utf8(n: number): string {
    const at = this.take(n, 'string');
    return this.buf.toString('utf8', at, at + n);
  }

  string(): string {
    const n = this.int16();
    if (n < 0) throw new MalformedInputError(`non-nullable string has length ${n}`);
    return this.utf8(n);
  }
  nullableString(): string | null {
    const n = this.int16();
    if (n < -1) throw new MalformedInputError(`string length ${n}`);
    return n === -1 ? null : this.utf8(n);
  }
  compactString(): string {
    const n = this.unsignedVarint() - 1;
    if (n < 0) throw new MalformedInputError('non-nullable compact string is null');
    return this.utf8(n);
  }
  compactNullableString(): string | null {
    const n = this.unsignedVarint() - 1;
    return n < 0 ? null : this.utf8(n);
  }

  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) throw new MalformedInputError(`non-nullable bytes have length ${n}`);
    return this.raw(n);
  }
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n < -1) throw new MalformedInputError(`bytes length ${n}`);
    return n === -1 ? null : this.raw(n);
  }
  compactBytes(): Buffer {
    const n = this.unsignedVarint() - 1;
    if (n < 0) throw new MalformedInputError('non-nullable compact bytes are null');
    return this.raw(n);
  }
  compactNullableBytes(): Buffer | null {
    const n = this.unsignedVarint() - 1;
    return n < 0 ? null : this.raw(n);
  }

  /**
   * Array element count (int32, -1 for null). A count larger than the bytes left cannot be
   * honest (each element takes at least one byte), so it is refused before any allocation.
   */
  arrayLength(): number {
    const n = this.int32();
    if (n < -1) throw new MalformedInputError(`array length ${n}`);
    return this.checkCount(n);
  }
  /** Compact array element count (unsigned varint N+1, 0 for null); -1 means null. */
  compactArrayLength(): number {
    return this.checkCount(this.unsignedVarint() - 1);
  }
  private checkCount(n: number): number {
    if (n > this.remaining()) {
      throw new MalformedInputError(`array of ${n} elements in ${this.remaining()} bytes`);
    }
    return n;
  }

  /**
   * Reads a tagged-field section. `onTag` reads a known tag's value from a reader bounded to
   * its size and returns true; unknown tags (onTag returns false) are returned as raw bytes so
   * a decode → encode round trip keeps them.
   */
  taggedFields(onTag?: (tag: number, r: Reader) => boolean): UnknownTaggedField[] | undefined {
    const count = this.unsignedVarint();
    if (count === 0) return undefined;
    this.checkCount(count);
    let unknown: UnknownTaggedField[] | undefined;
    for (let i = 0; i < count; i++) {
      const tag = this.unsignedVarint();
      const size = this.unsignedVarint();
      const at = this.take(size, 'tagged field');
      const sub = new Reader(this.buf, at, at + size);
      if (onTag?.(tag, sub)) {
        if (sub.remaining() !== 0) {
          throw new MalformedInputError(`tagged field ${tag} has ${sub.remaining()} extra bytes`);
        }
      } else {
        unknown ??= [];
        unknown.push({ tag, data: this.buf.subarray(at, at + size) });
      }
    }
    return unknown;
  }
}

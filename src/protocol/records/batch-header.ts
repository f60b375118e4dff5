// A zero-copy view of a RecordBatch v2 header (magic 2), the unit Samsa stores and serves.
//
//   offset  size  field
//        0     8  baseOffset
//        8     4  batchLength            (bytes after this field)
//       12     4  partitionLeaderEpoch
//       16     1  magic                  (2)
//       17     4  crc                    (CRC32C of bytes 21..end)
//       21     2  attributes
//       23     4  lastOffsetDelta
//       27     8  baseTimestamp
//       35     8  maxTimestamp
//       43     8  producerId
//       51     2  producerEpoch
//       53     4  baseSequence
//       57     4  recordsCount
//       61        records
//
// Offsets, timestamps and producer ids are JS numbers here: the broker assigns offsets and
// producer ids from 0, and epoch-millisecond timestamps are far below 2^53. They are read and
// written as two 32-bit halves rather than through BigInt: the header is read several times per
// batch on the produce path (and per fetched batch in the client), and a BigInt read allocates.
import { crc32c } from '@node-rs/crc32';
import { MalformedInputError } from '../errors.js';

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
/** Bytes before batchLength's count starts: baseOffset + batchLength. */
export const LOG_OVERHEAD = 12;
export const RECORD_BATCH_OVERHEAD = 61;
const CORRUPT = 2; // CORRUPT_MESSAGE

export const CompressionType = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;
const DELETE_HORIZON_BIT = 0x40;

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

const TWO_POW_32 = 2 ** 32;

/**
 * The int64 at `at` as a number, without allocating a BigInt: the same value as
 * `Number(buf.readBigInt64BE(at))`, exact up to 2^53 in magnitude and rounded the same way above
 * (the two halves are combined with a single rounding).
 */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_POW_32 + buf.readUInt32BE(at + 4);
}

/**
 * Writes `v` as an int64 at `at`, as `buf.writeBigInt64BE(BigInt(v), at)` does: safe integers
 * through two 32-bit halves (no BigInt), anything else through BigInt, which throws for
 * non-integers, values out of range and positions past the end just as before (writing nothing).
 */
export function writeInt64(buf: Buffer, v: number, at: number): void {
  if (Number.isSafeInteger(v) && at >= 0 && at + 8 <= buf.length) {
    const high = Math.floor(v / TWO_POW_32);
    buf.writeInt32BE(high, at);
    buf.writeUInt32BE(v - high * TWO_POW_32, at + 4);
  } else {
    buf.writeBigInt64BE(BigInt(v), at);
  }
}

export class RecordBatchHeader {
  /** The whole batch, header and records: `buf.length === LOG_OVERHEAD + batchLength`. */
  readonly buf: Buffer;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  get baseOffset(): number {
    return readInt64(this.buf, BASE_OFFSET_OFFSET);
  }
  set baseOffset(v: number) {
    writeInt64(this.buf, v, BASE_OFFSET_OFFSET);
  }
  get batchLength(): number {
    return this.buf.readInt32BE(BATCH_LENGTH_OFFSET);
  }
  get partitionLeaderEpoch(): number {
    return this.buf.readInt32BE(PARTITION_LEADER_EPOCH_OFFSET);
  }
  set partitionLeaderEpoch(v: number) {
    this.buf.writeInt32BE(v, PARTITION_LEADER_EPOCH_OFFSET);
  }
  get magic(): number {
    return this.buf.readInt8(MAGIC_OFFSET);
  }
  get crc(): number {
    return this.buf.readUInt32BE(CRC_OFFSET);
  }
  get attributes(): number {
    return this.buf.readInt16BE(ATTRIBUTES_OFFSET);
  }
  /** The codec bits (0-4 are defined; a larger value is refused by validation). */
  get compression(): number {
    return this.attributes & COMPRESSION_MASK;
  }
  get timestampType(): TimestampType {
    return this.attributes & TIMESTAMP_TYPE_BIT
      ? TimestampType.LogAppendTime
      : TimestampType.CreateTime;
  }
  get isTransactional(): boolean {
    return (this.attributes & TRANSACTIONAL_BIT) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & CONTROL_BIT) !== 0;
  }
  get hasDeleteHorizon(): boolean {
    return (this.attributes & DELETE_HORIZON_BIT) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.buf.readInt32BE(23);
  }
  get baseTimestamp(): number {
    return readInt64(this.buf, 27);
  }
  get maxTimestamp(): number {
    return readInt64(this.buf, 35);
  }
  get producerId(): number {
    return readInt64(this.buf, 43);
  }
  get producerEpoch(): number {
    return this.buf.readInt16BE(51);
  }
  get baseSequence(): number {
    return this.buf.readInt32BE(53);
  }
  get recordsCount(): number {
    return this.buf.readInt32BE(57);
  }
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta;
  }
  /** The offset after this batch: where the next batch starts. */
  get nextOffset(): number {
    return this.lastOffset + 1;
  }
  /** Sequence of the last record, wrapping at int32 as Kafka's does. */
  get lastSequence(): number {
    const base = this.baseSequence;
    if (base === NO_SEQUENCE) return NO_SEQUENCE;
    return (base + this.lastOffsetDelta) % 0x80000000;
  }

  computeCrc(): number {
    return crc32c(this.buf.subarray(ATTRIBUTES_OFFSET)) >>> 0;
  }
  isCrcValid(): boolean {
    return this.computeCrc() === this.crc;
  }
  /** Rewrites the CRC after the broker changed bytes it covers (LogAppendTime, compaction). */
  updateCrc(): void {
    this.buf.writeUInt32BE(this.computeCrc(), CRC_OFFSET);
  }
}

/**
 * Splits a buffer of concatenated record batches into batch views (no copies).
 * `allowPartialTail`: a fetch response may end in a truncated batch, which readers skip;
 * everywhere else a partial batch is malformed input. Only magic 2 is accepted here; legacy
 * message sets (magic 0/1) are read by legacy.ts.
 */
export function splitBatches(buf: Buffer, allowPartialTail = false): RecordBatchHeader[] {
  const out: RecordBatchHeader[] = [];
  let at = 0;
  while (at < buf.length) {
    const left = buf.length - at;
    if (left < MAGIC_OFFSET + 1) {
      if (allowPartialTail) break;
      throw new MalformedInputError(`${left} trailing bytes after the last record batch`, CORRUPT);
    }
    const magic = buf.readInt8(at + MAGIC_OFFSET);
    if (magic !== 2) {
      throw new MalformedInputError(`record batch magic ${magic} is not supported here`, CORRUPT);
    }
    const batchLength = buf.readInt32BE(at + BATCH_LENGTH_OFFSET);
    if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
      throw new MalformedInputError(`record batch length ${batchLength} is too small`, CORRUPT);
    }
    const size = LOG_OVERHEAD + batchLength;
    if (size > left) {
      if (allowPartialTail) break;
      throw new MalformedInputError(`record batch of ${size} bytes truncated to ${left}`, CORRUPT);
    }
    out.push(new RecordBatchHeader(buf.subarray(at, at + size)));
    at += size;
  }
  return out;
}

// Builds a v2 record batch from records: the client's produce path, control markers, and
// anything the broker writes itself (coordinator state, compaction output).
import { crc32c } from '@node-rs/crc32';
import {
  ATTRIBUTES_OFFSET,
  CompressionType,
  CRC_OFFSET,
  LOG_OVERHEAD,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORD_BATCH_OVERHEAD,
  RecordBatchHeader,
  TimestampType,
} from './batch-header.js';
import { compress } from './compression/index.js';
import { type RecordHeader, sizeOfVarint, sizeOfVarlong } from './record.js';

/** Kafka's value for "no timestamp" (an empty batch's base and max timestamps). */
export const NO_TIMESTAMP = -1;

export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: readonly RecordHeader[];
  /** Absolute timestamp in ms; stored as a delta from the batch's base timestamp. */
  timestamp: number;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
}

export interface BuildRecordBatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  /** gzip or zstd level; the codec's Kafka default when absent. */
  compressionLevel?: number;
  timestampType?: TimestampType;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  records: readonly RecordInput[];
  /** Defaults to the first record's timestamp, as Kafka's MemoryRecordsBuilder does. */
  baseTimestamp?: number;
  /** Defaults to the largest record timestamp (pass the append time for LogAppendTime). */
  maxTimestamp?: number;
  /** Defaults to the last record's offsetDelta (-1 for an empty batch). */
  lastOffsetDelta?: number;
}

const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;

function attributesOf(o: BuildRecordBatchOptions): number {
  let a = (o.compression ?? CompressionType.None) & 0x07;
  if (o.timestampType === TimestampType.LogAppendTime) a |= TIMESTAMP_TYPE_BIT;
  if (o.isTransactional) a |= TRANSACTIONAL_BIT;
  if (o.isControl) a |= CONTROL_BIT;
  return a;
}

export function buildRecordBatch(options: BuildRecordBatchOptions): RecordBatchHeader {
  const records = options.records;
  const compression = options.compression ?? CompressionType.None;
  const baseTimestamp = options.baseTimestamp ?? records[0]?.timestamp ?? NO_TIMESTAMP;

  const bodySizes = new Array<number>(records.length);
  let payloadSize = 0;
  let maxTimestamp = NO_TIMESTAMP;
  for (let i = 0; i < records.length; i++) {
    const rec = records[i]!;
    if (rec.timestamp > maxTimestamp) maxTimestamp = rec.timestamp;
    const body = recordBodySize(rec, rec.timestamp - baseTimestamp, rec.offsetDelta ?? i);
    bodySizes[i] = body;
    payloadSize += sizeOfVarint(body) + body;
  }
  const lastOffsetDelta =
    options.lastOffsetDelta ??
    (records.length === 0 ? -1 : (records[records.length - 1]!.offsetDelta ?? records.length - 1));

  let batch: Buffer;
  if (compression === CompressionType.None) {
    batch = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + payloadSize);
    writeRecords(batch, RECORD_BATCH_OVERHEAD, records, bodySizes, baseTimestamp);
  } else {
    const payload = Buffer.allocUnsafe(payloadSize);
    writeRecords(payload, 0, records, bodySizes, baseTimestamp);
    const compressed = compress(compression, payload, { level: options.compressionLevel });
    batch = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + compressed.length);
    compressed.copy(batch, RECORD_BATCH_OVERHEAD);
  }

  batch.writeBigInt64BE(BigInt(options.baseOffset ?? 0), 0);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, 8);
  batch.writeInt32BE(options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, 12);
  batch.writeInt8(2, 16);
  batch.writeInt16BE(attributesOf(options), ATTRIBUTES_OFFSET);
  batch.writeInt32BE(lastOffsetDelta, 23);
  batch.writeBigInt64BE(BigInt(baseTimestamp), 27);
  batch.writeBigInt64BE(BigInt(options.maxTimestamp ?? maxTimestamp), 35);
  batch.writeBigInt64BE(BigInt(options.producerId ?? NO_PRODUCER_ID), 43);
  batch.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, 51);
  batch.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, 53);
  batch.writeInt32BE(records.length, 57);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)) >>> 0, CRC_OFFSET);
  return new RecordBatchHeader(batch);
}

function nullableSize(b: Buffer | null | undefined): number {
  return b == null ? 1 : sizeOfVarint(b.length) + b.length;
}

function recordBodySize(rec: RecordInput, timestampDelta: number, offsetDelta: number): number {
  let size =
    1 + // attributes
    sizeOfVarlong(timestampDelta) +
    sizeOfVarint(offsetDelta) +
    nullableSize(rec.key) +
    nullableSize(rec.value);
  const headers = rec.headers ?? [];
  size += sizeOfVarint(headers.length);
  for (const h of headers) {
    const keyLength = Buffer.byteLength(h.key, 'utf8');
    size += sizeOfVarint(keyLength) + keyLength + nullableSize(h.value);
  }
  return size;
}

function writeRecords(
  buf: Buffer,
  at: number,
  records: readonly RecordInput[],
  bodySizes: number[],
  baseTimestamp: number,
): void {
  let pos = at;
  for (let i = 0; i < records.length; i++) {
    const rec = records[i]!;
    pos = writeVarint(buf, pos, bodySizes[i]!);
    buf[pos++] = 0; // attributes
    pos = writeVarlong(buf, pos, rec.timestamp - baseTimestamp);
    pos = writeVarint(buf, pos, rec.offsetDelta ?? i);
    pos = writeNullable(buf, pos, rec.key);
    pos = writeNullable(buf, pos, rec.value);
    const headers = rec.headers ?? [];
    pos = writeVarint(buf, pos, headers.length);
    for (const h of headers) {
      const keyLength = Buffer.byteLength(h.key, 'utf8');
      pos = writeVarint(buf, pos, keyLength);
      pos += buf.write(h.key, pos, keyLength, 'utf8');
      pos = writeNullable(buf, pos, h.value);
    }
  }
}

function writeUnsigned(buf: Buffer, pos: number, u: number): number {
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  return writeUnsigned(buf, pos, ((v << 1) ^ (v >> 31)) >>> 0);
}

function writeVarlong(buf: Buffer, pos: number, v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return writeVarint(buf, pos, v);
  let u = BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n));
  while (u >= 0x80n) {
    buf[pos++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  buf[pos++] = Number(u);
  return pos;
}

function writeNullable(buf: Buffer, pos: number, b: Buffer | null | undefined): number {
  if (b == null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  return pos + b.copy(buf, pos);
}

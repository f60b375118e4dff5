// The records inside a v2 batch. On the wire each record is
//
//   length varint (bytes after this field), attributes int8 (unused), timestampDelta varlong,
//   offsetDelta varint, key varint-length bytes (-1 = null), value likewise,
//   headers: count varint, then [key varint-length string, value varint-length bytes (-1 = null)]
//
// and the records section of a batch (after the 61-byte header) is compressed as a whole when
// the batch's codec is not none. Decoded keys and values are views into the batch (or into the
// decompressed payload), not copies.
import { MalformedInputError } from '../errors.js';
import { Reader } from '../primitives/reader.js';
import { RECORD_BATCH_OVERHEAD, type RecordBatchHeader, TimestampType } from './batch-header.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decompress } from './compression/index.js';

const CORRUPT_MESSAGE = 2;

/**
 * The smallest record: length, attributes, timestampDelta, offsetDelta, key length, value
 * length and header count, one byte each. A count of records that cannot fit the bytes
 * available is refused before anything is allocated for it.
 */
export const MIN_RECORD_SIZE = 7;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface Record {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface ReadRecordsOptions {
  /** Refuse a compressed payload that inflates beyond this (default 64 MiB). */
  maxBytes?: number;
}

/** The record's offset in the partition. */
export function recordOffset(batch: RecordBatchHeader, record: Record): number {
  return batch.baseOffset + record.offsetDelta;
}

/**
 * The record's timestamp as consumers see it: with LogAppendTime every record carries the
 * batch's maxTimestamp (the time the broker appended it), otherwise base + delta.
 */
export function recordTimestamp(batch: RecordBatchHeader, record: Record): number {
  if (batch.timestampType === TimestampType.LogAppendTime) return batch.maxTimestamp;
  return batch.baseTimestamp + record.timestampDelta;
}

/**
 * The records section of a batch, decompressed when the batch is compressed. An uncompressed
 * section is returned as a view into the batch.
 */
export function recordsPayload(batch: RecordBatchHeader, options: ReadRecordsOptions = {}): Buffer {
  if (batch.buf.length < RECORD_BATCH_OVERHEAD) {
    throw new MalformedInputError(
      `record batch of ${batch.buf.length} bytes is shorter than its header`,
      CORRUPT_MESSAGE,
    );
  }
  const section = batch.buf.subarray(RECORD_BATCH_OVERHEAD);
  const codec = batch.compression;
  if (codec === 0) return section;
  return decompress(codec, section, options.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
}

/** All records of a batch, decompressing first when needed. Does not check the CRC. */
export function readRecords(batch: RecordBatchHeader, options: ReadRecordsOptions = {}): Record[] {
  return decodeRecords(recordsPayload(batch, options), batch.recordsCount);
}

/**
 * Yields a batch's records one at a time; decoding stops at the first malformed record, after
 * the good ones before it were yielded.
 */
export function* iterateRecords(
  batch: RecordBatchHeader,
  options: ReadRecordsOptions = {},
): Generator<Record, void, undefined> {
  const payload = recordsPayload(batch, options);
  const count = checkCount(batch.recordsCount, payload.length);
  const r = new Reader(payload);
  for (let i = 0; i < count; i++) {
    let record: Record;
    try {
      record = decodeRecord(r);
    } catch (err) {
      throw asCorrupt(err);
    }
    yield record;
  }
  checkNothingLeft(r, count);
}

/**
 * The Reader reports truncation as INVALID_REQUEST, the code for a malformed request; inside a
 * record batch the same fault is CORRUPT_MESSAGE.
 */
function asCorrupt(err: unknown): unknown {
  if (err instanceof MalformedInputError && err.code !== CORRUPT_MESSAGE) {
    return new MalformedInputError(err.message.replace(/^[A-Z_]+: /, ''), CORRUPT_MESSAGE);
  }
  return err;
}

/** Decodes exactly `count` records filling `payload` (an uncompressed records section). */
export function decodeRecords(payload: Buffer, count: number): Record[] {
  checkCount(count, payload.length);
  const r = new Reader(payload);
  const records = new Array<Record>(count);
  try {
    for (let i = 0; i < count; i++) records[i] = decodeRecord(r);
  } catch (err) {
    throw asCorrupt(err);
  }
  checkNothingLeft(r, count);
  return records;
}

function checkCount(count: number, bytes: number): number {
  if (count < 0) {
    throw new MalformedInputError(`record batch declares ${count} records`, CORRUPT_MESSAGE);
  }
  if (count > bytes / MIN_RECORD_SIZE) {
    throw new MalformedInputError(
      `record batch declares ${count} records in ${bytes} bytes of records`,
      CORRUPT_MESSAGE,
    );
  }
  return count;
}

function checkNothingLeft(r: Reader, count: number): void {
  if (r.remaining() !== 0) {
    throw new MalformedInputError(
      `${r.remaining()} bytes left after the ${count} records the batch declares`,
      CORRUPT_MESSAGE,
    );
  }
}

function corrupt(message: string): MalformedInputError {
  return new MalformedInputError(message, CORRUPT_MESSAGE);
}

/** Reads one record; the Reader's own checks keep every read inside the payload. */
function decodeRecord(r: Reader): Record {
  const length = r.varint();
  const start = r.offset;
  if (length < 0 || length > r.end - start) {
    throw corrupt(`record length ${length} with ${r.end - start} bytes left`);
  }
  r.int8(); // attributes: no bits are defined for records
  const timestampDelta = r.varlongNumber();
  const offsetDelta = r.varint();
  const key = varintBytes(r, 'key');
  const value = varintBytes(r, 'value');
  const headerCount = r.varint();
  // A header takes at least two bytes (key length and value length).
  if (headerCount < 0 || headerCount > (start + length - r.offset) / 2) {
    throw corrupt(`record declares ${headerCount} headers`);
  }
  const headers = new Array<RecordHeader>(headerCount);
  for (let i = 0; i < headerCount; i++) {
    const keyLength = r.varint();
    if (keyLength < 0) throw corrupt(`record header key length ${keyLength}`);
    const headerKey = r.raw(keyLength).toString('utf8');
    headers[i] = { key: headerKey, value: varintBytes(r, 'header value') };
  }
  if (r.offset !== start + length) {
    throw corrupt(`record declares ${length} bytes but its fields take ${r.offset - start}`);
  }
  return { offsetDelta, timestampDelta, key, value, headers };
}

function varintBytes(r: Reader, what: string): Buffer | null {
  const n = r.varint();
  if (n === -1) return null;
  if (n < -1) throw corrupt(`record ${what} length ${n}`);
  return r.raw(n);
}

/** Bytes a zigzag varint takes (int32 range). */
export function sizeOfVarint(v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

/** Bytes a zigzag varlong takes, for a JS number (exact below 2^53). */
export function sizeOfVarlong(v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return sizeOfVarint(v);
  let u = BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n));
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
}

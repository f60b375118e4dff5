// Decodes the records of a v2 batch straight into the objects the consumer hands out, on the
// hot path of consuming: one object per record (no intermediate record object), varints read
// with a one-byte fast path, keys, values and header values as views into the batch (or into
// the decompressed payload). It refuses the same malformed input as protocol/records/record.ts
// (CORRUPT_MESSAGE) and is checked against it byte for byte in test/client/record-decoder.test.ts.
import { MalformedInputError } from '../protocol/errors.js';
import type { RecordHeader } from '../protocol/records/record.js';
import { MIN_RECORD_SIZE } from '../protocol/records/record.js';
import type { FetchedRecord } from './fetched-records.js';

const CORRUPT_MESSAGE = 2;

/**
 * The headers of every record that has none: one frozen array shared by all of them, so a
 * record without headers costs no allocation (most records have none). Frozen, so that code
 * which pushes onto one message's headers fails loudly instead of changing all the others.
 */
export const NO_HEADERS: RecordHeader[] = Object.freeze([]) as unknown as RecordHeader[];

/** What every record of one batch shares. */
export interface BatchContext {
  topic: string;
  partition: number;
  baseOffset: number;
  baseTimestamp: number;
  /** LogAppendTime: every record carries this instead of base + delta. */
  logAppendTime: number | undefined;
  leaderEpoch: number;
  /** Records below this offset are decoded (to find the next) but not returned. */
  fromOffset: number;
}

function corrupt(message: string): MalformedInputError {
  return new MalformedInputError(message, CORRUPT_MESSAGE);
}

// The decoding position, shared by the helpers below (one batch is decoded at a time).
let buf: Buffer;
let at = 0;
let end = 0;

function unsignedVarint(): number {
  if (at >= end) throw corrupt('truncated varint');
  const b = buf[at++]!;
  if (b < 0x80) return b;
  let value = b & 0x7f;
  for (let i = 1; i < 5; i++) {
    if (at >= end) throw corrupt('truncated varint');
    const c = buf[at++]!;
    if (i === 4 && c > 0x0f) throw corrupt('varint does not fit in 32 bits');
    value += (c & 0x7f) * 2 ** (7 * i);
    if (c < 0x80) return value;
  }
  throw corrupt('varint longer than 5 bytes');
}

function varint(): number {
  const u = unsignedVarint();
  return (u >>> 1) ^ -(u & 1);
}

function varlong(): number {
  let value = 0;
  for (let i = 0; i < 10; i++) {
    if (at >= end) throw corrupt('truncated varlong');
    const b = buf[at++]!;
    if (i === 9 && b > 0x01) throw corrupt('varlong does not fit in 64 bits');
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return value % 2 === 1 ? -(value + 1) / 2 : value / 2;
  }
  throw corrupt('varlong longer than 10 bytes');
}

function bytes(what: string): Buffer | null {
  const n = varint();
  if (n === -1) return null;
  if (n < -1) throw corrupt(`record ${what} length ${n}`);
  if (n > end - at) throw corrupt(`record ${what} of ${n} bytes with ${end - at} left`);
  const start = at;
  at += n;
  return buf.subarray(start, at);
}

/**
 * Decodes exactly `count` records filling `payload` (an uncompressed records section) and
 * appends those at or after `ctx.fromOffset` to `out`.
 */
export function decodeBatchRecords(
  payload: Buffer,
  count: number,
  ctx: BatchContext,
  out: FetchedRecord[],
): void {
  if (count < 0 || count > payload.length / MIN_RECORD_SIZE) {
    throw corrupt(`record batch declares ${count} records in ${payload.length} bytes of records`);
  }
  buf = payload;
  at = 0;
  end = payload.length;
  const { topic, partition, baseOffset, baseTimestamp, logAppendTime, leaderEpoch, fromOffset } =
    ctx;
  const timestampType = logAppendTime === undefined ? 'CreateTime' : 'LogAppendTime';
  for (let i = 0; i < count; i++) {
    const length = varint();
    const start = at;
    if (length < 0 || length > end - start) {
      throw corrupt(`record length ${length} with ${end - start} bytes left`);
    }
    // The record's fields must end where its length says; reads past it are refused too.
    const outerEnd = end;
    end = start + length;
    at++; // attributes: no bits are defined for records
    if (at > end) throw corrupt('truncated record');
    const timestampDelta = varlong();
    const offsetDelta = varint();
    const key = bytes('key');
    const value = bytes('value');
    const headerCount = varint();
    // A header takes at least two bytes (key length and value length).
    if (headerCount < 0 || headerCount > (end - at) / 2) {
      throw corrupt(`record declares ${headerCount} headers`);
    }
    const headers = headerCount === 0 ? NO_HEADERS : new Array<RecordHeader>(headerCount);
    for (let h = 0; h < headerCount; h++) {
      const keyLength = varint();
      if (keyLength < 0 || keyLength > end - at) {
        throw corrupt(`record header key length ${keyLength}`);
      }
      const headerKey = buf.toString('utf8', at, at + keyLength);
      at += keyLength;
      headers[h] = { key: headerKey, value: bytes('header value') };
    }
    if (at !== end) {
      throw corrupt(`record declares ${length} bytes but its fields take ${at - start}`);
    }
    end = outerEnd;
    const offset = baseOffset + offsetDelta;
    if (offset < fromOffset) continue;
    out.push({
      topic,
      partition,
      offset,
      timestamp: logAppendTime ?? baseTimestamp + timestampDelta,
      timestampType,
      key,
      value,
      headers,
      leaderEpoch,
    });
  }
  if (at !== end) {
    throw corrupt(`${end - at} bytes left after the ${count} records the batch declares`);
  }
}

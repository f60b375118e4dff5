// Legacy message sets (magic 0 and 1), read-only. Samsa never writes them: they may still be
// met in data migrated from old logs or in tests, and a reader should make sense of them.
//
// A message set is a sequence of [offset int64, messageSize int32, message], where a message is
//   crc uint32 (CRC-32/IEEE of the bytes after it), magic int8, attributes int8,
//   timestamp int64 (magic 1 only), key int32-length bytes (-1 = null), value likewise.
// Attributes bits 0-2 are the codec (none, gzip, snappy, lz4; zstd never existed before
// magic 2) and bit 3 the timestamp type (magic 1). A compressed message is a wrapper whose
// value is a compressed message set of uncompressed inner messages. For a magic 1 wrapper the
// inner offsets are relative (0..n-1) and the wrapper carries the absolute offset of the last
// one; for magic 0 they are absolute. With LogAppendTime the wrapper's timestamp applies to
// every inner message.
//
// Produce refuses them: Apache Kafka's ProduceRequest.validateRecords throws
// InvalidRecordException ("Produce requests with version N are only allowed to contain record
// batches with magic version 2") for any Produce v3+ whose records are not magic 2, and
// KafkaApis answers that partition with INVALID_RECORD (87). Produce v0-2, the only versions
// that could carry magic 0/1, are refused by the handler as a whole.
import { crc32 } from '@node-rs/crc32';
import { MalformedInputError } from '../errors.js';
import { TimestampType } from './batch-header.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decompress } from './compression/index.js';

const CORRUPT_MESSAGE = 2;

/** The error a Produce v3+ partition gets when its records are not a magic 2 batch. */
export const LEGACY_PRODUCE_ERROR_CODE = 87; // INVALID_RECORD

const OFFSET_AND_SIZE = 12;
const MAGIC_OFFSET_IN_MESSAGE = 4; // after the crc
const MIN_MESSAGE_SIZE_V0 = 14; // crc, magic, attributes, key length, value length
const MIN_MESSAGE_SIZE_V1 = 22; // + timestamp
const CODEC_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const NO_TIMESTAMP = -1;

export interface LegacyRecord {
  offset: number;
  magic: 0 | 1;
  /** -1 for magic 0, which has no timestamps. */
  timestamp: number;
  timestampType: TimestampType;
  key: Buffer | null;
  value: Buffer | null;
}

export interface ReadLegacyOptions {
  /** A fetch response may end in a truncated message, which is skipped. */
  allowPartialTail?: boolean;
  /** Bound on each wrapper's decompressed inner message set (default 64 MiB). */
  maxBytes?: number;
}

export function isLegacyMagic(magic: number): magic is 0 | 1 {
  return magic === 0 || magic === 1;
}

function corrupt(message: string): MalformedInputError {
  return new MalformedInputError(message, CORRUPT_MESSAGE);
}

interface RawMessage {
  offset: number;
  magic: 0 | 1;
  attributes: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

/** Reads a message set, expanding compressed wrappers into their inner messages. */
export function readLegacyMessageSet(buf: Buffer, options: ReadLegacyOptions = {}): LegacyRecord[] {
  const out: LegacyRecord[] = [];
  for (const m of splitMessages(buf, options.allowPartialTail ?? false)) {
    const codec = m.attributes & CODEC_MASK;
    const timestampType =
      m.magic === 1 && m.attributes & TIMESTAMP_TYPE_BIT
        ? TimestampType.LogAppendTime
        : TimestampType.CreateTime;
    if (codec === 0) {
      out.push({ ...fields(m), timestampType });
      continue;
    }
    out.push(...expandWrapper(m, codec, timestampType, options.maxBytes));
  }
  return out;
}

function fields(m: RawMessage): Omit<LegacyRecord, 'timestampType'> {
  return { offset: m.offset, magic: m.magic, timestamp: m.timestamp, key: m.key, value: m.value };
}

function expandWrapper(
  wrapper: RawMessage,
  codec: number,
  timestampType: TimestampType,
  maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): LegacyRecord[] {
  if (codec > 3) throw corrupt(`codec ${codec} is not valid for magic ${wrapper.magic}`);
  if (wrapper.value === null) throw corrupt('compressed message with a null value');
  const inner = splitMessages(decompress(codec, wrapper.value, maxBytes), false);
  if (inner.length === 0) throw corrupt('compressed message set with no inner messages');
  // librdkafka once sent magic 1 wrappers at offset 0; Kafka then treats inner offsets as is.
  let base = 0;
  if (wrapper.magic === 1 && wrapper.offset !== 0) {
    const lastInner = inner[inner.length - 1]!.offset;
    if (wrapper.offset < lastInner) {
      throw corrupt(`wrapper offset ${wrapper.offset} is below its last inner offset ${lastInner}`);
    }
    base = wrapper.offset - lastInner;
  }
  return inner.map((m) => {
    if (m.attributes & CODEC_MASK) throw corrupt('inner messages must not be compressed');
    const logAppend = timestampType === TimestampType.LogAppendTime && m.magic === 1;
    return {
      offset: base + m.offset,
      magic: m.magic,
      timestamp: logAppend ? wrapper.timestamp : m.timestamp,
      timestampType: m.magic === 1 ? timestampType : TimestampType.CreateTime,
      key: m.key,
      value: m.value,
    };
  });
}

function splitMessages(buf: Buffer, allowPartialTail: boolean): RawMessage[] {
  const out: RawMessage[] = [];
  let at = 0;
  while (at < buf.length) {
    const left = buf.length - at;
    if (left < OFFSET_AND_SIZE + MIN_MESSAGE_SIZE_V0) {
      if (allowPartialTail) break;
      throw corrupt(`${left} trailing bytes after the last message`);
    }
    const size = buf.readInt32BE(at + 8);
    if (size < MIN_MESSAGE_SIZE_V0) throw corrupt(`message size ${size} is too small`);
    if (size > left - OFFSET_AND_SIZE) {
      if (allowPartialTail) break;
      throw corrupt(`message of ${size} bytes truncated to ${left - OFFSET_AND_SIZE}`);
    }
    const offset = Number(buf.readBigInt64BE(at));
    out.push(
      decodeMessage(buf.subarray(at + OFFSET_AND_SIZE, at + OFFSET_AND_SIZE + size), offset),
    );
    at += OFFSET_AND_SIZE + size;
  }
  return out;
}

function decodeMessage(msg: Buffer, offset: number): RawMessage {
  const magic = msg.readInt8(MAGIC_OFFSET_IN_MESSAGE);
  if (!isLegacyMagic(magic)) throw corrupt(`message magic ${magic} in a legacy message set`);
  if (magic === 1 && msg.length < MIN_MESSAGE_SIZE_V1) throw corrupt('magic 1 message too small');
  const stored = msg.readUInt32BE(0);
  const computed = crc32(msg.subarray(MAGIC_OFFSET_IN_MESSAGE)) >>> 0;
  if (stored !== computed) {
    throw corrupt(
      `message at offset ${offset} is corrupt (stored crc ${stored}, computed ${computed})`,
    );
  }
  const attributes = msg.readInt8(MAGIC_OFFSET_IN_MESSAGE + 1);
  let at = MAGIC_OFFSET_IN_MESSAGE + 2;
  let timestamp = NO_TIMESTAMP;
  if (magic === 1) {
    timestamp = Number(msg.readBigInt64BE(at));
    at += 8;
  }
  const key = readBytes(msg, at, 'key');
  at += 4 + (key?.length ?? 0);
  const value = readBytes(msg, at, 'value');
  at += 4 + (value?.length ?? 0);
  if (at !== msg.length) throw corrupt(`message has ${msg.length - at} bytes after its value`);
  return { offset, magic, attributes, timestamp, key, value };
}

function readBytes(msg: Buffer, at: number, what: string): Buffer | null {
  if (msg.length - at < 4) throw corrupt(`message truncated before its ${what}`);
  const n = msg.readInt32BE(at);
  if (n === -1) return null;
  if (n < -1 || n > msg.length - at - 4) throw corrupt(`message ${what} length ${n}`);
  return msg.subarray(at + 4, at + 4 + n);
}

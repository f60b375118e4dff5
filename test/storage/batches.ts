// Builds valid, uncompressed RecordBatch v2 bytes for storage tests (records/builder.ts is being
// written elsewhere; this stays independent of it on purpose: a test helper that shares no code
// with what it tests).
import { crc32c } from '@node-rs/crc32';

export interface TestRecord {
  readonly key?: string | Buffer | null;
  readonly value?: string | Buffer | null;
  /** Absolute timestamp; default the batch's base timestamp. */
  readonly timestamp?: number;
}

export interface TestBatchOptions {
  /** A record count (values "v0".."vN", or `valueSize` bytes) or explicit records. */
  readonly records?: number | readonly TestRecord[];
  readonly valueSize?: number;
  readonly baseOffset?: number;
  readonly baseTimestamp?: number;
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly partitionLeaderEpoch?: number;
  readonly transactional?: boolean;
  readonly control?: boolean;
  /** Raw attribute bits OR-ed in (e.g. 0x08 LogAppendTime). */
  readonly attributes?: number;
}

function zigzag(n: number): bigint {
  const b = BigInt(n);
  return b >= 0n ? b << 1n : (-b << 1n) - 1n;
}

function varint(n: number): Buffer {
  let v = zigzag(n);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Buffer.from(out);
}

function bytesField(b: string | Buffer | null | undefined): Buffer[] {
  if (b === null || b === undefined) return [varint(-1)];
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  return [varint(buf.length), buf];
}

function encodeRecord(r: TestRecord, offsetDelta: number, baseTimestamp: number): Buffer {
  const body = Buffer.concat([
    Buffer.from([0]),
    varint((r.timestamp ?? baseTimestamp) - baseTimestamp),
    varint(offsetDelta),
    ...bytesField(r.key),
    ...bytesField(r.value),
    varint(0),
  ]);
  return Buffer.concat([varint(body.length), body]);
}

export function buildBatch(options: TestBatchOptions = {}): Buffer {
  const baseTimestamp = options.baseTimestamp ?? 1_700_000_000_000;
  const spec = options.records ?? 1;
  const records: TestRecord[] =
    typeof spec === 'number'
      ? Array.from({ length: spec }, (_, i) => ({
          value:
            options.valueSize !== undefined ? Buffer.alloc(options.valueSize, i & 0xff) : `v${i}`,
        }))
      : [...spec];
  const encoded = Buffer.concat(records.map((r, i) => encodeRecord(r, i, baseTimestamp)));
  const maxTimestamp = records.reduce((m, r) => Math.max(m, r.timestamp ?? baseTimestamp), -1);
  let attributes = options.attributes ?? 0;
  if (options.transactional) attributes |= 0x10;
  if (options.control) attributes |= 0x20;

  const header = Buffer.alloc(61);
  header.writeBigInt64BE(BigInt(options.baseOffset ?? 0), 0);
  header.writeInt32BE(61 - 12 + encoded.length, 8);
  header.writeInt32BE(options.partitionLeaderEpoch ?? -1, 12);
  header.writeInt8(2, 16);
  header.writeInt16BE(attributes, 21);
  header.writeInt32BE(Math.max(records.length - 1, 0), 23);
  header.writeBigInt64BE(BigInt(baseTimestamp), 27);
  header.writeBigInt64BE(BigInt(maxTimestamp), 35);
  header.writeBigInt64BE(BigInt(options.producerId ?? -1), 43);
  header.writeInt16BE(options.producerEpoch ?? -1, 51);
  header.writeInt32BE(options.baseSequence ?? -1, 53);
  header.writeInt32BE(records.length, 57);
  const batch = Buffer.concat([header, encoded]);
  batch.writeUInt32BE(crc32c(batch.subarray(21)) >>> 0, 17);
  return batch;
}

/** Reads the baseOffset / lastOffset of each batch in `buf`, to check what a read returned. */
export function batchOffsets(buf: Buffer): { base: number; last: number }[] {
  const out: { base: number; last: number }[] = [];
  let at = 0;
  while (at + 61 <= buf.length) {
    const base = Number(buf.readBigInt64BE(at));
    out.push({ base, last: base + buf.readInt32BE(at + 23) });
    at += 12 + buf.readInt32BE(at + 8);
  }
  return out;
}

/** The values of the records of an uncompressed batch, in order. */
export function recordValues(batch: Buffer): string[] {
  const values: string[] = [];
  let at = 61;
  const readVarint = (): number => {
    let shift = 0n;
    let v = 0n;
    for (;;) {
      const byte = batch[at++]!;
      v |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
    }
    return Number((v >> 1n) ^ -(v & 1n));
  };
  const count = batch.readInt32BE(57);
  for (let i = 0; i < count; i++) {
    readVarint(); // length
    at += 1; // attributes
    readVarint(); // timestamp delta
    readVarint(); // offset delta
    const keyLength = readVarint();
    if (keyLength > 0) at += keyLength;
    const valueLength = readVarint();
    values.push(valueLength < 0 ? '' : batch.toString('utf8', at, at + valueLength));
    if (valueLength > 0) at += valueLength;
    const headers = readVarint();
    if (headers !== 0) throw new Error('headers are not used in these tests');
  }
  return values;
}

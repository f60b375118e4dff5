import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from '@node-rs/crc32';
import { MalformedInputError } from '../../../src/protocol/errors.js';
import {
  buildRecordBatch,
  CompressionType,
  decodeRecords,
  iterateRecords,
  NO_TIMESTAMP,
  RecordBatchHeader,
  readRecords,
  recordOffset,
  recordTimestamp,
  sizeOfVarint,
  sizeOfVarlong,
  TimestampType,
} from '../../../src/protocol/records/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const corrupt = (fn: () => unknown, re?: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof MalformedInputError && e.code === 2 && (!re || re.test(e.message)),
  );

// Worked out by hand from the protocol guide: length 11 (zigzag 0x16), attributes 0,
// timestampDelta 5 (0x0a), offsetDelta 1 (0x02), key "k" (len 1 -> 0x02), value null (-1 -> 0x01),
// one header (0x02): key "h" (0x02 'h'), value 0xff (0x02 0xff).
const ONE_RECORD = hex('16 00 0a 02 02 6b 01 02 02 68 02 ff');

test('decodes a record worked out by hand', () => {
  const [r] = decodeRecords(ONE_RECORD, 1);
  assert.deepEqual(r, {
    offsetDelta: 1,
    timestampDelta: 5,
    key: Buffer.from('k'),
    value: null,
    headers: [{ key: 'h', value: Buffer.from([0xff]) }],
  });
});

test('the builder writes that same record and a header Kafka can read', () => {
  const batch = buildRecordBatch({
    baseOffset: 7,
    baseTimestamp: 1000,
    records: [
      {
        key: Buffer.from('k'),
        value: null,
        timestamp: 1005,
        offsetDelta: 1,
        headers: [{ key: 'h', value: Buffer.from([0xff]) }],
      },
    ],
  });
  const b = batch.buf;
  assert.deepEqual(b.subarray(61), ONE_RECORD);
  assert.equal(b.length, 61 + ONE_RECORD.length);
  assert.equal(batch.batchLength, b.length - 12);
  assert.equal(batch.magic, 2);
  assert.equal(batch.crc, crc32c(b.subarray(21)) >>> 0);
  assert.equal(batch.attributes, 0);
  assert.equal(batch.lastOffsetDelta, 1);
  assert.equal(batch.baseTimestamp, 1000);
  assert.equal(batch.maxTimestamp, 1005);
  assert.equal(batch.producerId, -1);
  assert.equal(batch.producerEpoch, -1);
  assert.equal(batch.baseSequence, -1);
  assert.equal(batch.partitionLeaderEpoch, -1);
  assert.equal(batch.recordsCount, 1);
  const [r] = readRecords(batch);
  assert.equal(recordOffset(batch, r!), 8);
  assert.equal(recordTimestamp(batch, r!), 1005);
});

test('attributes: codec, LogAppendTime, transactional, control', () => {
  const batch = buildRecordBatch({
    compression: CompressionType.Lz4,
    timestampType: TimestampType.LogAppendTime,
    isTransactional: true,
    isControl: true,
    maxTimestamp: 99,
    records: [{ value: Buffer.from('v'), timestamp: 5 }],
  });
  assert.equal(batch.attributes, 0x3b);
  assert.equal(batch.compression, CompressionType.Lz4);
  assert.equal(batch.timestampType, TimestampType.LogAppendTime);
  assert.ok(batch.isTransactional && batch.isControl);
  // LogAppendTime: every record carries the batch's maxTimestamp.
  assert.equal(recordTimestamp(batch, readRecords(batch)[0]!), 99);
});

test('every codec: what is built reads back the same', () => {
  const records = Array.from({ length: 500 }, (_, i) => ({
    key: i % 7 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 11 === 0 ? null : Buffer.from(`value ${i} `.repeat(1 + (i % 5))),
    headers: i % 3 === 0 ? [{ key: `h${i}`, value: i % 2 ? null : Buffer.from('hv') }] : [],
    timestamp: 1_700_000_000_000 + (i % 13) * 1000 - 6000,
  }));
  for (const compression of [0, 1, 2, 3, 4] as CompressionType[]) {
    const batch = buildRecordBatch({ compression, records, baseOffset: 100 });
    assert.ok(batch.isCrcValid());
    assert.equal(batch.compression, compression);
    assert.equal(batch.lastOffsetDelta, 499);
    assert.equal(batch.maxTimestamp, 1_700_000_000_000 + 6000);
    const back = readRecords(batch);
    assert.equal(back.length, 500);
    back.forEach((r, i) => {
      const want = records[i]!;
      assert.equal(recordOffset(batch, r), 100 + i);
      assert.equal(recordTimestamp(batch, r), want.timestamp);
      assert.deepEqual(r.key, want.key);
      assert.deepEqual(r.value, want.value);
      assert.deepEqual(r.headers, want.headers);
    });
    assert.deepEqual([...iterateRecords(batch)], back);
  }
});

test('an empty batch has no timestamps and lastOffsetDelta -1 unless told otherwise', () => {
  const empty = buildRecordBatch({ records: [] });
  assert.equal(empty.recordsCount, 0);
  assert.equal(empty.baseTimestamp, NO_TIMESTAMP);
  assert.equal(empty.maxTimestamp, NO_TIMESTAMP);
  assert.equal(empty.lastOffsetDelta, -1);
  assert.deepEqual(readRecords(empty), []);
  // Compaction keeps an emptied batch's offset range.
  assert.equal(buildRecordBatch({ records: [], lastOffsetDelta: 9 }).nextOffset, 10);
});

test('varint sizes, including deltas beyond 32 bits', () => {
  for (const [v, n] of [
    [0, 1],
    [-1, 1],
    [63, 1],
    [64, 2],
    [-65, 2],
    [2 ** 31 - 1, 5],
    [-(2 ** 31), 5],
  ] as const) {
    assert.equal(sizeOfVarint(v), n, String(v));
  }
  assert.equal(sizeOfVarlong(2 ** 40), 6);
  const batch = buildRecordBatch({
    baseTimestamp: 0,
    records: [{ value: null, timestamp: 2 ** 45 + 3 }],
  });
  assert.equal(readRecords(batch)[0]!.timestampDelta, 2 ** 45 + 3);
});

function withRecords(count: number, payload: Buffer): RecordBatchHeader {
  const b = buildRecordBatch({ records: [] }).buf;
  const out = Buffer.concat([b, payload]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt32BE(count, 57);
  return new RecordBatchHeader(out);
}

test('malformed records raise MalformedInputError with CORRUPT_MESSAGE, never RangeError', () => {
  corrupt(() => readRecords(withRecords(-1, Buffer.alloc(0))), /-1 records/);
  // Two billion records in 12 bytes: refused before an array is allocated.
  corrupt(() => readRecords(withRecords(2 ** 31 - 1, ONE_RECORD)), /records in 12 bytes/);
  corrupt(() => readRecords(withRecords(1, ONE_RECORD.subarray(0, 11))), /length 11 with 10/);
  corrupt(() => readRecords(withRecords(1, Buffer.concat([ONE_RECORD, hex('00')]))), /left after/);
  corrupt(() =>
    readRecords(withRecords(2, Buffer.concat([ONE_RECORD, hex('ff ff ff ff ff ff ff')]))),
  );
  // Length says 12 bytes but the fields take 11.
  corrupt(() => decodeRecords(hex('18 00 0a 02 02 6b 01 02 02 68 02 ff 00'), 1), /fields take 11/);
  // Key length -2.
  corrupt(() => decodeRecords(hex('0c 00 00 00 03 00 00'), 1), /key length -2/);
  // Key longer than the payload: the Reader's INVALID_REQUEST becomes CORRUPT_MESSAGE.
  corrupt(() => decodeRecords(hex('0c 00 00 00 7e 00 00'), 1), /truncated/);
  // A million headers in a 7-byte record.
  corrupt(() => decodeRecords(hex('10 00 00 00 01 01 80 89 7a'), 1), /headers/);
  // Null header key.
  corrupt(() => decodeRecords(hex('10 00 00 00 01 01 02 01 01'), 1), /header key length -1/);
  corrupt(() => [...iterateRecords(withRecords(1, hex('0c 00 00 00 7e 00 00')))], /truncated/);
  corrupt(() => readRecords(new RecordBatchHeader(Buffer.alloc(40))), /shorter than its header/);
});

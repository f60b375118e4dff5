import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  RecordBatchHeader,
  readInt64,
  writeInt64,
} from '../../../src/protocol/records/batch-header.js';
import { buildRecordBatch } from '../../../src/protocol/records/builder.js';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** Values around every boundary the two 32-bit halves have, plus the int64 and 2^53 limits. */
const EDGES: bigint[] = [
  0n,
  1n,
  -1n,
  2n ** 31n - 1n,
  2n ** 31n,
  -(2n ** 31n),
  -(2n ** 31n) - 1n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 32n + 1n,
  -(2n ** 32n),
  -(2n ** 32n) + 1n,
  -(2n ** 32n) - 1n,
  1_700_000_000_000n,
  2n ** 53n - 1n,
  -(2n ** 53n) + 1n,
  2n ** 53n,
  2n ** 53n + 1n, // rounds: not a safe integer
  2n ** 53n + 3n,
  -(2n ** 53n) - 1n,
  2n ** 62n + 2n ** 10n + 1n,
  INT64_MAX,
  INT64_MIN,
  INT64_MIN + 1n,
];

function randomInt64(): bigint {
  const b = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) b[i] = Math.floor(Math.random() * 256);
  return b.readBigInt64BE(0);
}

test('readInt64 gives what Number(readBigInt64BE) gives, rounding included', () => {
  const buf = Buffer.alloc(16);
  const values = [...EDGES, ...Array.from({ length: 2000 }, randomInt64)];
  for (const v of values) {
    for (const at of [0, 3, 8]) {
      buf.writeBigInt64BE(v, at);
      assert.equal(readInt64(buf, at), Number(buf.readBigInt64BE(at)), `${v} at ${at}`);
    }
  }
});

test('writeInt64 writes the bytes writeBigInt64BE(BigInt(v)) writes', () => {
  const numbers = [
    ...EDGES.map(Number),
    ...Array.from({ length: 2000 }, () => Math.floor((Math.random() - 0.5) * 2 ** 54)),
    2 ** 60, // an integer beyond 2^53: exact through the BigInt path
    -(2 ** 63),
  ].filter((v) => BigInt(v) <= INT64_MAX && BigInt(v) >= INT64_MIN);
  for (const v of numbers) {
    const ours = Buffer.alloc(12, 0xaa);
    const theirs = Buffer.alloc(12, 0xaa);
    writeInt64(ours, v, 2);
    theirs.writeBigInt64BE(BigInt(v), 2);
    assert.deepEqual(ours, theirs, String(v));
  }
});

test('writeInt64 refuses what BigInt refuses', () => {
  const buf = Buffer.alloc(8);
  assert.throws(() => writeInt64(buf, 1.5, 0), RangeError);
  assert.throws(() => writeInt64(buf, Number.NaN, 0), RangeError);
  assert.throws(() => writeInt64(buf, Number.POSITIVE_INFINITY, 0), RangeError);
  assert.throws(() => writeInt64(buf, 2 ** 63, 0), RangeError);
  buf.fill(7);
  assert.throws(() => writeInt64(buf, 0, 1), RangeError);
  assert.deepEqual(buf, Buffer.alloc(8, 7), 'nothing written past a failed bounds check');
  assert.throws(() => readInt64(buf, 1), RangeError);
});

test('the header reads and writes its int64 fields as numbers', () => {
  const now = 1_700_000_000_123;
  const batch = buildRecordBatch({
    baseOffset: 2 ** 40 + 7,
    producerId: 2 ** 35 + 1,
    producerEpoch: 3,
    baseSequence: 9,
    records: [
      { value: Buffer.from('a'), timestamp: now },
      { value: Buffer.from('b'), timestamp: now + 5 },
    ],
  });
  const view = new RecordBatchHeader(batch.buf);
  assert.equal(view.baseOffset, 2 ** 40 + 7);
  assert.equal(view.producerId, 2 ** 35 + 1);
  assert.equal(view.baseTimestamp, now);
  assert.equal(view.maxTimestamp, now + 5);
  assert.equal(view.lastOffset, 2 ** 40 + 8);
  view.baseOffset = 2 ** 32 + 5;
  assert.equal(batch.buf.readBigInt64BE(0), 2n ** 32n + 5n);
  assert.ok(view.isCrcValid(), 'the base offset is outside the CRC');
  const noProducer = buildRecordBatch({ records: [{ value: null, timestamp: -1 }] });
  assert.equal(noProducer.producerId, -1);
  assert.equal(noProducer.baseTimestamp, -1);
});

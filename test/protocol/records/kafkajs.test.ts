// Interop with a third-party encoder and decoder: KafkaJS 2.2.4's own RecordBatch (magic 2)
// code, required straight from node_modules. It supports the none and gzip codecs natively.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import {
  buildRecordBatch,
  type CompressionType,
  type RecordInput,
  readRecords,
  recordOffset,
  recordTimestamp,
  splitBatches,
  TimestampType,
} from '../../../src/protocol/records/index.js';

const require = createRequire(import.meta.url);
const KJS = 'kafkajs/src/protocol';
const { RecordBatch } = require(`${KJS}/recordBatch/v0`);
const KjsRecord = require(`${KJS}/recordBatch/record/v0`);
const decodeKjsBatch = require(`${KJS}/recordBatch/v0/decoder`);
const KjsDecoder = require(`${KJS}/decoder`);
const Long = require('kafkajs/src/utils/long');
const { Types: KjsCompression } = require(`${KJS}/message/compression`);

interface KjsMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: { [k: string]: Buffer };
  timestamp: number;
}

const T0 = 1_700_000_000_000;
const messages: KjsMessage[] = [
  { key: Buffer.from('k0'), value: Buffer.from('first value'), headers: {}, timestamp: T0 },
  {
    key: null,
    value: Buffer.from('x'.repeat(300)),
    headers: { trace: Buffer.from('abc'), 'ü-key': Buffer.from([0, 1, 2]) },
    timestamp: T0 + 5,
  },
  { key: Buffer.from('tombstone'), value: null, headers: {}, timestamp: T0 + 2 },
  { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: {}, timestamp: T0 + 1_000_000 },
];

/** What KafkaJS's producer does (produce/v3/request.js), with fixed timestamps. */
async function kafkajsBatch(compression: number, opts: { transactional?: boolean } = {}) {
  const firstTimestamp = T0;
  const records = messages.map((m, i) =>
    KjsRecord({ ...m, offsetDelta: i, timestampDelta: m.timestamp - firstTimestamp }),
  );
  const encoder = await RecordBatch({
    compression,
    records,
    firstOffset: Long.fromNumber(42),
    firstTimestamp,
    maxTimestamp: T0 + 1_000_000,
    partitionLeaderEpoch: 3,
    producerId: Long.fromNumber(1234),
    producerEpoch: 7,
    firstSequence: 99,
    transactional: opts.transactional ?? false,
    lastOffsetDelta: records.length - 1,
  });
  return encoder.buffer as Buffer;
}

for (const [name, codec] of [
  ['none', KjsCompression.None],
  ['gzip', KjsCompression.GZIP],
] as const) {
  test(`Samsa reads KafkaJS-encoded batches (${name})`, async () => {
    const bytes = await kafkajsBatch(codec, { transactional: true });
    const [batch, ...rest] = splitBatches(bytes);
    assert.equal(rest.length, 0);
    assert.ok(batch);
    assert.ok(batch.isCrcValid());
    assert.equal(batch.magic, 2);
    assert.equal(batch.compression, codec);
    assert.equal(batch.baseOffset, 42);
    assert.equal(batch.partitionLeaderEpoch, 3);
    assert.equal(batch.producerId, 1234);
    assert.equal(batch.producerEpoch, 7);
    assert.equal(batch.baseSequence, 99);
    assert.equal(batch.isTransactional, true);
    assert.equal(batch.isControl, false);
    assert.equal(batch.timestampType, TimestampType.CreateTime);
    assert.equal(batch.recordsCount, 4);
    assert.equal(batch.lastOffset, 45);
    const records = readRecords(batch);
    assert.equal(records.length, messages.length);
    records.forEach((r, i) => {
      const m = messages[i]!;
      assert.equal(recordOffset(batch, r), 42 + i);
      assert.equal(recordTimestamp(batch, r), m.timestamp);
      assert.deepEqual(r.key, m.key);
      assert.deepEqual(r.value, m.value);
      assert.deepEqual(
        r.headers,
        Object.entries(m.headers).map(([key, value]) => ({ key, value })),
      );
    });
  });

  test(`KafkaJS reads Samsa-built batches (${name})`, async () => {
    const inputs: RecordInput[] = messages.map((m) => ({
      key: m.key,
      value: m.value,
      timestamp: m.timestamp,
      headers: Object.entries(m.headers).map(([key, value]) => ({ key, value })),
    }));
    const batch = buildRecordBatch({
      baseOffset: 1000,
      partitionLeaderEpoch: 5,
      compression: codec as CompressionType,
      producerId: 77,
      producerEpoch: 2,
      baseSequence: 10,
      records: inputs,
    });
    const decoded = await decodeKjsBatch(new KjsDecoder(batch.buf));
    assert.equal(decoded.firstOffset, '1000');
    assert.equal(decoded.partitionLeaderEpoch, 5);
    assert.equal(decoded.lastOffsetDelta, 3);
    assert.equal(decoded.producerId, '77');
    assert.equal(decoded.producerEpoch, 2);
    assert.equal(decoded.firstSequence, 10);
    assert.equal(decoded.firstTimestamp, String(T0));
    assert.equal(decoded.maxTimestamp, String(T0 + 1_000_000));
    assert.equal(decoded.records.length, messages.length);
    decoded.records.forEach((r: Record<string, unknown>, i: number) => {
      const m = messages[i]!;
      assert.equal(r.offset, String(1000 + i));
      assert.equal(r.timestamp, String(m.timestamp));
      assert.deepEqual(r.key, m.key);
      assert.deepEqual(r.value, m.value);
      assert.deepEqual(r.headers, m.headers);
    });
    // KafkaJS's JS CRC32C over the same bytes agrees with the stored CRC.
    const crc32C = require(`${KJS}/recordBatch/crc32C`);
    assert.equal(crc32C(batch.buf.subarray(21)) >>> 0, batch.crc);
  });
}

test('the uncompressed batch Samsa builds is byte-identical to the one KafkaJS builds', async () => {
  const bytes = await kafkajsBatch(KjsCompression.None);
  const ours = buildRecordBatch({
    baseOffset: 42,
    partitionLeaderEpoch: 3,
    producerId: 1234,
    producerEpoch: 7,
    baseSequence: 99,
    maxTimestamp: T0 + 1_000_000,
    records: messages.map((m) => ({
      key: m.key,
      value: m.value,
      timestamp: m.timestamp,
      headers: Object.entries(m.headers).map(([key, value]) => ({ key, value })),
    })),
  });
  assert.deepEqual(ours.buf, bytes);
});

test('KafkaJS reads the LogAppendTime timestamp Samsa sets', async () => {
  const batch = buildRecordBatch({
    timestampType: TimestampType.LogAppendTime,
    maxTimestamp: T0 + 99,
    records: [{ value: Buffer.from('a'), timestamp: T0 }],
  });
  const decoded = await decodeKjsBatch(new KjsDecoder(batch.buf));
  assert.equal(decoded.records[0].timestamp, String(T0 + 99));
  assert.equal(recordTimestamp(batch, readRecords(batch)[0]!), T0 + 99);
});

// Record batches captured from real clients (kcat/librdkafka, confluent-kafka, KafkaJS, Java
// kafka-clients) producing to and fetching from Apache Kafka, with every codec. The fixtures are
// recorded separately; these tests cover whatever is present.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildEndTransactionMarker,
  buildRecordBatch,
  CompressionType,
  compressionName,
  isXerialFramed,
  RECORD_BATCH_OVERHEAD,
  type RecordBatchHeader,
  readEndTransactionMarker,
  readRecords,
  splitBatches,
  validateProducedRecords,
  validateProducedRecordsDeep,
} from '../../../src/protocol/records/index.js';
import { type CapturedRecordSet, capturedRecordSets, goldenScenarios } from './golden-frames.js';

const scenarios = goldenScenarios();
const sets: CapturedRecordSet[] = scenarios.flatMap(capturedRecordSets);
const batches: { where: string; apiKey: number; batch: RecordBatchHeader }[] = sets.flatMap((s) =>
  splitBatches(s.records, s.apiKey === 1).map((batch) => ({
    where: s.where,
    apiKey: s.apiKey,
    batch,
  })),
);
const skip = batches.length === 0 ? 'no golden fixtures with record batches yet' : false;

function rebuild(b: RecordBatchHeader): RecordBatchHeader {
  return buildRecordBatch({
    baseOffset: b.baseOffset,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    compression: b.compression as CompressionType,
    timestampType: b.timestampType,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    isTransactional: b.isTransactional,
    isControl: b.isControl,
    baseTimestamp: b.baseTimestamp,
    maxTimestamp: b.maxTimestamp,
    lastOffsetDelta: b.lastOffsetDelta,
    records: readRecords(b).map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: b.baseTimestamp + r.timestampDelta,
      offsetDelta: r.offsetDelta,
    })),
  });
}

test('captured batches: every CRC validates and every record decodes', { skip }, () => {
  for (const { where, batch } of batches) {
    assert.equal(batch.magic, 2, where);
    assert.ok(batch.isCrcValid(), `${where}: CRC`);
    const records = readRecords(batch);
    assert.equal(records.length, batch.recordsCount, where);
    assert.equal(records[records.length - 1]?.offsetDelta, batch.lastOffsetDelta, where);
  }
});

test('captured batches cover every codec', { skip }, () => {
  const seen = new Set(batches.map((b) => compressionName(b.batch.compression)));
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    assert.ok(seen.has(codec as never), `no captured ${codec} batch`);
  }
});

test('captured snappy: raw blocks (librdkafka) and xerial framing (Java) both decode', {
  skip,
}, () => {
  const snappy = batches.filter((b) => b.batch.compression === CompressionType.Snappy);
  const framing = (b: RecordBatchHeader) => isXerialFramed(b.buf.subarray(RECORD_BATCH_OVERHEAD));
  for (const b of snappy) {
    const client = b.where.split('/')[0]!;
    if (client.startsWith('java-')) assert.ok(framing(b.batch), `${b.where}: Java writes xerial`);
    if (client.startsWith('kcat') || client.includes('librdkafka')) {
      assert.ok(!framing(b.batch), `${b.where}: librdkafka writes raw snappy`);
    }
  }
});

test('rebuilding from decoded records: identical bytes for none, identical records otherwise', {
  skip,
}, () => {
  for (const { where, batch } of batches) {
    const again = rebuild(batch);
    if (batch.compression === CompressionType.None) {
      assert.deepEqual(again.buf, batch.buf, `${where}: byte identity`);
      continue;
    }
    assert.ok(again.isCrcValid(), where);
    assert.deepEqual(readRecords(again), readRecords(batch), where);
    for (const field of [
      'baseOffset',
      'lastOffsetDelta',
      'baseTimestamp',
      'maxTimestamp',
    ] as const) {
      assert.equal(again[field], batch[field], `${where}: ${field}`);
    }
    assert.equal(again.attributes, batch.attributes, `${where}: attributes`);
  }
});

test('captured end-transaction markers (written by Apache Kafka) rebuild byte for byte', {
  skip,
}, () => {
  const markers = batches.filter((b) => b.batch.isControl);
  for (const { where, batch } of markers) {
    const marker = readEndTransactionMarker(batch);
    assert.ok(marker, where);
    const ours = buildEndTransactionMarker({
      ...marker,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      timestamp: batch.baseTimestamp,
      baseOffset: batch.baseOffset,
      partitionLeaderEpoch: batch.partitionLeaderEpoch,
    });
    assert.deepEqual(ours.buf, batch.buf, where);
  }
});

test('captured produce requests pass the broker-side checks', { skip }, () => {
  const produced = sets.filter((s) => s.apiKey === 0);
  for (const s of produced) {
    const result = validateProducedRecords(s.records, { produceVersion: s.apiVersion });
    assert.ok(result.ok, `${s.where}: ${result.ok ? '' : result.errorMessage}`);
    // Kafka's default timestamp bounds are unbounded; the captures include a record with an
    // explicit timestamp years before the capture.
    const deep = validateProducedRecordsDeep(result.batch, {
      now: result.batch.maxTimestamp,
      messageTimestampType: 0,
    });
    assert.ok(deep.ok, `${s.where}: ${deep.ok ? '' : deep.errorMessage}`);
  }
});

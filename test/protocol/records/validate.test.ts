import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BuildRecordBatchOptions,
  buildRecordBatch,
  CompressionType,
  DEFAULT_MAX_MESSAGE_BYTES,
  RecordBatchHeader,
  TimestampType,
  type ValidationResult,
  validateProducedRecords,
  validateProducedRecordsDeep,
} from '../../../src/protocol/records/index.js';

const NOW = 1_700_000_000_000;

function batch(over: Partial<BuildRecordBatchOptions> = {}): RecordBatchHeader {
  return buildRecordBatch({
    producerId: 10,
    producerEpoch: 0,
    baseSequence: 0,
    records: [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: NOW },
      { key: Buffer.from('k2'), value: Buffer.from('v2'), timestamp: NOW + 1 },
    ],
    ...over,
  });
}

/** Changes header bytes and re-signs the batch, so later checks are reached. */
function patched(b: RecordBatchHeader, patch: (buf: Buffer) => void): Buffer {
  const buf = Buffer.from(b.buf);
  patch(buf);
  const view = new RecordBatchHeader(buf);
  view.updateCrc();
  return buf;
}

function expectError(result: ValidationResult, code: number, re?: RegExp): void {
  assert.equal(result.ok, false, 'expected a refusal');
  if (result.ok) return;
  assert.equal(result.errorCode, code, result.errorMessage);
  if (re) assert.match(result.errorMessage, re);
}

const produce = (records: Buffer | null, produceVersion = 9, maxMessageBytes?: number) =>
  validateProducedRecords(records, { produceVersion, maxMessageBytes });

test('a well-formed batch passes, every codec', () => {
  for (const compression of [0, 1, 2, 3, 4] as CompressionType[]) {
    const result = produce(batch({ compression }).buf);
    assert.ok(result.ok, result.ok ? '' : result.errorMessage);
    assert.ok(validateProducedRecordsDeep(result.batch, { now: NOW, messageTimestampType: 0 }).ok);
  }
});

test('request-level refusals (ProduceRequest.validateRecords)', () => {
  expectError(produce(null), 87, /one record batch/);
  expectError(produce(Buffer.alloc(0)), 87);
  expectError(produce(Buffer.concat([batch().buf, batch().buf])), 87, /exactly one/);
  expectError(produce(batch({ compression: CompressionType.Zstd }).buf, 6), 76, /zstd/);
  assert.ok(produce(batch({ compression: CompressionType.Zstd }).buf, 7).ok);
  expectError(produce(batch().buf.subarray(0, 70)), 2, /truncated/);
});

test('log-level refusals (UnifiedLog.analyzeAndValidateRecords)', () => {
  expectError(produce(batch({ baseOffset: 5 }).buf), 87, /baseOffset 0/);
  const big = batch({ records: [{ value: Buffer.alloc(2000), timestamp: NOW }] });
  expectError(produce(big.buf, 9, 1000), 10, /max.message.bytes/);
  assert.equal(DEFAULT_MAX_MESSAGE_BYTES, 1048588);
  const flipped = Buffer.from(batch().buf);
  flipped[flipped.length - 1] ^= 0x01;
  expectError(produce(flipped), 2, /crc/);
  expectError(
    produce(patched(batch(), (b) => b.writeInt16BE(0x0006, 21))),
    76,
    /compression type id 6/,
  );
});

test('batch refusals (LogValidator.validateBatch)', () => {
  expectError(produce(patched(batch(), (b) => b.writeInt32BE(5, 23))), 87, /lastOffsetDelta/);
  expectError(produce(patched(batch(), (b) => b.writeInt32BE(0, 57))), 87, /record count 0/);
  expectError(produce(batch({ isControl: true }).buf), 87, /control/);
  expectError(produce(batch({ baseSequence: -1 }).buf), 87, /sequence -1/);
  assert.ok(produce(batch({ producerId: -1, producerEpoch: -1, baseSequence: -1 }).buf).ok);
});

test('record-level refusals need the records: keys, timestamps, structure', () => {
  const opts = { now: NOW, messageTimestampType: TimestampType.CreateTime };
  const nullKey = batch({ records: [{ key: null, value: Buffer.from('v'), timestamp: NOW }] });
  expectError(
    validateProducedRecordsDeep(nullKey, { ...opts, compacted: true }),
    87,
    /without key/,
  );
  assert.ok(validateProducedRecordsDeep(nullKey, opts).ok);

  const old = batch({ compression: CompressionType.Gzip, baseTimestamp: NOW - 10_000 });
  const tooOld = validateProducedRecordsDeep(
    buildRecordBatch({ records: [{ value: null, timestamp: NOW - 10_000 }] }),
    { ...opts, timestampBeforeMaxMs: 5_000 },
  );
  expectError(tooOld, 32, /out of range/);
  assert.deepEqual(!tooOld.ok && tooOld.recordErrors?.map((e) => e.batchIndex), [0]);
  assert.ok(validateProducedRecordsDeep(old, { ...opts, timestampBeforeMaxMs: 20_000 }).ok);
  const future = buildRecordBatch({ records: [{ value: null, timestamp: NOW + 10_000 }] });
  expectError(validateProducedRecordsDeep(future, { ...opts, timestampAfterMaxMs: 1_000 }), 32);

  const appendTimeBit = buildRecordBatch({
    timestampType: TimestampType.LogAppendTime,
    records: [{ value: null, timestamp: NOW }],
  });
  expectError(
    validateProducedRecordsDeep(appendTimeBit, {
      ...opts,
      messageTimestampType: TimestampType.LogAppendTime,
    }),
    32,
    /LogAppendTime/,
  );

  // A CRC-valid batch whose record lies about its length: Kafka says INVALID_RECORD.
  const broken = new RecordBatchHeader(
    patched(batch(), (b) => {
      b[61] = 0x7e;
    }),
  );
  expectError(validateProducedRecordsDeep(broken, opts), 87);

  // A compressed payload that does not decompress: CORRUPT_MESSAGE.
  const badGzip = new RecordBatchHeader(
    patched(batch({ compression: CompressionType.Gzip }), (b) => {
      b[61] = 0;
    }),
  );
  expectError(validateProducedRecordsDeep(badGzip, opts), 2, /gzip/);
  expectError(
    validateProducedRecordsDeep(batch({ compression: CompressionType.Zstd }), {
      ...opts,
      maxDecompressedBytes: 3,
    }),
    2,
    /limit/,
  );
});

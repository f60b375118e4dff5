import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MalformedInputError } from '../../../src/protocol/errors.js';
import {
  buildEndTransactionMarker,
  buildRecordBatch,
  ControlRecordType,
  decodeControlRecordKey,
  decodeEndTransactionMarker,
  encodeControlRecordKey,
  encodeEndTransactionMarkerValue,
  readEndTransactionMarker,
  readRecords,
} from '../../../src/protocol/records/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('key and value layouts', () => {
  assert.deepEqual(encodeControlRecordKey(ControlRecordType.Abort), hex('0000 0000'));
  assert.deepEqual(encodeControlRecordKey(ControlRecordType.Commit), hex('0000 0001'));
  assert.deepEqual(encodeEndTransactionMarkerValue(0x01020304), hex('0000 01020304'));
  assert.deepEqual(decodeControlRecordKey(hex('0000 0001')), { version: 0, type: 1 });
  // Newer versions are read as version 0, as Kafka does; trailing fields are ignored.
  assert.deepEqual(decodeControlRecordKey(hex('0003 0000 ffff')), { version: 3, type: 0 });
});

test('the marker batch: transactional control batch, one record, no sequence', () => {
  const batch = buildEndTransactionMarker({
    type: ControlRecordType.Abort,
    coordinatorEpoch: 12,
    producerId: 4000,
    producerEpoch: 3,
    timestamp: 1_700_000_000_000,
    baseOffset: 55,
    partitionLeaderEpoch: 9,
  });
  assert.ok(batch.isCrcValid());
  assert.ok(batch.isControl && batch.isTransactional);
  assert.equal(batch.compression, 0);
  assert.equal(batch.recordsCount, 1);
  assert.equal(batch.baseSequence, -1);
  assert.equal(batch.producerId, 4000);
  assert.equal(batch.producerEpoch, 3);
  assert.equal(batch.baseOffset, 55);
  assert.equal(batch.partitionLeaderEpoch, 9);
  assert.equal(batch.baseTimestamp, 1_700_000_000_000);
  assert.deepEqual(readEndTransactionMarker(batch), { type: 0, coordinatorEpoch: 12 });
});

test('non-marker control records and data batches are not markers', () => {
  const leaderChange = buildRecordBatch({
    isControl: true,
    records: [
      {
        key: encodeControlRecordKey(ControlRecordType.LeaderChange),
        value: hex('00'),
        timestamp: 1,
      },
    ],
  });
  assert.equal(readEndTransactionMarker(leaderChange), null);
  const data = buildRecordBatch({ records: [{ value: hex('00'), timestamp: 1 }] });
  assert.equal(readEndTransactionMarker(data), null);
});

test('malformed control records are corrupt', () => {
  const bad = (fn: () => unknown) =>
    assert.throws(fn, (e: unknown) => e instanceof MalformedInputError && e.code === 2);
  bad(() => decodeControlRecordKey(null));
  bad(() => decodeControlRecordKey(hex('0000 00')));
  bad(() => decodeControlRecordKey(hex('ffff 0001')));
  const record = (key: Buffer, value: Buffer | null) =>
    readRecords(buildRecordBatch({ isControl: true, records: [{ key, value, timestamp: 0 }] }))[0]!;
  bad(() => decodeEndTransactionMarker(record(hex('0000 0001'), hex('0000 0000'))));
  bad(() => decodeEndTransactionMarker(record(hex('0000 0001'), null)));
  bad(() => decodeEndTransactionMarker(record(hex('0000 0001'), hex('8000 00000000'))));
  const two = buildRecordBatch({
    isControl: true,
    records: [
      { key: hex('0000 0001'), value: hex('0000 00000000'), timestamp: 0 },
      { key: hex('0000 0001'), value: hex('0000 00000000'), timestamp: 0 },
    ],
  });
  bad(() => readEndTransactionMarker(two));
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionType, TimestampType } from '../../../src/protocol/records/batch-header.js';
import { buildRecordBatch } from '../../../src/protocol/records/builder.js';
import { buildBatch } from '../batches.js';
import { allBatches, keyed, latestPerKey, readAll, setup, T0 } from './helpers.js';

const kv = (key: string, value: string | null, i: number) => ({
  key: Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp: T0 + i,
});

describe('log cleaner: batches as Kafka rewrites them', () => {
  for (const [name, codec] of [
    ['gzip', CompressionType.Gzip],
    ['snappy', CompressionType.Snappy],
    ['lz4', CompressionType.Lz4],
    ['zstd', CompressionType.Zstd],
  ] as const) {
    it(`recompresses a ${name} batch with ${name}`, () => {
      const { manager, log } = setup();
      log.append(
        buildRecordBatch({
          compression: codec,
          records: [kv('a', '1', 0), kv('b', '1', 1), kv('c', '1', 2), kv('a', '2', 3)],
        }).buf,
      );
      log.append(buildRecordBatch({ compression: codec, records: [kv('b', '2', 4)] }).buf);
      const before = readAll(log);
      log.roll();
      manager.cleaner.cleanUntilIdle();
      const [first, second] = allBatches(log);
      assert.equal(first!.compression, codec);
      assert.equal(first!.recordsCount, 2);
      assert.equal(first!.lastOffsetDelta, 3, 'the last offset delta is kept');
      assert.equal(second!.compression, codec);
      assert.deepEqual(readAll(log), latestPerKey(before));
      assert.deepEqual(
        readAll(log).map((r) => r.timestamp),
        [T0 + 2, T0 + 3, T0 + 4],
        'records keep their timestamps',
      );
      manager.close();
    });
  }

  it('keeps producer id, epoch and sequences, and the last batch of an active producer, emptied', () => {
    const { manager, log, reopen } = setup();
    const pid = { producerId: 42, producerEpoch: 3 };
    log.append(
      keyed(
        [
          ['a', '1'],
          ['b', '1'],
        ],
        { ...pid, baseSequence: 0 },
      ),
    );
    log.append(
      keyed(
        [
          ['a', '2'],
          ['b', '2'],
        ],
        { ...pid, baseSequence: 2 },
      ),
    );
    log.append(keyed([['c', '1']], { producerId: 43, producerEpoch: 0, baseSequence: 0 }));
    // Producer 42's last batch is superseded entirely by a non-idempotent write.
    log.append(
      keyed([
        ['a', '3'],
        ['b', '3'],
      ]),
    );
    log.roll();
    manager.cleaner.cleanUntilIdle();
    const batches = allBatches(log);
    const last42 = batches.find((b) => b.producerId === 42)!;
    assert.equal(batches.filter((b) => b.producerId === 42).length, 1, 'the first batch went');
    assert.equal(last42.baseOffset, 2);
    assert.equal(last42.recordsCount, 0, 'emptied, but kept for the sequence');
    assert.equal(last42.lastOffsetDelta, 1);
    assert.equal(last42.baseSequence, 2);
    assert.equal(last42.producerEpoch, 3);
    assert.equal(last42.lastSequence, 3);
    assert.deepEqual(
      readAll(log).map((r) => `${r.key}=${r.value}`),
      ['c=1', 'a=3', 'b=3'],
    );
    manager.close();

    // After a restart producer state is rebuilt from the log: the producer goes on in sequence.
    const again = reopen();
    assert.equal(again.log.producerState.lastEntry(42)?.batches.at(-1)?.lastSeq, 3);
    const r = again.log.append(keyed([['d', '1']], { ...pid, baseSequence: 4 }));
    assert.equal(r.duplicate, false);
    assert.throws(
      () => again.log.append(keyed([['d', '2']], { ...pid, baseSequence: 9 })),
      { code: 45 },
      'an out-of-order sequence is still refused',
    );
    again.manager.close();
  });

  it('copies control and transactional batches untouched and does not let them supersede', () => {
    const { manager, log } = setup();
    log.append(keyed([['a', '1']]));
    const txn = keyed([['a', 'txn']], {
      producerId: 9,
      producerEpoch: 0,
      baseSequence: 0,
      transactional: true,
    });
    log.append(txn);
    const marker = buildBatch({
      records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }],
      control: true,
      transactional: true,
      producerId: 9,
      producerEpoch: 0,
    });
    log.append(marker, { origin: 'coordinator' });
    log.append(keyed([['a', '2']]));
    log.roll();
    manager.cleaner.cleanUntilIdle();
    const batches = allBatches(log);
    assert.equal(batches.length, 3, 'the first batch went; the transaction stayed');
    assert.ok(batches[0]!.isTransactional && !batches[0]!.isControl);
    assert.ok(batches[1]!.isControl);
    assert.deepEqual(
      batches[0]!.buf.subarray(12),
      txn.subarray(12),
      'byte for byte but for the base offset',
    );
    manager.close();
  });

  it('keeps the append time of a LogAppendTime batch it rebuilds', () => {
    const { manager, log, clock } = setup({ messageTimestampType: 'LogAppendTime' });
    clock.now = T0 + 500;
    log.append(buildRecordBatch({ records: [kv('a', '1', 0), kv('b', '1', 1)] }).buf);
    log.append(keyed([['a', '2']]));
    log.roll();
    manager.cleaner.cleanUntilIdle();
    const [first] = allBatches(log);
    assert.equal(first!.timestampType, TimestampType.LogAppendTime);
    assert.equal(first!.maxTimestamp, T0 + 500);
    assert.equal(first!.recordsCount, 1);
    manager.close();
  });

  it('rebuilds a batch that already has a delete horizon without moving the horizon', () => {
    const { manager, log, clock } = setup({ deleteRetentionMs: 1000 });
    log.append(
      keyed([
        ['a', null],
        ['b', '1'],
        ['c', '1'],
      ]),
    );
    log.roll();
    manager.cleaner.cleanUntilIdle();
    assert.equal(allBatches(log)[0]!.baseTimestamp, T0 + 1000);
    clock.now = T0 + 500;
    log.append(keyed([['c', '2']]));
    log.roll();
    manager.cleaner.cleanUntilIdle();
    const first = allBatches(log)[0]!;
    assert.ok(first.hasDeleteHorizon);
    assert.equal(first.baseTimestamp, T0 + 1000, 'the horizon of the first cleaning stands');
    assert.equal(first.recordsCount, 2);
    manager.close();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitBatches } from '../../src/protocol/records/batch-header.js';
import { PartitionLog } from '../../src/storage/log.js';
import { type LogConfig, logConfig } from '../../src/storage/log-config.js';
import { MemoryFileSystem } from '../../src/storage/memory-fs.js';
import { batchOffsets, buildBatch, recordValues } from './batches.js';

const DIR = '/data/topic-0';
const T0 = 1_700_000_000_000;

function setup(overrides: Partial<LogConfig> = {}) {
  const fs = new MemoryFileSystem();
  let now = T0;
  const clock = () => now;
  const config = logConfig({ messageTimestampAfterMaxMs: Number.POSITIVE_INFINITY, ...overrides });
  const open = (cfg: LogConfig = config) => PartitionLog.open({ fs, dir: DIR, config: cfg, clock });
  return {
    fs,
    open,
    log: open(),
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

describe('PartitionLog append and read', () => {
  it('assigns offsets in place and returns the batches byte for byte', () => {
    const { log } = setup();
    const a = buildBatch({ records: 3 });
    const r1 = log.append(a, { leaderEpoch: 7 });
    assert.deepEqual(
      [r1.baseOffset, r1.lastOffset, r1.logAppendTime, r1.duplicate],
      [0, 2, -1, false],
    );
    assert.equal(a.readBigInt64BE(0), 0n);
    assert.equal(a.readInt32BE(12), 7, 'partition leader epoch written');
    const b = buildBatch({ records: 2 });
    const r2 = log.append(b);
    assert.equal(r2.baseOffset, 3);
    assert.equal(b.readBigInt64BE(0), 3n, 'base offset written into the caller buffer');
    assert.equal(log.logEndOffset, 5);

    const read = log.read(0, 1 << 20);
    assert.deepEqual(read.records, Buffer.concat([a, b]));
    assert.deepEqual(batchOffsets(read.records), [
      { base: 0, last: 2 },
      { base: 3, last: 4 },
    ]);
    for (const batch of splitBatches(read.records)) assert.ok(batch.isCrcValid());
    assert.equal(read.nextOffset, 5);
    assert.equal(read.logEndOffset, 5);
  });

  it('serves the whole batch when the offset falls inside it', () => {
    const { log } = setup();
    log.append(buildBatch({ records: 5 }));
    log.append(buildBatch({ records: 5 }));
    const read = log.read(7, 1 << 20);
    assert.deepEqual(batchOffsets(read.records), [{ base: 5, last: 9 }]);
    assert.equal(read.firstOffset, 5);
    assert.deepEqual(recordValues(read.records), ['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('returns whole batches within maxBytes, and the first batch even when larger', () => {
    const { log } = setup();
    const sizes = [0, 1, 2].map(() => log.append(buildBatch({ records: 1, valueSize: 100 })));
    assert.equal(sizes.length, 3);
    const one = buildBatch({ records: 1, valueSize: 100 }).length;
    assert.equal(batchOffsets(log.read(0, one * 2 + 10).records).length, 2);
    assert.equal(batchOffsets(log.read(0, 10).records).length, 1, 'minOneBatch');
    assert.equal(log.read(0, 10, { minOneBatch: false }).records.length, 0);
  });

  it('stops before maxOffset (the high watermark)', () => {
    const { log } = setup();
    for (let i = 0; i < 4; i++) log.append(buildBatch({ records: 2 }));
    const read = log.read(0, 1 << 20, { maxOffset: 4 });
    assert.deepEqual(batchOffsets(read.records), [
      { base: 0, last: 1 },
      { base: 2, last: 3 },
    ]);
    assert.equal(log.read(4, 1 << 20, { maxOffset: 4 }).records.length, 0);
  });

  it('answers OFFSET_OUT_OF_RANGE outside [logStartOffset, logEndOffset] and empty at the end', () => {
    const { log } = setup();
    log.append(buildBatch({ records: 2 }));
    assert.equal(log.read(2, 100).records.length, 0);
    assert.throws(() => log.read(3, 100), { code: 1 });
    assert.throws(() => log.read(-1, 100), { code: 1 });
  });

  it('gives positions for delayed fetches: fetch offset, high watermark, log end', () => {
    const { log } = setup();
    const first = buildBatch({ records: 2 });
    log.append(first);
    log.append(buildBatch({ records: 2 }));
    assert.deepEqual(log.read(2, 100).fetchOffsetMetadata, {
      messageOffset: 2,
      segmentBaseOffset: 0,
      relativePositionInSegment: first.length,
    });
    assert.deepEqual(log.offsetMetadata(3), {
      messageOffset: 3,
      segmentBaseOffset: 0,
      relativePositionInSegment: first.length,
    });
    assert.equal(log.logEndOffsetMetadata.relativePositionInSegment, log.size);
    assert.equal(log.offsetMetadata(99), undefined);
  });

  it('stamps LogAppendTime and rewrites the CRC', () => {
    const { log, now } = setup({ messageTimestampType: 'LogAppendTime' });
    const batch = buildBatch({ records: 2, baseTimestamp: 5 });
    const r = log.append(batch);
    assert.equal(r.logAppendTime, now());
    const [stored] = splitBatches(log.read(0, 1000).records);
    assert.equal(stored!.maxTimestamp, now());
    assert.equal(stored!.timestampType, 1);
    assert.ok(stored!.isCrcValid());
  });

  it('refuses invalid batches with Kafka error codes', () => {
    const { log } = setup({ maxMessageBytes: 500 });
    const corrupt = buildBatch({ records: 1 });
    corrupt[corrupt.length - 1] ^= 0xff;
    assert.throws(() => log.append(corrupt), { code: 2 });
    assert.throws(() => log.append(buildBatch({ records: 1, valueSize: 600 })), { code: 10 });
    assert.throws(() => log.append(Buffer.concat([buildBatch(), buildBatch()])), { code: 87 });
    assert.throws(() => log.append(buildBatch({ baseOffset: 5 })), { code: 87 });
    assert.throws(() => log.append(buildBatch({ control: true })), { code: 87 });
    assert.throws(() => log.append(buildBatch({ attributes: 0x08 })), { code: 32 });
    assert.throws(() => log.append(buildBatch().subarray(0, 40)), { code: 2 });
    assert.equal(log.logEndOffset, 0);
  });

  it('takes a batch the Produce path checked, and checks it again when it views other bytes', () => {
    const { log } = setup();
    const good = buildBatch({ records: 2 });
    const [checked] = splitBatches(good);
    const r = log.append(good, { checkedBatch: checked });
    assert.equal(r.lastOffset, 1);
    // A checked batch that does not view `records` is ignored: the corrupt bytes are refused.
    const corrupt = buildBatch({ records: 1 });
    corrupt[corrupt.length - 1] ^= 0xff;
    const [other] = splitBatches(buildBatch({ records: 1 }));
    assert.throws(() => log.append(corrupt, { checkedBatch: other }), { code: 2 });
    assert.throws(() => log.append(corrupt, { checkedBatch: other, origin: 'client' }), {
      code: 2,
    });
    // Timestamps are still the log's to check.
    const stale = buildBatch({ baseTimestamp: 1 });
    const strict = setup({ messageTimestampBeforeMaxMs: 1000 }).log;
    assert.throws(() => strict.append(stale, { checkedBatch: splitBatches(stale)[0] }), {
      code: 32,
    });
    assert.equal(log.logEndOffset, 2);
  });

  it('refuses timestamps outside message.timestamp.before/after.max.ms', () => {
    const { log, now } = setup({
      messageTimestampAfterMaxMs: 1000,
      messageTimestampBeforeMaxMs: 1000,
    });
    assert.throws(() => log.append(buildBatch({ baseTimestamp: now() + 5000 })), { code: 32 });
    assert.throws(() => log.append(buildBatch({ baseTimestamp: now() - 5000 })), { code: 32 });
    log.append(buildBatch({ baseTimestamp: now() }));
  });

  it('takes replicated batches with the leader offsets and rejects ones going back', () => {
    const { log } = setup();
    const batch = buildBatch({ records: 3, baseOffset: 10, partitionLeaderEpoch: 4 });
    log.truncateFullyAndStartAt(10);
    const r = log.append(batch, { origin: 'replication' });
    assert.deepEqual([r.baseOffset, r.lastOffset], [10, 12]);
    assert.equal(log.read(10, 1000).records.readInt32BE(12), 4);
    assert.throws(() => log.append(buildBatch({ baseOffset: 11 }), { origin: 'replication' }));
  });
});

describe('PartitionLog segments', () => {
  it('rolls by segment.bytes and finds offsets across segments', () => {
    const one = buildBatch({ records: 1, valueSize: 100 }).length;
    const { log } = setup({ segmentBytes: one * 3, indexIntervalBytes: 1 });
    for (let i = 0; i < 10; i++) log.append(buildBatch({ records: 1, valueSize: 100 }));
    assert.deepEqual(log.segmentBaseOffsets, [0, 3, 6, 9]);
    for (let o = 0; o < 10; o++) {
      const read = log.read(o, 1);
      assert.deepEqual(batchOffsets(read.records), [{ base: o, last: o }]);
    }
    // a read stays within one segment
    assert.deepEqual(batchOffsets(log.read(4, 1 << 20).records), [
      { base: 4, last: 4 },
      { base: 5, last: 5 },
    ]);
  });

  it('rolls by segment.ms using batch timestamps', () => {
    const { log } = setup({ segmentMs: 1000 });
    log.append(buildBatch({ baseTimestamp: T0 }));
    log.append(buildBatch({ baseTimestamp: T0 + 999 }));
    assert.equal(log.numberOfSegments, 1);
    log.append(buildBatch({ baseTimestamp: T0 + 1001 }));
    assert.deepEqual(log.segmentBaseOffsets, [0, 2]);
  });

  it('rolls by segment.ms on the wall clock when batches carry no timestamp', () => {
    const { log, advance } = setup({ segmentMs: 1000 });
    log.append(buildBatch({ baseTimestamp: -1, records: [{ value: 'x', timestamp: -1 }] }));
    advance(500);
    log.append(buildBatch({ baseTimestamp: -1, records: [{ value: 'x', timestamp: -1 }] }));
    assert.equal(log.numberOfSegments, 1);
    advance(600);
    log.append(buildBatch({ baseTimestamp: -1, records: [{ value: 'x', timestamp: -1 }] }));
    assert.equal(log.numberOfSegments, 2);
  });

  it('rolls when the offset index is full', () => {
    const { log } = setup({ indexIntervalBytes: 0, segmentIndexBytes: 8 * 2 });
    for (let i = 0; i < 7; i++) log.append(buildBatch());
    assert.ok(log.numberOfSegments >= 2);
    for (let o = 0; o < 7; o++)
      assert.deepEqual(batchOffsets(log.read(o, 1).records), [{ base: o, last: o }]);
  });

  it('refuses an append larger than segment.bytes', () => {
    const { log } = setup({ segmentBytes: 100 });
    assert.throws(() => log.append(buildBatch({ records: 1, valueSize: 200 })), { code: 18 });
  });

  it('keeps state across a clean close and reopen', () => {
    const one = buildBatch({ records: 2 }).length;
    const { log, open, fs } = setup({ segmentBytes: one * 2, indexIntervalBytes: 1 });
    for (let i = 0; i < 5; i++) log.append(buildBatch({ records: 2 }));
    log.close();
    assert.equal(fs.openFileCount, 0, 'no descriptor leaked');
    const again = open();
    assert.equal(again.logEndOffset, 10);
    assert.equal(again.recoveryPoint, 10);
    assert.deepEqual(again.segmentBaseOffsets, [0, 4, 8]);
    assert.deepEqual(batchOffsets(again.read(5, 1).records), [{ base: 4, last: 5 }]);
    assert.equal(again.append(buildBatch()).baseOffset, 10);
    again.close();
  });
});

describe('PartitionLog truncation and DeleteRecords', () => {
  it('truncateTo drops the batch holding the offset and everything after', () => {
    const one = buildBatch({ records: 2 }).length;
    const { log } = setup({ segmentBytes: one * 2 });
    for (let i = 0; i < 5; i++) log.append(buildBatch({ records: 2 }));
    log.truncateTo(6);
    assert.equal(log.logEndOffset, 6);
    assert.deepEqual(log.segmentBaseOffsets, [0, 4]);
    log.truncateTo(3);
    assert.equal(log.logEndOffset, 2, 'offset 3 was inside batch [2, 3]');
    assert.equal(log.append(buildBatch()).baseOffset, 2);
    assert.deepEqual(batchOffsets(log.read(0, 1 << 20).records).at(-1), { base: 2, last: 2 });
  });

  it('truncateFullyAndStartAt empties the log at a new offset', () => {
    const { log } = setup();
    log.append(buildBatch({ records: 3 }));
    log.truncateFullyAndStartAt(100);
    assert.deepEqual([log.logStartOffset, log.logEndOffset], [100, 100]);
    assert.equal(log.append(buildBatch()).baseOffset, 100);
  });

  it('deleteRecordsBefore advances the log start offset, deletes segments, survives restart', () => {
    const one = buildBatch({ records: 2 }).length;
    const { log, open, fs } = setup({ segmentBytes: one * 2, fileDeleteDelayMs: 0 });
    for (let i = 0; i < 5; i++) log.append(buildBatch({ records: 2 }));
    assert.deepEqual(log.segmentBaseOffsets, [0, 4, 8]);
    assert.equal(log.deleteRecordsBefore(5), 5);
    assert.deepEqual(log.segmentBaseOffsets, [4, 8]);
    assert.equal(fs.exists(`${DIR}/00000000000000000000.log`), false);
    assert.throws(() => log.read(4, 100), { code: 1 });
    assert.deepEqual(batchOffsets(log.read(5, 1).records), [{ base: 4, last: 5 }]);
    assert.throws(() => log.deleteRecordsBefore(11), { code: 1 });
    // kill -9 without close: the log start offset was made durable by deleteRecordsBefore itself
    fs.crash({ dropUnsynced: false });
    const again = open();
    assert.equal(again.logStartOffset, 5);
    assert.equal(again.logEndOffset, 10);
  });

  it('deleteRecordsBefore the log end offset rolls so nothing old remains', () => {
    const { log } = setup({ fileDeleteDelayMs: 0 });
    log.append(buildBatch({ records: 3 }));
    log.deleteRecordsBefore(3);
    assert.equal(log.logStartOffset, 3);
    assert.equal(log.read(3, 100).records.length, 0);
    assert.equal(log.append(buildBatch()).baseOffset, 3);
  });
});

describe('PartitionLog timestamps', () => {
  it('finds the first batch at or after a timestamp, across segments', () => {
    const one = buildBatch({ records: 1 }).length;
    const { log } = setup({ segmentBytes: one * 3, indexIntervalBytes: 1 });
    for (let i = 0; i < 10; i++) log.append(buildBatch({ baseTimestamp: T0 + i * 10 }));
    assert.deepEqual(log.offsetForTimestamp(T0 + 35), { offset: 4, timestamp: T0 + 40 });
    log.deleteRecordsBefore(2);
    assert.deepEqual(log.offsetForTimestamp(0), { offset: 2, timestamp: T0 + 20 });
    assert.deepEqual(log.offsetForTimestamp(T0 + 40), { offset: 4, timestamp: T0 + 40 });
    assert.equal(log.offsetForTimestamp(T0 + 1000), undefined);
    assert.deepEqual(log.maxTimestampAndOffset(), { offset: 9, timestamp: T0 + 90 });
  });

  it('finds the record inside a batch, and answers per batch with timestampLocator null', () => {
    const { fs } = setup();
    const config = logConfig({ messageTimestampAfterMaxMs: Number.POSITIVE_INFINITY });
    const records = [
      { value: 'a', timestamp: T0 },
      { value: 'b', timestamp: T0 + 5 },
      { value: 'c', timestamp: T0 + 3 },
    ];
    const log = PartitionLog.open({ fs, dir: DIR, config });
    log.append(buildBatch({ records, baseTimestamp: T0 }));
    assert.deepEqual(log.offsetForTimestamp(T0 + 1), { offset: 1, timestamp: T0 + 5 });
    assert.deepEqual(log.maxTimestampAndOffset(), { offset: 1, timestamp: T0 + 5 });
    log.close();
    const perBatch = PartitionLog.open({ fs, dir: DIR, config, timestampLocator: null });
    assert.deepEqual(perBatch.offsetForTimestamp(T0 + 1), { offset: 0, timestamp: T0 + 5 });
    perBatch.close();
  });

  it('uses the time index after reopen and a timestamp locator when given', () => {
    const { fs } = setup();
    const config = logConfig({
      indexIntervalBytes: 1,
      messageTimestampAfterMaxMs: Number.POSITIVE_INFINITY,
    });
    let log = PartitionLog.open({ fs, dir: DIR, config });
    for (let i = 0; i < 5; i++) {
      log.append(
        buildBatch({
          records: [
            { value: 'a', timestamp: T0 + i * 10 },
            { value: 'b', timestamp: T0 + i * 10 + 5 },
          ],
          baseTimestamp: T0 + i * 10,
        }),
      );
    }
    log.close();
    log = PartitionLog.open({
      fs,
      dir: DIR,
      config,
      timestampLocator: (batch, ts) => {
        const base = Number(batch.readBigInt64BE(0));
        const baseTs = Number(batch.readBigInt64BE(27));
        return ts <= baseTs
          ? { offset: base, timestamp: baseTs }
          : { offset: base + 1, timestamp: baseTs + 5 };
      },
    });
    assert.deepEqual(log.offsetForTimestamp(T0 + 23), { offset: 5, timestamp: T0 + 25 });
    assert.deepEqual(log.maxTimestampAndOffset(), { offset: 9, timestamp: T0 + 45 });
    log.close();
  });
});

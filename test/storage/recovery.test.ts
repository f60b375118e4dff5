import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitBatches } from '../../src/protocol/records/batch-header.js';
import { PartitionLog } from '../../src/storage/log.js';
import { type LogConfig, logConfig } from '../../src/storage/log-config.js';
import { MemoryFileSystem } from '../../src/storage/memory-fs.js';
import { batchOffsets, buildBatch } from './batches.js';

const DIR = '/data/t-0';
const LOG0 = `${DIR}/00000000000000000000.log`;
const INDEX0 = `${DIR}/00000000000000000000.index`;

function setup(overrides: Partial<LogConfig> = {}) {
  const fs = new MemoryFileSystem();
  const config = logConfig({ messageTimestampAfterMaxMs: Number.POSITIVE_INFINITY, ...overrides });
  const open = () => PartitionLog.open({ fs, dir: DIR, config });
  return { fs, open, log: open() };
}

function allBatches(log: PartitionLog): { base: number; last: number }[] {
  const out: { base: number; last: number }[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const read = log.read(offset, 1 << 20);
    for (const b of splitBatches(read.records))
      assert.ok(b.isCrcValid(), 'served bytes pass their CRC');
    out.push(...batchOffsets(read.records));
    offset = read.nextOffset;
  }
  return out;
}

describe('recovery after a crash', () => {
  it('cuts a torn last batch and keeps offsets dense', () => {
    const { fs, log, open } = setup();
    for (let i = 0; i < 3; i++) log.append(buildBatch({ records: 2 }));
    fs.tearLastWrite(LOG0, 30);
    fs.crash({ dropUnsynced: false });
    const again = open();
    assert.equal(again.logEndOffset, 4);
    assert.deepEqual(allBatches(again), [
      { base: 0, last: 1 },
      { base: 2, last: 3 },
    ]);
    assert.equal(again.append(buildBatch()).baseOffset, 4);
    again.close();
  });

  it('cuts a tail batch whose CRC fails, and what follows it', () => {
    const { fs, log, open } = setup();
    const sizes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const b = buildBatch({ records: 1 });
      sizes.push(b.length);
      log.append(b);
    }
    // flip a byte in the third batch's record data
    fs.corrupt(LOG0, sizes[0]! + sizes[1]! + 65, Buffer.from([0xee]));
    fs.crash({ dropUnsynced: false });
    const again = open();
    assert.equal(again.logEndOffset, 2);
    assert.deepEqual(allBatches(again), [
      { base: 0, last: 0 },
      { base: 1, last: 1 },
    ]);
    again.close();
  });

  it('deletes segments after a corrupt one so no offset is re-issued out of order', () => {
    const one = buildBatch({ records: 1 }).length;
    const { fs, log, open } = setup({ segmentBytes: one * 2 });
    for (let i = 0; i < 6; i++) log.append(buildBatch({ records: 1 }));
    assert.deepEqual(log.segmentBaseOffsets, [0, 2, 4]);
    // Recovery starts at the checkpointed recovery point (4: rolls fsync); without a checkpoint
    // every segment is checked.
    fs.corrupt(`${DIR}/00000000000000000002.log`, one + 65, Buffer.from([0xee]));
    fs.crash({ dropUnsynced: false });
    fs.unlink(`${DIR}/log-state.checkpoint`);
    const again = open();
    assert.deepEqual(again.segmentBaseOffsets, [0, 2]);
    assert.equal(again.logEndOffset, 3);
    assert.equal(fs.exists(`${DIR}/00000000000000000004.log`), false);
    again.close();
  });

  it('loses only unsynced bytes on power loss; rolled segments were fsynced', () => {
    const one = buildBatch({ records: 1 }).length;
    const { fs, log, open } = setup({ segmentBytes: one * 2 });
    for (let i = 0; i < 5; i++) log.append(buildBatch({ records: 1 }));
    assert.equal(log.recoveryPoint, 4);
    fs.crash(); // drops every byte not fsynced
    const again = open();
    assert.equal(again.logEndOffset, 4);
    assert.deepEqual(allBatches(again).length, 4);
    again.close();
  });

  it('flush.messages fsyncs so power loss keeps every flushed batch', () => {
    const { fs, log, open } = setup({ flushMessages: 2 });
    for (let i = 0; i < 5; i++) log.append(buildBatch({ records: 1 }));
    assert.equal(log.recoveryPoint, 4);
    fs.crash();
    const again = open();
    assert.equal(again.logEndOffset, 4);
    again.close();
  });

  it('a kill -9 loses nothing that was appended', () => {
    const { fs, log, open } = setup();
    for (let i = 0; i < 5; i++) log.append(buildBatch({ records: 3 }));
    fs.crash({ dropUnsynced: false });
    const again = open();
    assert.equal(again.logEndOffset, 15);
    assert.equal(allBatches(again).length, 5);
    again.close();
  });

  it('rebuilds a missing or corrupt index after a clean shutdown', () => {
    const { fs, log, open } = setup({ indexIntervalBytes: 1 });
    for (let i = 0; i < 20; i++) log.append(buildBatch({ records: 1 }));
    log.close();
    fs.unlink(INDEX0);
    let again = open();
    for (let o = 0; o < 20; o++)
      assert.deepEqual(batchOffsets(again.read(o, 1).records), [{ base: o, last: o }]);
    again.close();
    assert.ok(fs.stat(INDEX0).size > 0, 'index rebuilt on disk');
    fs.corrupt(INDEX0, 8, Buffer.from([0x7f, 0, 0, 0]));
    again = open();
    for (let o = 0; o < 20; o++)
      assert.deepEqual(batchOffsets(again.read(o, 1).records), [{ base: o, last: o }]);
    again.close();
  });

  it('rebuilds indexes that were not synced before a power loss', () => {
    const { fs, log, open } = setup({ indexIntervalBytes: 1, flushMessages: 1 });
    for (let i = 0; i < 10; i++) log.append(buildBatch({ records: 1 }));
    fs.crash();
    const again = open();
    assert.equal(again.logEndOffset, 10);
    for (let o = 0; o < 10; o++)
      assert.deepEqual(batchOffsets(again.read(o, 1).records), [{ base: o, last: o }]);
    again.close();
  });
});

describe('injected I/O failures', () => {
  it('a failed log write surfaces as KAFKA_STORAGE_ERROR and leaves the log as it was', () => {
    const { fs, log, open } = setup();
    log.append(buildBatch({ records: 2 }));
    fs.failNextWrite({ path: /\.log$/, afterBytes: 25 });
    assert.throws(() => log.append(buildBatch({ records: 2 })), { code: 56 });
    assert.equal(log.logEndOffset, 2);
    assert.equal(log.isOffline, false);
    assert.equal(log.append(buildBatch({ records: 2 })).baseOffset, 2);
    assert.deepEqual(allBatches(log), [
      { base: 0, last: 1 },
      { base: 2, last: 3 },
    ]);
    log.close();
    assert.deepEqual(allBatches(open()), [
      { base: 0, last: 1 },
      { base: 2, last: 3 },
    ]);
  });

  it('a failed index write undoes the log write too', () => {
    const { fs, log } = setup({ indexIntervalBytes: 1 });
    log.append(buildBatch());
    log.append(buildBatch());
    fs.failNextWrite({ path: /\.index$/ });
    assert.throws(() => log.append(buildBatch()), { code: 56 });
    assert.equal(log.logEndOffset, 2);
    assert.equal(log.append(buildBatch()).baseOffset, 2);
    for (let o = 0; o < 3; o++)
      assert.deepEqual(batchOffsets(log.read(o, 1).records), [{ base: o, last: o }]);
  });

  it('a roll fsyncs the index of the segment it closes', () => {
    const one = buildBatch().length;
    const { fs, log, open } = setup({ indexIntervalBytes: 1, segmentBytes: one * 100 });
    for (let i = 0; i < 130; i++) log.append(buildBatch());
    assert.deepEqual(log.segmentBaseOffsets, [0, 100]);
    fs.crash({ dropUnsynced: true }); // power loss: only what was fsynced is left
    assert.equal(fs.stat(INDEX0).size, 99 * 8, 'every entry of the rolled segment is on disk');
    const again = open();
    assert.equal(again.logEndOffset >= 100, true);
    for (const o of [0, 1, 63, 64, 65, 99])
      assert.deepEqual(batchOffsets(again.read(o, 1).records), [{ base: o, last: o }]);
    again.close();
  });

  it('an append whose undo fails takes the log offline; reopening recovers it', () => {
    const { fs, log, open } = setup();
    log.append(buildBatch({ records: 2 }));
    fs.failNextWrite({ path: /\.log$/, afterBytes: 25 });
    fs.failNextTruncate({ path: /\.log$/ });
    assert.throws(() => log.append(buildBatch({ records: 2 })), { code: 56 });
    assert.equal(log.isOffline, true);
    assert.throws(() => log.read(0, 100), { code: 56 });
    log.close();
    const again = open();
    assert.deepEqual(allBatches(again), [{ base: 0, last: 1 }], 'the 25 stray bytes were cut');
    assert.equal(again.append(buildBatch()).baseOffset, 2);
    again.close();
  });

  it('a read that hits an I/O error answers KAFKA_STORAGE_ERROR and takes the log offline', () => {
    const { fs, log } = setup();
    log.append(buildBatch());
    fs.failNextRead({ path: /\.log$/ });
    assert.throws(() => log.read(0, 100), { code: 56 });
    assert.equal(log.isOffline, true);
    assert.throws(() => log.read(1, 100), { code: 56 });
  });

  it('a failed fsync takes the log offline until reopened, then recovery makes it whole', () => {
    const { fs, log, open } = setup();
    log.append(buildBatch({ records: 2 }));
    fs.failNextSync({ path: /\.log$/ });
    assert.throws(() => log.flush(), { code: 56 });
    assert.equal(log.isOffline, true);
    assert.throws(() => log.append(buildBatch()), { code: 56 });
    assert.throws(() => log.read(0, 100), { code: 56 });
    log.close();
    fs.crash({ dropUnsynced: false });
    const again = open();
    assert.equal(again.isOffline, false);
    assert.equal(again.logEndOffset, 2);
    assert.equal(again.append(buildBatch()).baseOffset, 2);
    again.close();
  });

  it('a failed write of the checkpoint at roll surfaces and the data stays readable after reopen', () => {
    const one = buildBatch({ records: 1 }).length;
    const { fs, log, open } = setup({ segmentBytes: one });
    log.append(buildBatch());
    fs.failNextWrite({ path: /checkpoint\.tmp$/ });
    assert.throws(() => log.append(buildBatch()), { code: 56 });
    log.close();
    const again = open();
    assert.ok(again.logEndOffset >= 1);
    assert.equal(allBatches(again)[0]!.base, 0);
    again.close();
  });
});

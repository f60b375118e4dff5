import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordBatchHeader } from '../../../src/protocol/records/batch-header.js';
import {
  allBatches,
  DIR,
  keyed,
  latestPerKey,
  type ReadRecord,
  readAll,
  setup,
  T0,
  writeOverwrites,
} from './helpers.js';

const DAY = 86_400_000;

describe('log cleaner: keys, offsets and tombstones', () => {
  it('keeps exactly the latest record per key, each at its original offset', () => {
    const { manager, log } = setup();
    writeOverwrites(log, 10, 6);
    log.append(
      keyed([
        ['k3', null],
        ['k7', null],
      ]),
    );
    log.append(keyed([['k7', 'back']]));
    const before = readAll(log);
    log.roll();

    const results = manager.cleaner.cleanUntilIdle();
    assert.equal(results.length, 1);
    const after = readAll(log);
    assert.deepEqual(after, latestPerKey(before));
    assert.equal(after.find((r) => r.key === 'k3')?.value, null, 'tombstone kept for now');
    assert.equal(log.logEndOffset, before.length, 'log end offset unchanged');
    assert.equal(manager.cleaner.firstDirtyOffset('compacted', 0), log.logEndOffset);
    assert.deepEqual(manager.cleaner.cleanUntilIdle(), [], 'nothing dirty is left');
    manager.close();
  });

  it('gives tombstones a delete horizon and removes them after delete.retention.ms', () => {
    const { manager, log, clock } = setup({ deleteRetentionMs: DAY });
    log.append(
      keyed([
        ['a', '1'],
        ['b', '1'],
        ['c', '1'],
      ]),
    );
    log.append(
      keyed([
        ['a', null],
        ['b', '2'],
      ]),
    );
    log.roll();
    manager.cleaner.cleanUntilIdle();
    const withHorizon = allBatches(log).filter((b) => b.hasDeleteHorizon);
    assert.equal(withHorizon.length, 1);
    assert.equal(
      withHorizon[0]!.baseTimestamp,
      T0 + DAY,
      'horizon = clean time + delete.retention.ms',
    );
    const tomb = readAll(log).find((r) => r.key === 'a')!;
    assert.equal(tomb.value, null);
    assert.equal(tomb.timestamp, T0, 'the record keeps its own timestamp under a horizon');

    // Before the horizon another cleaning keeps it; after it, the next cleaning drops it.
    clock.now = T0 + DAY - 1;
    log.append(keyed([['c', '2']]));
    log.roll();
    manager.cleaner.cleanUntilIdle();
    assert.ok(readAll(log).some((r) => r.key === 'a'));
    clock.now = T0 + DAY + 1;
    log.append(keyed([['c', '3']]));
    log.roll();
    manager.cleaner.cleanUntilIdle();
    const final = readAll(log);
    assert.deepEqual(
      final.map((r) => [r.key, r.value]),
      [
        ['b', '2'],
        ['c', '3'],
      ],
    );
    assert.ok(manager.cleaner.history.at(-1)!.stats.tombstonesRemoved >= 1);
    manager.close();
  });

  it('never cleans the active segment', () => {
    const { manager, log } = setup({ segmentBytes: 1 << 20 });
    writeOverwrites(log, 3, 5);
    assert.deepEqual(manager.cleaner.cleanUntilIdle(), []);
    assert.equal(readAll(log).length, 15);
    manager.close();
  });

  it('drops records without a key, which a compacted topic never accepts', () => {
    const { manager, log } = setup();
    log.append(
      keyed([
        ['a', '1'],
        [null, 'x'],
        ['a', '2'],
      ]),
    );
    log.roll();
    manager.cleaner.cleanUntilIdle();
    assert.deepEqual(
      readAll(log).map((r) => r.value),
      ['2'],
    );
    assert.equal(manager.cleaner.history.at(-1)!.stats.invalidMessages, 1);
    manager.close();
  });

  it('cleans the same way after a reopen, from the checkpointed dirty offset', () => {
    const { manager, log, reopen } = setup();
    writeOverwrites(log, 4, 3);
    log.roll();
    manager.cleaner.cleanUntilIdle();
    const dirtyFrom = manager.cleaner.firstDirtyOffset('compacted', 0);
    manager.close();
    const again = reopen();
    assert.equal(again.manager.cleaner.firstDirtyOffset('compacted', 0), dirtyFrom);
    writeOverwrites(again.log, 4, 2);
    const before: ReadRecord[] = readAll(again.log);
    again.log.roll();
    const [result] = again.manager.cleaner.cleanUntilIdle();
    assert.equal(result?.firstDirtyOffset, dirtyFrom);
    assert.deepEqual(readAll(again.log), latestPerKey(before));
    again.manager.close();
  });

  it('lowers its checkpoint when the log is truncated below it', () => {
    const { manager, log } = setup();
    writeOverwrites(log, 4, 4);
    log.roll();
    manager.cleaner.cleanUntilIdle();
    log.append(keyed([['z', '1']]));
    log.truncateTo(5);
    assert.equal(manager.cleaner.firstDirtyOffset('compacted', 0), 5);
    manager.close();
  });

  it('keeps records above the offset map when the map fills, and converges over rounds', () => {
    // 64 KiB of map at load factor 0.001 holds two keys: every round maps only a few batches.
    const { manager, log } = setup({}, { dedupeBufferSize: 64 * 1024, ioBufferLoadFactor: 0.001 });
    writeOverwrites(log, 8, 4, 2);
    const before = readAll(log);
    log.roll();
    const results = manager.cleaner.cleanUntilIdle();
    assert.ok(results.length > 1, `several rounds (${results.length})`);
    assert.ok(
      results[0]!.endOffset < log.logEndOffset,
      'the first round stopped inside the dirty section',
    );
    assert.deepEqual(readAll(log), latestPerKey(before));
    manager.close();
  });

  it('writes batches that decode as RecordBatch v2 with their original offsets', () => {
    const { manager, log, fs } = setup();
    writeOverwrites(log, 5, 3);
    log.roll();
    manager.cleaner.cleanUntilIdle();
    for (const b of allBatches(log)) {
      assert.equal(b.magic, 2);
      assert.ok(new RecordBatchHeader(b.buf).isCrcValid());
    }
    assert.deepEqual(
      fs.readdir(DIR).filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap')),
      [],
    );
    manager.close();
  });
});

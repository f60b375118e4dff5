import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyed, latestPerKey, readAll, setup, T0, writeOverwrites } from './helpers.js';

const HOUR = 3_600_000;

describe('log cleaner: topic and broker settings', () => {
  it('waits until the dirty ratio exceeds min.cleanable.dirty.ratio', () => {
    const { manager, log } = setup({ minCleanableDirtyRatio: 0.5 });
    writeOverwrites(log, 10, 4);
    log.roll();
    assert.equal(manager.cleaner.cleanUntilIdle().length, 1, 'all dirty: ratio 1');
    // A little new data over a larger clean section: ratio below 0.5.
    log.append(keyed([['k1', 'x']]));
    log.roll();
    assert.deepEqual(manager.cleaner.cleanUntilIdle(), []);
    // More dirty bytes than clean ones: above 0.5.
    writeOverwrites(log, 10, 2);
    log.roll();
    const [result] = manager.cleaner.cleanUntilIdle();
    assert.ok(result && result.firstDirtyOffset > 0);
    manager.close();
  });

  it('leaves segments younger than min.compaction.lag.ms alone', () => {
    const { manager, log, clock } = setup({ minCompactionLagMs: HOUR });
    writeOverwrites(log, 5, 3, 5, T0);
    log.roll();
    assert.deepEqual(manager.cleaner.cleanUntilIdle(), [], 'records are younger than the lag');
    clock.now = T0 + HOUR + 1;
    assert.equal(manager.cleaner.cleanUntilIdle().length, 1);
    assert.equal(readAll(log).length, 5);
    manager.close();
  });

  it('cleans below the ratio once a dirty segment is older than max.compaction.lag.ms', () => {
    const { manager, log, clock } = setup({
      minCleanableDirtyRatio: 0.99,
      maxCompactionLagMs: HOUR,
    });
    writeOverwrites(log, 10, 4);
    log.roll();
    manager.cleaner.cleanUntilIdle();
    log.append(keyed([['k1', 'late']], { timestamp: T0 }));
    log.roll();
    assert.deepEqual(manager.cleaner.cleanUntilIdle(), [], 'ratio below 0.99, lag not reached');
    clock.now = T0 + HOUR + 1;
    assert.equal(manager.cleaner.cleanUntilIdle().length, 1);
    assert.equal(readAll(log).find((r) => r.key === 'k1')?.value, 'late');
    manager.close();
  });

  it('rolls the active segment of a compacted topic every max.compaction.lag.ms', () => {
    const { manager, log, clock } = setup({ segmentBytes: 1 << 20, maxCompactionLagMs: HOUR });
    log.append(keyed([['a', '1']], { timestamp: T0 }));
    clock.now = T0 + HOUR + 1;
    log.append(keyed([['a', '2']], { timestamp: clock.now }));
    assert.equal(log.numberOfSegments, 2, 'the first record can now be cleaned');
    manager.close();
  });

  it('merges small segments up to segment.bytes and segment.index.bytes', () => {
    const { manager, log } = setup({ segmentBytes: 1024 });
    for (let round = 0; round < 4; round++) {
      writeOverwrites(log, 3, 8);
      log.roll();
      manager.cleaner.cleanUntilIdle();
    }
    const before = readAll(log);
    assert.ok(log.numberOfSegments <= 3, `merged into ${log.segmentBaseOffsets.join(', ')}`);
    assert.deepEqual(before, latestPerKey(before));

    const tight = setup({ segmentBytes: 1 << 20, segmentIndexBytes: 8, indexIntervalBytes: 0 });
    for (let round = 0; round < 3; round++) {
      writeOverwrites(tight.log, 3, 2, 1);
      tight.log.roll();
    }
    tight.manager.cleaner.cleanUntilIdle();
    // Each segment's .index already holds entries: two segments' indexes never fit 8 bytes.
    assert.ok(tight.log.numberOfSegments >= 3);
    tight.manager.close();
    manager.close();
  });

  it('always compacts __consumer_offsets, whatever its cleanup.policy says', () => {
    const { manager } = setup({ cleanupPolicy: ['delete'] });
    const offsets = manager.getOrCreateLog('__consumer_offsets', 7);
    const other = manager.getOrCreateLog('events', 0);
    for (const log of [offsets, other]) {
      writeOverwrites(log, 3, 5);
      log.roll();
    }
    const results = manager.cleaner.cleanUntilIdle();
    assert.deepEqual(
      results.map((r) => `${r.topic}-${r.partition}`),
      ['__consumer_offsets-7'],
    );
    assert.equal(readAll(offsets).length, 3);
    assert.equal(readAll(other).length, 15);
    manager.close();
  });

  it('never cleans past the high watermark', () => {
    let highWatermark = 0;
    const { manager, log } = setup({}, {}, undefined, { highWatermarkOf: () => highWatermark });
    writeOverwrites(log, 5, 4);
    log.roll();
    assert.deepEqual(manager.cleaner.cleanUntilIdle(), []);
    highWatermark = log.logEndOffset;
    assert.equal(manager.cleaner.cleanUntilIdle().length, 1);
    manager.close();
  });
});

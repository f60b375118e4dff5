import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readWholeFile } from '../../src/storage/fs.js';
import { LeaderEpochCache } from '../../src/storage/leader-epoch-cache.js';
import { PartitionLog } from '../../src/storage/log.js';
import { logConfig } from '../../src/storage/log-config.js';
import { MemoryFileSystem } from '../../src/storage/memory-fs.js';
import { buildBatch } from './batches.js';

const DIR = '/data/epochs-0';

function cache() {
  const fs = new MemoryFileSystem();
  fs.mkdirp(DIR);
  return { fs, epochs: new LeaderEpochCache(fs, DIR) };
}

describe('LeaderEpochCache', () => {
  it("answers OffsetForLeaderEpoch by Kafka's rules", () => {
    const { epochs } = cache();
    epochs.assign(2, 0);
    epochs.assign(4, 10);
    epochs.assign(7, 25);
    assert.deepEqual(
      epochs.endOffsetFor(7, 40),
      { epoch: 7, endOffset: 40 },
      'latest: the log end',
    );
    assert.deepEqual(epochs.endOffsetFor(4, 40), { epoch: 4, endOffset: 25 });
    assert.deepEqual(
      epochs.endOffsetFor(5, 40),
      { epoch: 4, endOffset: 25 },
      'unknown epoch: the one below',
    );
    assert.deepEqual(epochs.endOffsetFor(1, 40), { epoch: 1, endOffset: 0 }, 'older than all');
    assert.deepEqual(epochs.endOffsetFor(9, 40), { epoch: -1, endOffset: -1 });
    assert.deepEqual(epochs.endOffsetFor(-1, 40), { epoch: -1, endOffset: -1 });
    assert.equal(epochs.epochForOffset(12), 4);
    assert.equal(epochs.epochForOffset(25), 7);
  });

  it('drops entries a new assignment contradicts, and truncates from both ends', () => {
    const { fs, epochs } = cache();
    epochs.assign(2, 0);
    epochs.assign(4, 10);
    epochs.assign(3, 8); // epoch 4 at 10 cannot be true anymore
    assert.deepEqual(epochs.epochEntries, [
      { epoch: 2, startOffset: 0 },
      { epoch: 3, startOffset: 8 },
    ]);
    epochs.assign(5, 20);
    epochs.truncateFromEnd(20);
    assert.equal(epochs.latestEpoch, 3);
    epochs.truncateFromStart(9);
    assert.deepEqual(epochs.epochEntries, [{ epoch: 3, startOffset: 9 }]);
    assert.equal(readWholeFile(fs, `${DIR}/leader-epoch-checkpoint`).toString(), '0\n1\n3 9\n');
    assert.deepEqual(new LeaderEpochCache(fs, DIR).epochEntries, [{ epoch: 3, startOffset: 9 }]);
  });

  it('is kept by PartitionLog through appends, truncation, DeleteRecords and a crash', () => {
    const fs = new MemoryFileSystem();
    const config = logConfig({
      messageTimestampAfterMaxMs: Number.POSITIVE_INFINITY,
      fileDeleteDelayMs: 0,
    });
    const log = PartitionLog.open({ fs, dir: DIR, config });
    log.append(buildBatch({ records: 2 }), { leaderEpoch: 1 });
    log.append(buildBatch({ records: 2 }), { leaderEpoch: 1 });
    log.append(buildBatch({ records: 2 }), { leaderEpoch: 3 });
    assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 4 });
    assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 6 });
    assert.equal(log.epochForOffset(5), 3);
    log.deleteRecordsBefore(1);
    assert.equal(log.epochForOffset(1), 1);
    log.truncateTo(4);
    assert.equal(log.latestEpoch, 1);
    log.append(buildBatch({ records: 2 }), { leaderEpoch: 5 });
    fs.crash({ dropUnsynced: false });
    fs.unlink(`${DIR}/leader-epoch-checkpoint`); // recovery rebuilds it from the batches
    const again = PartitionLog.open({ fs, dir: DIR, config });
    assert.deepEqual(again.endOffsetForEpoch(1), { epoch: 1, endOffset: 4 });
    assert.equal(again.latestEpoch, 5);
    again.close();
  });
});

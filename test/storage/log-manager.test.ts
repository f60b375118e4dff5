import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NodeFileSystem } from '../../src/storage/fs.js';
import { logConfig } from '../../src/storage/log-config.js';
import { LogManager, parsePartitionDirName } from '../../src/storage/log-manager.js';
import { MemoryFileSystem } from '../../src/storage/memory-fs.js';
import { batchOffsets, buildBatch } from './batches.js';

const T0 = 1_700_000_000_000;
const config = logConfig({
  messageTimestampAfterMaxMs: Number.POSITIVE_INFINITY,
  fileDeleteDelayMs: 0,
});

describe('LogManager', () => {
  it('parses <topic>-<partition> directory names, topics with dashes included', () => {
    assert.deepEqual(parsePartitionDirName('my-topic-12'), { topic: 'my-topic', partition: 12 });
    assert.equal(parsePartitionDirName('meta.properties'), undefined);
    assert.equal(parsePartitionDirName('topic-x'), undefined);
  });

  it('creates, finds, reloads and deletes logs', () => {
    const fs = new MemoryFileSystem();
    const open = () => LogManager.open({ dataDir: '/data', fs, defaultConfig: config });
    const manager = open();
    manager.getOrCreateLog('orders', 0).append(buildBatch({ records: 3 }));
    manager.getOrCreateLog('orders', 1).append(buildBatch({ records: 1 }));
    manager.getOrCreateLog('my-events', 0);
    assert.throws(() => manager.getOrCreateLog('../x', 0), { code: 17 });
    fs.mkdirp('/data/not a log');
    manager.close();

    const again = open();
    assert.equal(again.size, 3);
    assert.equal(again.getLog('orders', 0)?.logEndOffset, 3);
    assert.equal(again.getLog('orders', 1)?.logEndOffset, 1);
    assert.equal(again.getLog('my-events', 0)?.logEndOffset, 0);
    assert.ok(again.deleteLog('orders', 1));
    assert.equal(fs.exists('/data/orders-1'), false);
    assert.equal(again.getLog('orders', 1), undefined);
    again.close();
    assert.equal(fs.openFileCount, 0);
  });

  it('runs retention and flush checks on demand with an injected clock', () => {
    const fs = new MemoryFileSystem();
    let now = T0;
    const one = buildBatch().length;
    const manager = LogManager.open({
      dataDir: '/data',
      fs,
      clock: () => now,
      configFor: (topic) =>
        topic === 'short'
          ? logConfig({ ...config, retentionMs: 1000, segmentBytes: one, flushMs: 500 })
          : config,
    });
    const short = manager.getOrCreateLog('short', 0);
    const long = manager.getOrCreateLog('long', 0);
    for (let i = 0; i < 3; i++) {
      short.append(buildBatch({ baseTimestamp: T0 }));
      long.append(buildBatch({ baseTimestamp: T0 }));
    }
    now = T0 + 2000;
    assert.equal(manager.runRetention(), 3);
    assert.equal(short.logStartOffset, 3);
    assert.equal(long.logStartOffset, 0);

    short.append(buildBatch({ baseTimestamp: now }));
    assert.equal(short.recoveryPoint, 3);
    now += 600;
    manager.runFlushCheck();
    assert.equal(short.recoveryPoint, 4);
    assert.equal(long.recoveryPoint, 0, 'flush.ms defaults to never');
    manager.close();
  });

  it('starts and stops its timers without keeping the process alive', () => {
    const manager = LogManager.open({
      dataDir: '/data',
      fs: new MemoryFileSystem(),
      defaultConfig: config,
    });
    manager.startSchedulers();
    manager.close();
  });

  it('works on a real directory, and recovers a log that was not closed', () => {
    const dataDir = nodeFs.mkdtempSync(join(tmpdir(), 'samsa-storage-'));
    try {
      const fs = new NodeFileSystem();
      const manager = LogManager.open({ dataDir, fs, defaultConfig: config });
      const log = manager.getOrCreateLog('real', 0);
      for (let i = 0; i < 5; i++) log.append(buildBatch({ records: 2 }));
      // Simulate kill -9 mid-write: no close, and a torn batch at the end of the segment file.
      const segment = join(dataDir, 'real-0', '00000000000000000000.log');
      nodeFs.appendFileSync(segment, buildBatch({ records: 2 }).subarray(0, 40));

      const again = LogManager.open({ dataDir, fs, defaultConfig: config });
      const recovered = again.getLog('real', 0)!;
      assert.equal(recovered.logEndOffset, 10);
      assert.equal(nodeFs.statSync(segment).size, log.size);
      assert.deepEqual(batchOffsets(recovered.read(8, 1 << 20).records), [{ base: 8, last: 9 }]);
      assert.equal(recovered.append(buildBatch()).baseOffset, 10);
      again.close();
      // the first manager's descriptors are still open (it "died"); close them to clean up
      for (const [, l] of manager.allLogs()) l.delete();
    } finally {
      nodeFs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

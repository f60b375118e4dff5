import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartitionLog } from '../../src/storage/log.js';
import { type LogConfig, logConfig } from '../../src/storage/log-config.js';
import { MemoryFileSystem } from '../../src/storage/memory-fs.js';
import { buildBatch } from './batches.js';

const DIR = '/data/ret-0';
const T0 = 1_700_000_000_000;
const ONE = buildBatch({ records: 1 }).length;

function setup(overrides: Partial<LogConfig>) {
  const fs = new MemoryFileSystem();
  let now = T0;
  const config = logConfig({
    segmentBytes: ONE * 2,
    fileDeleteDelayMs: 0,
    messageTimestampAfterMaxMs: Number.POSITIVE_INFINITY,
    ...overrides,
  });
  const log = PartitionLog.open({ fs, dir: DIR, config, clock: () => now });
  return {
    fs,
    log,
    setNow: (t: number) => {
      now = t;
    },
  };
}

const segmentFile = (base: number) => `${DIR}/${String(base).padStart(20, '0')}.log`;

describe('retention', () => {
  it('retention.ms deletes segments whose largest timestamp is too old, oldest first', () => {
    const { fs, log, setNow } = setup({ retentionMs: 1000 });
    for (let i = 0; i < 6; i++) log.append(buildBatch({ baseTimestamp: T0 + i * 100 }));
    assert.deepEqual(log.segmentBaseOffsets, [0, 2, 4]);
    setNow(T0 + 1150); // segment 0's largest timestamp (T0+100) is 1050 ms old
    assert.equal(log.deleteOldSegments(), 1);
    assert.deepEqual(log.segmentBaseOffsets, [2, 4]);
    assert.equal(log.logStartOffset, 2);
    assert.equal(fs.exists(segmentFile(0)), false);
    assert.equal(fs.exists(`${DIR}/00000000000000000000.index`), false);
  });

  it('retention.ms may empty the log: it rolls and keeps an empty active segment', () => {
    const { log, setNow } = setup({ retentionMs: 1000 });
    for (let i = 0; i < 3; i++) log.append(buildBatch({ baseTimestamp: T0 }));
    setNow(T0 + 5000);
    log.deleteOldSegments();
    assert.deepEqual(log.segmentBaseOffsets, [3]);
    assert.deepEqual([log.logStartOffset, log.logEndOffset], [3, 3]);
    assert.equal(log.deleteOldSegments(), 0, 'an empty active segment is never deleted');
    assert.equal(log.append(buildBatch()).baseOffset, 3);
  });

  it('never deletes past the high watermark', () => {
    const { log, setNow } = setup({ retentionMs: 1000 });
    for (let i = 0; i < 6; i++) log.append(buildBatch({ baseTimestamp: T0 }));
    setNow(T0 + 5000);
    assert.equal(log.deleteOldSegments(3), 1, 'segment [2, 4) holds offset 3, at/above the HW');
    assert.deepEqual(log.segmentBaseOffsets, [2, 4]);
  });

  it('retention.ms = -1 keeps everything', () => {
    const { log, setNow } = setup({ retentionMs: -1 });
    for (let i = 0; i < 6; i++) log.append(buildBatch({ baseTimestamp: T0 }));
    setNow(T0 + 1e12);
    assert.equal(log.deleteOldSegments(), 0);
  });

  it('retention.bytes deletes the oldest segments while the log stays at or over the limit', () => {
    const { log } = setup({ retentionBytes: ONE * 3, retentionMs: -1 });
    for (let i = 0; i < 7; i++) log.append(buildBatch());
    assert.deepEqual(log.segmentBaseOffsets, [0, 2, 4, 6]);
    assert.equal(log.deleteOldSegments(), 2);
    assert.deepEqual(log.segmentBaseOffsets, [4, 6]);
    assert.equal(log.logStartOffset, 4);
    assert.equal(log.size, ONE * 3);
  });

  it('cleanup.policy=compact applies neither retention.ms nor retention.bytes', () => {
    const { log, setNow } = setup({
      retentionBytes: 1,
      retentionMs: 1,
      cleanupPolicy: ['compact'],
    });
    for (let i = 0; i < 5; i++) log.append(buildBatch({ baseTimestamp: T0 }));
    setNow(T0 + 1e6);
    assert.equal(log.deleteOldSegments(), 0);
  });

  it('file.delete.delay.ms keeps .deleted files until the delay has passed', () => {
    const { fs, log, setNow } = setup({
      retentionBytes: ONE * 2,
      retentionMs: -1,
      fileDeleteDelayMs: 1000,
    });
    for (let i = 0; i < 5; i++) log.append(buildBatch());
    log.deleteOldSegments();
    assert.equal(fs.exists(segmentFile(0)), false);
    assert.equal(fs.exists(`${segmentFile(0)}.deleted`), true);
    log.deletePendingFiles(T0 + 999);
    assert.equal(fs.exists(`${segmentFile(0)}.deleted`), true);
    setNow(T0 + 1000);
    log.deletePendingFiles();
    assert.equal(fs.exists(`${segmentFile(0)}.deleted`), false);
  });
});

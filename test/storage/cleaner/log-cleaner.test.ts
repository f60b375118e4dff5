import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CLEANER_CHECKPOINT_FILE,
  readCleanerCheckpoint,
  writeCleanerCheckpoint,
} from '../../../src/storage/cleaner/cleaner-checkpoint.js';
import { cleanerConfig } from '../../../src/storage/cleaner/cleaner-config.js';
import { OffsetMap } from '../../../src/storage/cleaner/offset-map.js';
import { NodeFileSystem } from '../../../src/storage/fs.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { MemoryFileSystem } from '../../../src/storage/memory-fs.js';
import {
  compactedConfig,
  DATA,
  keyed,
  latestPerKey,
  readAll,
  setup,
  writeOverwrites,
} from './helpers.js';

async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('offset map', () => {
  it('keeps the latest offset per key and reports absent keys as -1', () => {
    const map = new OffsetMap(64 * 1024);
    for (let i = 0; i < 1000; i++) map.put(Buffer.from(`key-${i % 100}`), i);
    assert.equal(map.size, 100);
    assert.equal(map.get(Buffer.from('key-7')), 907);
    assert.equal(map.get(Buffer.from('other')), -1);
    assert.equal(map.latestOffset, 999);
  });

  it('grows within its memory bound, keeping every entry', () => {
    const map = new OffsetMap(8 * 1024 * 1024);
    const start = map.slots;
    for (let i = 0; i < 50_000; i++) map.put(Buffer.from(`key-${i}`), i);
    assert.ok(map.slots > start && map.slots <= map.maxSlots);
    for (const i of [0, 1, 4_999, 49_999]) assert.equal(map.get(Buffer.from(`key-${i}`)), i);
    assert.equal(map.size, 50_000);
  });

  it('refuses to fill its last free slot', () => {
    const map = new OffsetMap(24 * 3);
    map.put(Buffer.from('a'), 0);
    map.put(Buffer.from('b'), 1);
    assert.throws(() => map.put(Buffer.from('c'), 2), /full/);
    assert.equal(map.get(Buffer.from('c')), -1);
    map.put(Buffer.from('a'), 5);
    assert.equal(map.get(Buffer.from('a')), 5);
  });
});

describe('cleaner settings and checkpoint', () => {
  it('refuses settings the cleaner cannot work with, by their Kafka names', () => {
    assert.throws(
      () => cleanerConfig({ ioBufferLoadFactor: 0 }),
      /log.cleaner.io.buffer.load.factor/,
    );
    assert.throws(() => cleanerConfig({ threads: -1 }), /log.cleaner.threads/);
    assert.throws(
      () => cleanerConfig({ dedupeBufferSize: 1024 }),
      /log.cleaner.dedupe.buffer.size/,
    );
    assert.equal(cleanerConfig().backoffMs, 15_000);
  });

  it('writes cleaner-offset-checkpoint in Kafka format and reads it back', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp(DATA);
    const offsets = new Map([
      ['orders 0', 120],
      ['__consumer_offsets 7', 88],
    ]);
    writeCleanerCheckpoint(fs, DATA, offsets);
    const text = fs.stat(`${DATA}/${CLEANER_CHECKPOINT_FILE}`);
    assert.ok(text.size > 0);
    assert.deepEqual(readCleanerCheckpoint(fs, DATA), offsets);
    fs.corrupt(`${DATA}/${CLEANER_CHECKPOINT_FILE}`, 0, Buffer.from('9'));
    assert.deepEqual(readCleanerCheckpoint(fs, DATA), new Map(), 'unreadable: all dirty');
  });

  it('drops the checkpoint of a deleted partition', () => {
    const { manager, log } = setup();
    writeOverwrites(log, 3, 3);
    log.roll();
    manager.cleaner.cleanUntilIdle();
    assert.ok(manager.cleaner.firstDirtyOffset('compacted', 0) !== undefined);
    manager.deleteLog('compacted', 0);
    assert.equal(manager.cleaner.firstDirtyOffset('compacted', 0), undefined);
    manager.close();
  });
});

describe('log cleaner in the background', () => {
  it('compacts while appends go on, and stops with the manager', async () => {
    const dir = nodeFs.mkdtempSync(join(tmpdir(), 'samsa-cleaner-'));
    try {
      const manager = LogManager.open({
        dataDir: dir,
        fs: new NodeFileSystem(),
        defaultConfig: compactedConfig({ segmentBytes: 4096 }),
        cleaner: { backoffMs: 5, ioBufferSize: 4096, maxTickMs: 1 },
      });
      const log = manager.getOrCreateLog('compacted', 0);
      writeOverwrites(log, 20, 10);
      log.roll();
      const before = readAll(log);
      manager.startSchedulers();
      const busy = manager.getOrCreateLog('busy', 0);
      let appended = 0;
      await waitFor('a cleaning', () => {
        busy.append(keyed([['x', String(appended++)]]));
        return manager.cleaner.firstDirtyOffset('compacted', 0) !== undefined;
      });
      assert.ok(appended > 1, 'appends interleaved with the cleaning steps');
      assert.deepEqual(readAll(log), latestPerKey(before));
      manager.close();
      assert.equal(manager.cleaner.isRunning, false);

      const again = LogManager.open({ dataDir: dir, defaultConfig: compactedConfig() });
      assert.deepEqual(readAll(again.getOrCreateLog('compacted', 0)), latestPerKey(before));
      assert.deepEqual(
        nodeFs.readdirSync(join(dir, 'compacted-0')).filter((n) => /\.(cleaned|swap)$/.test(n)),
        [],
      );
      again.close();
    } finally {
      nodeFs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not start when log.cleaner.enable is false', () => {
    const { manager } = setup({}, { enable: false });
    manager.startSchedulers();
    assert.equal(manager.cleaner.isRunning, false);
    manager.close();
  });
});

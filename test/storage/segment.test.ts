import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitBatches } from '../../src/protocol/records/batch-header.js';
import { readWholeFile } from '../../src/storage/fs.js';
import { MemoryFileSystem } from '../../src/storage/memory-fs.js';
import { OffsetIndex } from '../../src/storage/offset-index.js';
import { LogSegment, segmentFileName } from '../../src/storage/segment.js';
import { TimeIndex } from '../../src/storage/time-index.js';
import { buildBatch } from './batches.js';

const T0 = 1_700_000_000_000;

function memDir() {
  const fs = new MemoryFileSystem();
  fs.mkdirp('/s');
  return fs;
}

describe('offset and time indexes', () => {
  it('look up the floor entry and persist 8- and 12-byte big-endian entries', () => {
    const fs = memDir();
    const index = new OffsetIndex(fs, '/s/i', 100, 1024);
    index.append(110, 500);
    index.append(120, 900);
    assert.deepEqual(index.lookup(105), { offset: 100, position: 0 });
    assert.deepEqual(index.lookup(115), { offset: 110, position: 500 });
    assert.deepEqual(index.lookup(1000), { offset: 120, position: 900 });
    assert.deepEqual(
      readWholeFile(fs, '/s/i'),
      Buffer.from([0, 0, 0, 10, 0, 0, 1, 244, 0, 0, 0, 20, 0, 0, 3, 132]),
    );
    assert.throws(() => index.append(115, 1000));
    index.truncateTo(120);
    assert.equal(index.entryCount, 1);
    const reloaded = new OffsetIndex(fs, '/s/i', 100, 1024);
    assert.ok(reloaded.load(600));
    assert.equal(reloaded.load(400), false, 'an entry past the end of the log is refused');

    const time = new TimeIndex(fs, '/s/t', 100, 1024);
    time.maybeAppend(T0, 100);
    time.maybeAppend(T0, 105); // not larger: skipped
    time.maybeAppend(T0 + 10, 110);
    assert.equal(time.entryCount, 2);
    assert.deepEqual(time.lookup(T0 + 5), { timestamp: T0, offset: 100 });
    assert.deepEqual(time.lookup(T0 - 1), { timestamp: -1, offset: 100 });
    assert.equal(readWholeFile(fs, '/s/t').length, 24);
  });

  it('count as full at segment.index.bytes', () => {
    const index = new OffsetIndex(memDir(), '/s/i', 0, 16);
    index.append(1, 10);
    assert.equal(index.isFull, false);
    index.append(2, 20);
    assert.equal(index.isFull, true);
  });
});

describe('LogSegment', () => {
  const settings = { indexIntervalBytes: 100, segmentIndexBytes: 1 << 16, rollJitterMs: 0 };

  function filled(fs: MemoryFileSystem) {
    const seg = LogSegment.create(fs, '/s', 50, settings, T0);
    let offset = 50;
    for (let i = 0; i < 20; i++) {
      const buf = buildBatch({ records: 3, baseTimestamp: T0 + i });
      const [batch] = splitBatches(buf);
      batch!.baseOffset = offset;
      offset += 3;
      seg.append(buf, [batch!]);
    }
    return seg;
  }

  it('names files by base offset and locates offsets through the sparse index', () => {
    const fs = memDir();
    const seg = filled(fs);
    assert.equal(segmentFileName(50, '.log'), '00000000000000000050.log');
    assert.ok(fs.exists('/s/00000000000000000050.timeindex'));
    assert.ok(seg.offsetIndex.entryCount > 3);
    assert.equal(seg.nextOffset, 110);
    for (const offset of [50, 51, 52, 53, 80, 109]) {
      const loc = seg.translateOffset(offset)!;
      assert.ok(loc.baseOffset <= offset && offset <= loc.lastOffset, `offset ${offset}`);
    }
    assert.equal(seg.translateOffset(110), undefined);
    assert.equal(seg.findBatchByTimestamp(T0 + 7, 0)?.baseOffset, 50 + 7 * 3);
    assert.deepEqual(seg.maxTimestampAndOffset, { timestamp: T0 + 19, offset: 50 + 19 * 3 });
  });

  it('reloads lazily and rebuilds an index that does not match the log', () => {
    const fs = memDir();
    filled(fs).close();
    const good = LogSegment.open(fs, '/s', 50, settings, T0);
    assert.equal(good.nextOffset, 110);
    good.closeHandles();
    const indexFd = fs.open('/s/00000000000000000050.index');
    fs.write(indexFd, Buffer.alloc(8), fs.size(indexFd)); // a zero entry, as a preallocated file would have
    fs.close(indexFd);
    const rebuilt = LogSegment.open(fs, '/s', 50, settings, T0);
    assert.equal(rebuilt.translateOffset(100)?.baseOffset, 98);
    assert.equal(fs.stat('/s/00000000000000000050.index').size % 8, 0);
    rebuilt.closeHandles();
  });

  it('truncates to an offset and keeps a consistent tail', () => {
    const fs = memDir();
    const seg = filled(fs);
    const before = seg.size;
    const removed = seg.truncateTo(81);
    assert.equal(seg.nextOffset, 80);
    assert.equal(seg.size, before - removed);
    assert.equal(seg.maxTimestampAndOffset.timestamp, T0 + 9);
    assert.equal(seg.translateOffset(79)?.baseOffset, 77);
  });
});

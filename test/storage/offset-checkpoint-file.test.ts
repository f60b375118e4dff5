// The offset checkpoint file (Kafka's OffsetCheckpointFile layout, used for
// replication-offset-checkpoint): the exact text written, atomic replacement under failing
// writes, syncs and crashes, and a clear error for every way the file can be damaged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readWholeFile } from '../../src/storage/fs.js';
import { MemoryFileSystem } from '../../src/storage/memory-fs.js';
import {
  CorruptCheckpointError,
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
} from '../../src/storage/offset-checkpoint-file.js';

const NAME = 'replication-offset-checkpoint';
const entries = [
  { topic: 'orders', partition: 0, offset: 1200 },
  { topic: '__consumer_offsets', partition: 7, offset: 88 },
];

function fsWith(text?: string): MemoryFileSystem {
  const fs = new MemoryFileSystem();
  fs.mkdirp('/data');
  if (text !== undefined) {
    const fd = fs.open(`/data/${NAME}`);
    fs.write(fd, Buffer.from(text), 0);
    fs.close(fd);
  }
  return fs;
}

describe('offset checkpoint file', () => {
  it("writes Kafka's layout (version, count, one 'topic partition offset' per line) and reads it back", () => {
    const fs = fsWith();
    writeOffsetCheckpoint(fs, '/data', NAME, entries);
    assert.equal(
      readWholeFile(fs, `/data/${NAME}`).toString(),
      '0\n2\norders 0 1200\n__consumer_offsets 7 88\n',
    );
    assert.deepEqual(readOffsetCheckpoint(fs, '/data', NAME), entries);
    writeOffsetCheckpoint(fs, '/data', NAME, []);
    assert.equal(readWholeFile(fs, `/data/${NAME}`).toString(), '0\n0\n');
    assert.deepEqual(readOffsetCheckpoint(fs, '/data', NAME), []);
  });

  it('reads a file written by Kafka (no trailing newline is needed either)', () => {
    assert.deepEqual(readOffsetCheckpoint(fsWith('0\n1\nt 3 42'), '/data', NAME), [
      { topic: 't', partition: 3, offset: 42 },
    ]);
  });

  it('a missing file is empty', () => {
    assert.deepEqual(readOffsetCheckpoint(fsWith(), '/data', NAME), []);
  });

  it('replaces the file atomically: a failed write or sync, or a crash, leaves the previous one whole', () => {
    const fs = fsWith();
    writeOffsetCheckpoint(fs, '/data', NAME, entries);
    const next = [{ topic: 'orders', partition: 0, offset: 1300 }];

    fs.failNextWrite({ path: /\.tmp$/, afterBytes: 3 });
    assert.throws(() => writeOffsetCheckpoint(fs, '/data', NAME, next), { code: 'EIO' });
    assert.deepEqual(readOffsetCheckpoint(fs, '/data', NAME), entries);

    fs.failNextSync({ path: /\.tmp$/ });
    assert.throws(() => writeOffsetCheckpoint(fs, '/data', NAME, next), { code: 'EIO' });
    fs.crash();
    assert.deepEqual(readOffsetCheckpoint(fs, '/data', NAME), entries);

    writeOffsetCheckpoint(fs, '/data', NAME, next);
    fs.crash();
    assert.deepEqual(readOffsetCheckpoint(fs, '/data', NAME), next, 'durable once written');
  });

  const damaged: [string, string, RegExp][] = [
    ['empty', '', /version line is '', expected 0/],
    ['another version', '1\n0\n', /version line is '1'/],
    ['a count that is no number', '0\ntwo\n', /entry count line is 'two'/],
    ['fewer entries than announced', '0\n2\nt 0 5\n', /announces 2 entries and holds 1/],
    ['more entries than announced', '0\n1\nt 0 5\nt 1 6\n', /announces 1 entries and holds 2/],
    ['an entry without an offset', '0\n1\nt 0\n', /line 3 is not 'topic partition offset'/],
    ['a negative offset', '0\n1\nt 0 -5\n', /line 3/],
    ['binary garbage', '\u0000\u0001\u00ff', /version line/],
    ['an offset beyond 2^53', '0\n1\nt 0 99999999999999999999\n', /line 3/],
  ];
  for (const [what, text, reason] of damaged) {
    it(`reports a file with ${what} as corrupt, naming the file and the reason`, () => {
      assert.throws(
        () => readOffsetCheckpoint(fsWith(text), '/data', NAME),
        (err: unknown) =>
          err instanceof CorruptCheckpointError &&
          err.path === `/data/${NAME}` &&
          err.message.includes(`/data/${NAME}`) &&
          reason.test(err.message),
      );
    });
  }
});

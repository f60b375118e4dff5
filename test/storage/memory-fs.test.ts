import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readWholeFile, writeFileAtomic } from '../../src/storage/fs.js';
import { MemoryFileSystem } from '../../src/storage/memory-fs.js';

describe('MemoryFileSystem', () => {
  it('reads and writes at positions, truncates, renames, lists', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/a/b');
    const fd = fs.open('/a/b/f');
    fs.write(fd, Buffer.from('hello'), 0);
    fs.write(fd, Buffer.from('!!'), 7);
    assert.equal(fs.size(fd), 9);
    const buf = Buffer.alloc(9);
    assert.equal(fs.read(fd, buf, 0, 9, 0), 9);
    assert.deepEqual(buf, Buffer.from('hello\0\0!!'));
    fs.truncate(fd, 4);
    assert.equal(fs.read(fd, buf, 0, 9, 0), 4);
    fs.rename('/a/b/f', '/a/g');
    assert.deepEqual(fs.readdir('/a'), ['b', 'g']);
    fs.write(fd, Buffer.from('X'), 0);
    assert.equal(readWholeFile(fs, '/a/g').toString(), 'Xell', 'descriptors follow the inode');
    fs.close(fd);
    assert.throws(() => fs.read(fd, buf, 0, 1, 0), { code: 'EBADF' });
    assert.throws(() => fs.open('/nowhere/f'), { code: 'ENOENT' });
    assert.throws(() => fs.rmdir('/a'), { code: 'ENOTEMPTY' });
  });

  it('drops what was not synced on crash, keeps it on a process-only crash', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    let fd = fs.open('/d/f');
    fs.write(fd, Buffer.from('durable'), 0);
    fs.sync(fd);
    fs.write(fd, Buffer.from('+volatile'), 7);
    fs.crash({ dropUnsynced: false });
    assert.equal(readWholeFile(fs, '/d/f').toString(), 'durable+volatile');
    fd = fs.open('/d/f');
    fs.write(fd, Buffer.from('!'), 16);
    fs.crash();
    assert.equal(readWholeFile(fs, '/d/f').toString(), 'durable');
    assert.equal(fs.openFileCount, 0);
  });

  it('tears the last write and fails writes and syncs on demand', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    const fd = fs.open('/d/f');
    fs.write(fd, Buffer.from('abc'), 0);
    fs.write(fd, Buffer.from('defgh'), 3);
    fs.tearLastWrite('/d/f', 2);
    assert.equal(readWholeFile(fs, '/d/f').toString(), 'abcde');

    fs.failNextWrite({ path: /other/ });
    fs.write(fd, Buffer.from('x'), 5);
    fs.failNextWrite({ afterBytes: 1 });
    assert.throws(() => fs.write(fd, Buffer.from('yz'), 6), { code: 'EIO' });
    assert.equal(readWholeFile(fs, '/d/f').toString(), 'abcdexy', 'a short write before the error');
    fs.failNextSync();
    assert.throws(() => fs.sync(fd), { code: 'EIO' });
    fs.crash();
    assert.equal(readWholeFile(fs, '/d/f').length, 0, 'the failed sync made nothing durable');
  });

  it('writeFileAtomic leaves the old content when the write fails', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    writeFileAtomic(fs, '/d/cp', Buffer.from('one'));
    fs.failNextWrite();
    assert.throws(() => writeFileAtomic(fs, '/d/cp', Buffer.from('two')));
    assert.equal(readWholeFile(fs, '/d/cp').toString(), 'one');
    fs.crash();
    assert.equal(readWholeFile(fs, '/d/cp').toString(), 'one');
  });
});

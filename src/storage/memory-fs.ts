// An in-memory FileSystem for fast tests, with fault injection.
//
// Model: a file's bytes live in a "page cache" (what reads see) and, separately, in the last
// content made durable by sync(). crash() closes every descriptor and, by default, throws away
// what was never synced, as a power loss would. Metadata operations (create, rename, unlink,
// truncate of the directory entry) are durable at once, as on a journaling filesystem.
// tearLastWrite() keeps only the first bytes of a file's most recent write, as a process dying
// in the middle of write(2) would leave it. Files are inodes: a rename or unlink does not
// disturb descriptors already open on them.
import { posix } from 'node:path';
import type { Fd, FileStat, FileSystem, OpenOptions } from './fs.js';

interface Inode {
  data: Buffer;
  length: number;
  /** Content as of the last sync; undefined if never synced. */
  synced: Buffer | undefined;
  mtimeMs: number;
  lastWrite:
    | { position: number; before: Buffer; previousLength: number; written: Buffer }
    | undefined;
}

interface OpenFile {
  readonly path: string;
  readonly inode: Inode;
  readonly readOnly: boolean;
}

interface FaultMatch {
  readonly path?: string | RegExp;
}

interface PendingWriteFault extends FaultMatch {
  /** Bytes written before the failure (a short write), default 0. */
  readonly afterBytes?: number;
  /** Error code, default EIO. */
  readonly code?: string;
}

function fsError(code: string, op: string, path: string): Error {
  const err = new Error(`${code}: ${op} '${path}'`) as NodeJS.ErrnoException;
  err.code = code;
  err.path = path;
  return err;
}

function matches(fault: FaultMatch, path: string): boolean {
  if (fault.path === undefined) return true;
  return typeof fault.path === 'string' ? path === fault.path : fault.path.test(path);
}

export class MemoryFileSystem implements FileSystem {
  private readonly files = new Map<string, Inode>();
  private readonly dirs = new Set<string>(['/']);
  private readonly fds = new Map<number, OpenFile>();
  private nextFd = 3;
  private readonly clock: () => number;
  private writeFaults: PendingWriteFault[] = [];
  private syncFaults: FaultMatch[] = [];
  private truncateFaults: FaultMatch[] = [];
  private readFaults: FaultMatch[] = [];
  /** Number of sync() calls that succeeded, for tests of the flush policy. */
  syncCount = 0;

  constructor(options: { clock?: () => number } = {}) {
    this.clock = options.clock ?? Date.now;
  }

  // --- fault injection -------------------------------------------------------------------------

  /** The next write (to a matching path) fails, after writing `afterBytes` of it. */
  failNextWrite(fault: PendingWriteFault = {}): void {
    this.writeFaults.push(fault);
  }

  /** The next sync (of a matching path) fails with EIO, and nothing becomes durable. */
  failNextSync(fault: FaultMatch = {}): void {
    this.syncFaults.push(fault);
  }

  /** The next read (of a matching path) fails with EIO. */
  failNextRead(fault: FaultMatch = {}): void {
    this.readFaults.push(fault);
  }

  /** The next truncate (of a matching path) fails with EIO and changes nothing. */
  failNextTruncate(fault: FaultMatch = {}): void {
    this.truncateFaults.push(fault);
  }

  /**
   * Simulates the process (and, with `dropUnsynced`, the machine) going down: every descriptor
   * becomes invalid, and unless `dropUnsynced` is false each file reverts to its synced content.
   */
  crash(options: { dropUnsynced?: boolean } = {}): void {
    this.fds.clear();
    if (options.dropUnsynced === false) return;
    for (const inode of this.files.values()) {
      const synced = inode.synced ?? Buffer.alloc(0);
      inode.data = Buffer.from(synced);
      inode.length = synced.length;
      inode.lastWrite = undefined;
    }
  }

  /** Keeps only the first `keepBytes` of the most recent write to `path`. */
  tearLastWrite(path: string, keepBytes: number): void {
    const inode = this.inode(path, 'tear');
    const w = inode.lastWrite;
    if (!w) throw new Error(`no write to tear in '${path}'`);
    w.before.copy(inode.data, w.position);
    inode.length = w.previousLength;
    const kept = w.written.subarray(0, Math.min(keepBytes, w.written.length));
    kept.copy(inode.data, w.position);
    inode.length = Math.max(w.previousLength, w.position + kept.length);
    inode.lastWrite = undefined;
  }

  /** Overwrites bytes in place without going through a descriptor: bit rot for corruption tests. */
  corrupt(path: string, position: number, bytes: Buffer): void {
    const inode = this.inode(path, 'corrupt');
    if (position + bytes.length > inode.length) throw new Error('corrupt() past end of file');
    bytes.copy(inode.data, position);
    if (inode.synced && position + bytes.length <= inode.synced.length) {
      bytes.copy(inode.synced, position);
    }
  }

  // --- FileSystem ------------------------------------------------------------------------------

  open(path: string, options: OpenOptions = {}): Fd {
    const p = posix.normalize(path);
    let inode = this.files.get(p);
    if (!inode) {
      if (options.readOnly || options.create === false) throw fsError('ENOENT', 'open', p);
      if (!this.dirs.has(posix.dirname(p))) throw fsError('ENOENT', 'open', p);
      if (this.dirs.has(p)) throw fsError('EISDIR', 'open', p);
      inode = {
        data: Buffer.alloc(0),
        length: 0,
        synced: undefined,
        mtimeMs: this.clock(),
        lastWrite: undefined,
      };
      this.files.set(p, inode);
    }
    const fd = this.nextFd++;
    this.fds.set(fd, { path: p, inode, readOnly: options.readOnly === true });
    return fd;
  }

  close(fd: Fd): void {
    if (!this.fds.delete(fd)) throw fsError('EBADF', 'close', String(fd));
  }

  read(fd: Fd, buf: Buffer, offset: number, length: number, position: number): number {
    const { inode, path } = this.file(fd, 'read');
    const faultAt = this.readFaults.findIndex((r) => matches(r, path));
    if (faultAt >= 0) {
      this.readFaults.splice(faultAt, 1);
      throw fsError('EIO', 'read', path);
    }
    if (position >= inode.length) return 0;
    const n = Math.min(length, inode.length - position);
    inode.data.copy(buf, offset, position, position + n);
    return n;
  }

  write(fd: Fd, buf: Buffer, position: number): void {
    const f = this.file(fd, 'write');
    if (f.readOnly) throw fsError('EBADF', 'write', f.path);
    const faultAt = this.writeFaults.findIndex((w) => matches(w, f.path));
    if (faultAt >= 0) {
      const fault = this.writeFaults.splice(faultAt, 1)[0]!;
      const partial = Math.min(fault.afterBytes ?? 0, buf.length);
      if (partial > 0) this.writeBytes(f.inode, buf.subarray(0, partial), position);
      throw fsError(fault.code ?? 'EIO', 'write', f.path);
    }
    this.writeBytes(f.inode, buf, position);
  }

  size(fd: Fd): number {
    return this.file(fd, 'fstat').inode.length;
  }

  sync(fd: Fd): void {
    const f = this.file(fd, 'fsync');
    const faultAt = this.syncFaults.findIndex((s) => matches(s, f.path));
    if (faultAt >= 0) {
      this.syncFaults.splice(faultAt, 1);
      throw fsError('EIO', 'fsync', f.path);
    }
    f.inode.synced = Buffer.from(f.inode.data.subarray(0, f.inode.length));
    this.syncCount++;
  }

  truncate(fd: Fd, length: number): void {
    const f = this.file(fd, 'ftruncate');
    if (f.readOnly) throw fsError('EBADF', 'ftruncate', f.path);
    const faultAt = this.truncateFaults.findIndex((t) => matches(t, f.path));
    if (faultAt >= 0) {
      this.truncateFaults.splice(faultAt, 1);
      throw fsError('EIO', 'ftruncate', f.path);
    }
    const inode = f.inode;
    if (length > inode.length) {
      this.ensureCapacity(inode, length);
      inode.data.fill(0, inode.length, length);
    }
    inode.length = length;
    inode.mtimeMs = this.clock();
    inode.lastWrite = undefined;
  }

  rename(from: string, to: string): void {
    const a = posix.normalize(from);
    const b = posix.normalize(to);
    const inode = this.files.get(a);
    if (!inode) throw fsError('ENOENT', 'rename', a);
    if (!this.dirs.has(posix.dirname(b))) throw fsError('ENOENT', 'rename', b);
    this.files.delete(a);
    this.files.set(b, inode);
  }

  unlink(path: string): void {
    const p = posix.normalize(path);
    if (!this.files.delete(p)) throw fsError('ENOENT', 'unlink', p);
  }

  readdir(path: string): string[] {
    const p = posix.normalize(path);
    if (!this.dirs.has(p)) throw fsError('ENOENT', 'scandir', p);
    const names: string[] = [];
    for (const name of [...this.files.keys(), ...this.dirs]) {
      if (name !== p && posix.dirname(name) === p) names.push(posix.basename(name));
    }
    return names.sort();
  }

  stat(path: string): FileStat {
    const p = posix.normalize(path);
    if (this.dirs.has(p)) return { size: 0, isDirectory: true, mtimeMs: 0 };
    const inode = this.files.get(p);
    if (!inode) throw fsError('ENOENT', 'stat', p);
    return { size: inode.length, isDirectory: false, mtimeMs: inode.mtimeMs };
  }

  exists(path: string): boolean {
    const p = posix.normalize(path);
    return this.dirs.has(p) || this.files.has(p);
  }

  mkdirp(path: string): void {
    let p = posix.normalize(path);
    while (!this.dirs.has(p)) {
      if (this.files.has(p)) throw fsError('EEXIST', 'mkdir', p);
      this.dirs.add(p);
      p = posix.dirname(p);
    }
  }

  rmdir(path: string): void {
    const p = posix.normalize(path);
    if (!this.dirs.has(p)) throw fsError('ENOENT', 'rmdir', p);
    if (this.readdir(p).length > 0) throw fsError('ENOTEMPTY', 'rmdir', p);
    this.dirs.delete(p);
  }

  syncDir(path: string): void {
    const p = posix.normalize(path);
    if (!this.dirs.has(p)) throw fsError('ENOENT', 'fsync', p);
  }

  /** Number of open descriptors, to check that a closed log leaks none. */
  get openFileCount(): number {
    return this.fds.size;
  }

  // --- internals -------------------------------------------------------------------------------

  private file(fd: Fd, op: string): OpenFile {
    const f = this.fds.get(fd);
    if (!f) throw fsError('EBADF', op, String(fd));
    return f;
  }

  private inode(path: string, op: string): Inode {
    const p = posix.normalize(path);
    const inode = this.files.get(p);
    if (!inode) throw fsError('ENOENT', op, p);
    return inode;
  }

  private ensureCapacity(inode: Inode, size: number): void {
    if (size <= inode.data.length) return;
    const grown = Buffer.alloc(Math.max(size, inode.data.length * 2, 4096));
    inode.data.copy(grown, 0, 0, inode.length);
    inode.data = grown;
  }

  private writeBytes(inode: Inode, bytes: Buffer, position: number): void {
    const end = position + bytes.length;
    this.ensureCapacity(inode, end);
    const previousLength = inode.length;
    const before = Buffer.from(inode.data.subarray(position, Math.min(end, previousLength)));
    if (position > inode.length) inode.data.fill(0, inode.length, position);
    bytes.copy(inode.data, position);
    inode.length = Math.max(inode.length, end);
    inode.mtimeMs = this.clock();
    inode.lastWrite = { position, before, previousLength, written: Buffer.from(bytes) };
  }
}

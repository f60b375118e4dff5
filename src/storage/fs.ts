// The filesystem seam under the storage engine.
//
// Synchronous on purpose: a produce is acknowledged only once its bytes are in the OS page cache,
// so a kill -9 loses nothing acknowledged, and a page-cache write costs less than a hop to the
// libuv thread pool. Two implementations: NodeFileSystem (node:fs) and MemoryFileSystem
// (memory-fs.ts), which can fail writes or syncs on demand and simulate a crash for recovery tests.
import * as nodeFs from 'node:fs';
import { dirname, join } from 'node:path';

/** An open file, as returned by `FileSystem.open`. */
export type Fd = number;

export interface FileStat {
  readonly size: number;
  readonly isDirectory: boolean;
  readonly mtimeMs: number;
}

export interface OpenOptions {
  /** Create the file when it does not exist (default true). */
  readonly create?: boolean;
  /** Open for reading only (default false: read and write). */
  readonly readOnly?: boolean;
}

export interface FileSystem {
  open(path: string, options?: OpenOptions): Fd;
  close(fd: Fd): void;
  /** Reads up to `length` bytes at file `position` into `buf[offset..]`; fewer only at end of file. */
  read(fd: Fd, buf: Buffer, offset: number, length: number, position: number): number;
  /** Writes all of `buf` at file `position` (appending when `position` is the file's size). */
  write(fd: Fd, buf: Buffer, position: number): void;
  /** The file's current size in bytes. */
  size(fd: Fd): number;
  /** fsync: the file's bytes and size survive a power loss once this returns. */
  sync(fd: Fd): void;
  truncate(fd: Fd, length: number): void;
  /** Replaces `to` if it exists. */
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Names (not paths) of the entries of a directory. */
  readdir(path: string): string[];
  /** Throws ENOENT when missing. */
  stat(path: string): FileStat;
  exists(path: string): boolean;
  /** mkdir -p. */
  mkdirp(path: string): void;
  /** Removes an empty directory. */
  rmdir(path: string): void;
  /** fsync a directory, so that file creations, renames and deletions in it are durable. */
  syncDir(path: string): void;
}

/** Reads a whole (small) file. */
export function readWholeFile(fs: FileSystem, path: string): Buffer {
  const fd = fs.open(path, { create: false, readOnly: true });
  try {
    const size = fs.size(fd);
    const buf = Buffer.alloc(size);
    readFully(fs, fd, buf, 0);
    return buf;
  } finally {
    fs.close(fd);
  }
}

/** Reads `buf.length` bytes at `position`; returns how many there were before end of file. */
export function readFully(fs: FileSystem, fd: Fd, buf: Buffer, position: number): number {
  let done = 0;
  while (done < buf.length) {
    const n = fs.read(fd, buf, done, buf.length - done, position + done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}

/**
 * Replaces a small file so that a crash leaves either the old or the new content, never a mix:
 * write a temporary file, fsync it, rename it over the target, fsync the directory.
 */
export function writeFileAtomic(fs: FileSystem, path: string, data: Buffer): void {
  const tmp = `${path}.tmp`;
  const fd = fs.open(tmp);
  try {
    fs.truncate(fd, 0);
    fs.write(fd, data, 0);
    fs.sync(fd);
  } finally {
    fs.close(fd);
  }
  fs.rename(tmp, path);
  fs.syncDir(dirname(path));
}

/** Removes a directory and the files in it (one level: partition directories have no subdirectories). */
export function removeDirWithFiles(fs: FileSystem, dir: string): void {
  if (!fs.exists(dir)) return;
  for (const name of fs.readdir(dir)) {
    const path = join(dir, name);
    if (fs.stat(path).isDirectory) removeDirWithFiles(fs, path);
    else fs.unlink(path);
  }
  fs.rmdir(dir);
}

export class NodeFileSystem implements FileSystem {
  open(path: string, options: OpenOptions = {}): Fd {
    const { O_RDONLY, O_RDWR, O_CREAT } = nodeFs.constants;
    const flags = options.readOnly ? O_RDONLY : O_RDWR | (options.create === false ? 0 : O_CREAT);
    return nodeFs.openSync(path, flags, 0o644);
  }
  close(fd: Fd): void {
    nodeFs.closeSync(fd);
  }
  read(fd: Fd, buf: Buffer, offset: number, length: number, position: number): number {
    return nodeFs.readSync(fd, buf, offset, length, position);
  }
  write(fd: Fd, buf: Buffer, position: number): void {
    let done = 0;
    while (done < buf.length) {
      done += nodeFs.writeSync(fd, buf, done, buf.length - done, position + done);
    }
  }
  size(fd: Fd): number {
    return nodeFs.fstatSync(fd).size;
  }
  sync(fd: Fd): void {
    nodeFs.fsyncSync(fd);
  }
  truncate(fd: Fd, length: number): void {
    nodeFs.ftruncateSync(fd, length);
  }
  rename(from: string, to: string): void {
    nodeFs.renameSync(from, to);
  }
  unlink(path: string): void {
    nodeFs.unlinkSync(path);
  }
  readdir(path: string): string[] {
    return nodeFs.readdirSync(path);
  }
  stat(path: string): FileStat {
    const s = nodeFs.statSync(path);
    return { size: s.size, isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
  }
  exists(path: string): boolean {
    return nodeFs.existsSync(path);
  }
  mkdirp(path: string): void {
    nodeFs.mkdirSync(path, { recursive: true });
  }
  rmdir(path: string): void {
    nodeFs.rmdirSync(path);
  }
  syncDir(path: string): void {
    const fd = nodeFs.openSync(path, nodeFs.constants.O_RDONLY);
    try {
      nodeFs.fsyncSync(fd);
    } finally {
      nodeFs.closeSync(fd);
    }
  }
}

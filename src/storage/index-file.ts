// The file under a segment's sparse index (.index or .timeindex): fixed-size entries appended
// one by one, mirrored in memory by the index classes, which do the searching.
//
// Decision: index files grow entry by entry instead of being preallocated to
// segment.index.bytes as Kafka does. Kafka preallocates because it memory-maps the file; Node has
// no mmap, the entries live in memory anyway, and a grown file has no trailing zeros to tell apart
// from entries after a crash. segment.index.bytes still caps the entry count: a full index rolls
// the segment, as in Kafka.
import { type Fd, type FileSystem, readWholeFile } from './fs.js';

export class IndexFile {
  private fd: Fd | undefined;
  private dirty = false;

  constructor(
    private readonly fs: FileSystem,
    public path: string,
  ) {}

  /** The file's bytes, or an empty buffer when it does not exist. */
  readAll(): Buffer {
    if (this.fd === undefined && !this.fs.exists(this.path)) return Buffer.alloc(0);
    if (this.fd === undefined) return readWholeFile(this.fs, this.path);
    const size = this.fs.size(this.fd);
    const buf = Buffer.alloc(size);
    this.fs.read(this.fd, buf, 0, size, 0);
    return buf;
  }

  exists(): boolean {
    return this.fd !== undefined || this.fs.exists(this.path);
  }

  write(buf: Buffer, position: number): void {
    this.fs.write(this.handle(), buf, position);
    this.dirty = true;
  }

  truncate(length: number): void {
    this.fs.truncate(this.handle(), length);
    this.dirty = true;
  }

  sync(): void {
    if (this.fd !== undefined && this.dirty) {
      this.fs.sync(this.fd);
      this.dirty = false;
    }
  }

  /** Closes the descriptor; the file stays. The next write reopens it. */
  close(): void {
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      this.fs.close(fd);
    }
  }

  renameTo(path: string): void {
    if (this.fs.exists(this.path)) this.fs.rename(this.path, path);
    this.path = path;
  }

  deleteFile(): void {
    this.close();
    if (this.fs.exists(this.path)) this.fs.unlink(this.path);
  }

  private handle(): Fd {
    if (this.fd === undefined) this.fd = this.fs.open(this.path);
    return this.fd;
  }
}

/** A growable pair of parallel number columns, sorted by the first. */
export class EntryColumns {
  keys: Float64Array;
  values: Float64Array;
  count = 0;

  constructor(capacity = 16) {
    this.keys = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  push(key: number, value: number): void {
    if (this.count === this.keys.length) {
      const keys = new Float64Array(this.keys.length * 2);
      const values = new Float64Array(this.keys.length * 2);
      keys.set(this.keys);
      values.set(this.values);
      this.keys = keys;
      this.values = values;
    }
    this.keys[this.count] = key;
    this.values[this.count] = value;
    this.count++;
  }

  /** Index of the last entry whose key is <= `key`, or -1. */
  floor(key: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! <= key) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}

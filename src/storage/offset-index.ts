// The sparse offset index of a segment (<baseOffset>.index).
//
// Entry (8 bytes, big-endian): relative offset int32 (batch baseOffset - segment baseOffset),
// position int32 (byte position of that batch in the .log). An entry is added before a batch
// when more than index.interval.bytes were appended since the previous entry; position 0 is
// implicit. Unlike Kafka, which indexes a batch's last offset, Samsa indexes its base offset, so
// a lookup lands on the batch that holds the offset rather than the one before it.

import type { FileSystem } from './fs.js';
import { EntryColumns, IndexFile } from './index-file.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export interface OffsetPosition {
  readonly offset: number;
  readonly position: number;
}

export class OffsetIndex {
  readonly file: IndexFile;
  readonly maxEntries: number;
  private entries = new EntryColumns();

  constructor(
    fs: FileSystem,
    path: string,
    readonly baseOffset: number,
    maxIndexBytes: number,
  ) {
    this.file = new IndexFile(fs, path);
    this.maxEntries = Math.floor(maxIndexBytes / OFFSET_INDEX_ENTRY_SIZE);
  }

  get entryCount(): number {
    return this.entries.count;
  }

  get isFull(): boolean {
    return this.entries.count >= this.maxEntries;
  }

  /**
   * Reads the file into memory. Returns false, leaving the index empty, when the file is missing
   * or does not describe a log of `logSize` bytes (torn, zero-filled, out of order, past the end).
   */
  load(logSize: number): boolean {
    this.entries = new EntryColumns();
    const buf = this.file.readAll();
    if (buf.length === 0) return this.file.exists();
    if (buf.length % OFFSET_INDEX_ENTRY_SIZE !== 0) return false;
    const loaded = new EntryColumns(buf.length / OFFSET_INDEX_ENTRY_SIZE);
    // Position 0 is implicit, so a real entry is always past the segment's first batch.
    let lastOffset = this.baseOffset;
    let lastPosition = 0;
    for (let at = 0; at < buf.length; at += OFFSET_INDEX_ENTRY_SIZE) {
      const offset = this.baseOffset + buf.readInt32BE(at);
      const position = buf.readInt32BE(at + 4);
      if (offset <= lastOffset || position <= lastPosition || position >= logSize) return false;
      loaded.push(offset, position);
      lastOffset = offset;
      lastPosition = position;
    }
    this.entries = loaded;
    return true;
  }

  /** The entry with the largest offset <= `offset`; the segment start when there is none. */
  lookup(offset: number): OffsetPosition {
    const i = this.entries.floor(offset);
    if (i < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.entries.keys[i]!, position: this.entries.values[i]! };
  }

  lastEntry(): OffsetPosition {
    const n = this.entries.count;
    if (n === 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.entries.keys[n - 1]!, position: this.entries.values[n - 1]! };
  }

  append(offset: number, position: number): void {
    const last = this.lastEntry();
    if (this.entries.count > 0 && (offset <= last.offset || position <= last.position)) {
      throw new Error(
        `offset index entry (${offset}, ${position}) is not after (${last.offset}, ${last.position})`,
      );
    }
    const buf = Buffer.allocUnsafe(OFFSET_INDEX_ENTRY_SIZE);
    buf.writeInt32BE(offset - this.baseOffset, 0);
    buf.writeInt32BE(position, 4);
    this.file.write(buf, this.entries.count * OFFSET_INDEX_ENTRY_SIZE);
    this.entries.push(offset, position);
  }

  /** Drops the entries at or above `offset`. */
  truncateTo(offset: number): void {
    let keep = this.entries.floor(offset - 1) + 1;
    if (keep < 0) keep = 0;
    if (keep === this.entries.count) return;
    this.file.truncate(keep * OFFSET_INDEX_ENTRY_SIZE);
    this.entries.count = keep;
  }

  /** Keeps the first `count` entries (undoing a failed append). */
  truncateToEntries(count: number): void {
    if (count >= this.entries.count) return;
    this.file.truncate(count * OFFSET_INDEX_ENTRY_SIZE);
    this.entries.count = count;
  }

  /** Replaces the whole index with `entries` (a rebuild), in one write. */
  reset(entries: readonly OffsetPosition[]): void {
    const buf = Buffer.allocUnsafe(entries.length * OFFSET_INDEX_ENTRY_SIZE);
    const columns = new EntryColumns(Math.max(16, entries.length));
    entries.forEach((e, i) => {
      buf.writeInt32BE(e.offset - this.baseOffset, i * OFFSET_INDEX_ENTRY_SIZE);
      buf.writeInt32BE(e.position, i * OFFSET_INDEX_ENTRY_SIZE + 4);
      columns.push(e.offset, e.position);
    });
    this.file.truncate(0);
    if (buf.length > 0) this.file.write(buf, 0);
    this.entries = columns;
  }
}

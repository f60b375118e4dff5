// The sparse time index of a segment (<baseOffset>.timeindex).
//
// Entry (12 bytes, big-endian): timestamp int64, relative offset int32. An entry (T, O) says:
// batch O is the first in the segment whose max timestamp reaches T, so every batch before it
// has only timestamps < T. Entries are added alongside offset-index entries, only when the
// segment's max timestamp grew, plus a final one when the segment stops being active — so the
// last entry holds the segment's largest timestamp, which retention.ms needs.

import { writeInt64 } from '../protocol/records/batch-header.js';
import type { FileSystem } from './fs.js';
import { EntryColumns, IndexFile } from './index-file.js';

export const TIME_INDEX_ENTRY_SIZE = 12;

export interface TimestampOffset {
  readonly timestamp: number;
  readonly offset: number;
}

export class TimeIndex {
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
    this.maxEntries = Math.floor(maxIndexBytes / TIME_INDEX_ENTRY_SIZE);
  }

  get entryCount(): number {
    return this.entries.count;
  }

  get isFull(): boolean {
    return this.entries.count >= this.maxEntries;
  }

  /** Reads the file into memory; false (index left empty) when missing or inconsistent. */
  load(nextOffset: number): boolean {
    this.entries = new EntryColumns();
    const buf = this.file.readAll();
    if (buf.length === 0) return this.file.exists();
    if (buf.length % TIME_INDEX_ENTRY_SIZE !== 0) return false;
    const loaded = new EntryColumns(buf.length / TIME_INDEX_ENTRY_SIZE);
    let lastTimestamp = Number.NEGATIVE_INFINITY;
    let lastOffset = this.baseOffset - 1;
    for (let at = 0; at < buf.length; at += TIME_INDEX_ENTRY_SIZE) {
      const timestamp = Number(buf.readBigInt64BE(at));
      const offset = this.baseOffset + buf.readInt32BE(at + 8);
      if (timestamp <= lastTimestamp || offset < lastOffset || offset >= nextOffset) return false;
      loaded.push(timestamp, offset);
      lastTimestamp = timestamp;
      lastOffset = offset;
    }
    this.entries = loaded;
    return true;
  }

  /** The entry with the largest timestamp <= `timestamp`; the segment start when there is none. */
  lookup(timestamp: number): TimestampOffset {
    const i = this.entries.floor(timestamp);
    if (i < 0) return { timestamp: -1, offset: this.baseOffset };
    return { timestamp: this.entries.keys[i]!, offset: this.entries.values[i]! };
  }

  lastEntry(): TimestampOffset | undefined {
    const n = this.entries.count;
    if (n === 0) return undefined;
    return { timestamp: this.entries.keys[n - 1]!, offset: this.entries.values[n - 1]! };
  }

  /**
   * Adds (timestamp, offset) when the timestamp is larger than the last entry's. `force` skips
   * the full check, for the final entry of a segment.
   */
  maybeAppend(timestamp: number, offset: number, force = false): void {
    const last = this.lastEntry();
    if (last && timestamp <= last.timestamp) return;
    if (timestamp < 0) return;
    if (!force && this.isFull) return;
    if (last && offset < last.offset) {
      throw new Error(
        `time index entry (${timestamp}, ${offset}) goes back from offset ${last.offset}`,
      );
    }
    const buf = Buffer.allocUnsafe(TIME_INDEX_ENTRY_SIZE);
    writeInt64(buf, timestamp, 0);
    buf.writeInt32BE(offset - this.baseOffset, 8);
    this.file.write(buf, this.entries.count * TIME_INDEX_ENTRY_SIZE);
    this.entries.push(timestamp, offset);
  }

  /** Drops the entries whose offset is at or above `offset`. */
  truncateTo(offset: number): void {
    let keep = this.entries.count;
    while (keep > 0 && this.entries.values[keep - 1]! >= offset) keep--;
    if (keep === this.entries.count) return;
    this.file.truncate(keep * TIME_INDEX_ENTRY_SIZE);
    this.entries.count = keep;
  }

  /** Keeps the first `count` entries (undoing a failed append). */
  truncateToEntries(count: number): void {
    if (count >= this.entries.count) return;
    this.file.truncate(count * TIME_INDEX_ENTRY_SIZE);
    this.entries.count = count;
  }

  /** Replaces the whole index with `entries` (a rebuild), in one write. */
  reset(entries: readonly TimestampOffset[]): void {
    const buf = Buffer.allocUnsafe(entries.length * TIME_INDEX_ENTRY_SIZE);
    const columns = new EntryColumns(Math.max(16, entries.length));
    entries.forEach((e, i) => {
      buf.writeBigInt64BE(BigInt(e.timestamp), i * TIME_INDEX_ENTRY_SIZE);
      buf.writeInt32BE(e.offset - this.baseOffset, i * TIME_INDEX_ENTRY_SIZE + 8);
      columns.push(e.timestamp, e.offset);
    });
    this.file.truncate(0);
    if (buf.length > 0) this.file.write(buf, 0);
    this.entries = columns;
  }
}

// A log segment: <baseOffset, 20 digits>.log holding record batches byte for byte as appended,
// with its sparse .index (offset -> position) and .timeindex (timestamp -> offset).
//
// A segment opened from disk is "unloaded" until first use: its indexes are read, checked
// against the .log, rebuilt if they do not match, and the batches after the last index entry
// are scanned for the segment's end offset and largest timestamp. Only the active (last)
// segment is ever appended to.
import type { RecordBatchHeader } from '../protocol/records/batch-header.js';
import { scanHeaders } from './batch-scan.js';
import { type Fd, type FileSystem, readFully } from './fs.js';
import { OffsetIndex, type OffsetPosition } from './offset-index.js';
import { scanForRecovery } from './segment-recovery.js';
import { TimeIndex, type TimestampOffset } from './time-index.js';

const INT32_MAX = 0x7fffffff;

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const DELETED_SUFFIX = '.deleted';
/** A segment the log cleaner is writing (deleted at open: it never became part of the log). */
export const CLEANED_SUFFIX = '.cleaned';
/** A cleaned segment that is complete and fsynced: at open it replaces the segments it covers. */
export const SWAP_SUFFIX = '.swap';

export function segmentFileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

/** Where a batch sits in a segment. */
export interface BatchLocation {
  readonly position: number;
  readonly size: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
}

export interface SegmentSettings {
  readonly indexIntervalBytes: number;
  readonly segmentIndexBytes: number;
  /** This segment's share of segment.jitter.ms. */
  readonly rollJitterMs: number;
}

export interface RollParams {
  readonly now: number;
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly messagesSize: number;
  readonly maxTimestampInMessages: number;
  readonly maxOffsetInMessages: number;
}

/** An append failed and putting the segment back failed too: its files are in an unknown state. */
export class SegmentUndoError extends Error {
  constructor(
    readonly appendError: unknown,
    readonly undoError: unknown,
  ) {
    super(`${(appendError as Error).message}; undo failed: ${(undoError as Error).message}`);
    this.name = 'SegmentUndoError';
  }
}

export interface RecoveryResult {
  /** Bytes cut off the end because they did not form valid batches. */
  readonly truncatedBytes: number;
  readonly reason?: string;
  /** Where each partition leader epoch seen in the segment starts. */
  readonly epochStarts: readonly { epoch: number; startOffset: number }[];
}

export class LogSegment {
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  logPath: string;
  /** Bytes of whole batches in the .log; reads never go past it. */
  size: number;
  private fd: Fd | undefined;
  /** Bytes written or cut since the last fsync of the .log. */
  private dirty = false;
  private loaded: boolean;
  private endOffset: number;
  private maxTimestampSoFar = -1;
  private offsetOfMaxTimestampSoFar: number;
  private bytesSinceLastIndexEntry = 0;
  private rollingBasedTimestamp: number | undefined;

  private constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    readonly baseOffset: number,
    private readonly settings: SegmentSettings,
    /** When this object was made (Kafka's `created`): the segment.ms clock for untimestamped data. */
    readonly created: number,
    fresh: boolean,
    fileSuffix: string,
  ) {
    const path = (suffix: string) => `${dir}/${segmentFileName(baseOffset, suffix)}${fileSuffix}`;
    this.logPath = path(LOG_SUFFIX);
    const indexBytes = settings.segmentIndexBytes;
    this.offsetIndex = new OffsetIndex(fs, path(INDEX_SUFFIX), baseOffset, indexBytes);
    this.timeIndex = new TimeIndex(fs, path(TIME_INDEX_SUFFIX), baseOffset, indexBytes);
    this.endOffset = baseOffset;
    this.offsetOfMaxTimestampSoFar = baseOffset;
    if (fresh) {
      this.fd = fs.open(this.logPath);
      this.fs.truncate(this.fd, 0);
      this.offsetIndex.reset([]);
      this.timeIndex.reset([]);
    }
    this.size = fresh ? 0 : this.fs.stat(this.logPath).size;
    this.loaded = fresh;
  }

  /**
   * A new, empty segment (any files left at its name are emptied). `fileSuffix` (.cleaned) names
   * files that are not part of the log yet.
   */
  static create(
    fs: FileSystem,
    dir: string,
    baseOffset: number,
    settings: SegmentSettings,
    now: number,
    fileSuffix = '',
  ): LogSegment {
    return new LogSegment(fs, dir, baseOffset, settings, now, true, fileSuffix);
  }

  /** A segment already on disk; it is checked lazily, or at once with `recover()`. */
  static open(
    fs: FileSystem,
    dir: string,
    baseOffset: number,
    settings: SegmentSettings,
    now: number,
    fileSuffix = '',
  ): LogSegment {
    return new LogSegment(fs, dir, baseOffset, settings, now, false, fileSuffix);
  }

  /** The offset after this segment's last batch (its base offset when empty). */
  get nextOffset(): number {
    this.ensureLoaded();
    return this.endOffset;
  }

  /** The largest batch timestamp in the segment and the base offset of the batch that has it. */
  get maxTimestampAndOffset(): TimestampOffset {
    this.ensureLoaded();
    return { timestamp: this.maxTimestampSoFar, offset: this.offsetOfMaxTimestampSoFar };
  }

  /** What retention.ms compares: the largest timestamp, or the file's mtime when there is none. */
  largestTimestamp(): number {
    const ts = this.maxTimestampAndOffset.timestamp;
    return ts >= 0 ? ts : this.fs.stat(this.logPath).mtimeMs;
  }

  // --- appending -------------------------------------------------------------------------------

  /**
   * Writes `records` (the concatenation of `batches`, offsets already assigned) at the end and
   * indexes them. On failure the segment is put back as it was, or the error says it could not be.
   */
  append(records: Buffer, batches: readonly RecordBatchHeader[]): void {
    this.ensureLoaded();
    const start = this.size;
    // What a failed append puts back; locals rather than an object, as this runs per request.
    const offsetEntries = this.offsetIndex.entryCount;
    const timeEntries = this.timeIndex.entryCount;
    const maxTs = this.maxTimestampSoFar;
    const maxTsOffset = this.offsetOfMaxTimestampSoFar;
    const bytesSince = this.bytesSinceLastIndexEntry;
    const endOffset = this.endOffset;
    const rolling = this.rollingBasedTimestamp;
    try {
      this.dirty = true;
      this.fs.write(this.handle(), records, start);
      let position = start;
      for (const batch of batches) {
        const batchMaxTimestamp = batch.maxTimestamp;
        const batchBaseOffset = batch.baseOffset;
        const size = batch.buf.length;
        if (this.size === 0 && position === 0) this.rollingBasedTimestamp = batchMaxTimestamp;
        if (batchMaxTimestamp > this.maxTimestampSoFar) {
          this.maxTimestampSoFar = batchMaxTimestamp;
          this.offsetOfMaxTimestampSoFar = batchBaseOffset;
        }
        if (this.bytesSinceLastIndexEntry > this.settings.indexIntervalBytes) {
          this.offsetIndex.append(batchBaseOffset, position);
          this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
          this.bytesSinceLastIndexEntry = 0;
        }
        this.bytesSinceLastIndexEntry += size;
        position += size;
        this.endOffset = batchBaseOffset + batch.lastOffsetDelta + 1;
      }
      this.size = position;
    } catch (err) {
      this.maxTimestampSoFar = maxTs;
      this.offsetOfMaxTimestampSoFar = maxTsOffset;
      this.bytesSinceLastIndexEntry = bytesSince;
      this.endOffset = endOffset;
      this.rollingBasedTimestamp = rolling;
      this.size = start;
      try {
        this.fs.truncate(this.handle(), start);
        this.offsetIndex.truncateToEntries(offsetEntries);
        this.timeIndex.truncateToEntries(timeEntries);
      } catch (undoErr) {
        throw new SegmentUndoError(err, undoErr);
      }
      throw err;
    }
  }

  shouldRoll(p: RollParams): boolean {
    this.ensureLoaded();
    const reachedRollMs =
      this.timeWaitedForRoll(p.now, p.maxTimestampInMessages) >
      p.segmentMs - this.settings.rollJitterMs;
    return (
      this.size > p.segmentBytes - p.messagesSize ||
      (this.size > 0 && reachedRollMs) ||
      this.offsetIndex.isFull ||
      this.timeIndex.isFull ||
      p.maxOffsetInMessages - this.baseOffset > INT32_MAX
    );
  }

  /** Time since the segment's first batch, by batch timestamps when they exist (as Kafka does). */
  private timeWaitedForRoll(now: number, messageTimestamp: number): number {
    if (this.rollingBasedTimestamp === undefined && this.size > 0) {
      scanHeaders(
        this.fs,
        this.handle(),
        0,
        this.size,
        (b) => {
          this.rollingBasedTimestamp = b.header.maxTimestamp;
          return false;
        },
        128,
      );
    }
    const ts = this.rollingBasedTimestamp ?? -1;
    return ts >= 0 ? messageTimestamp - ts : now - this.created;
  }

  /** Called when a newer segment takes over appends: record the largest timestamp for retention. */
  onBecomeInactive(): void {
    this.ensureLoaded();
    this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true);
  }

  // --- reading ---------------------------------------------------------------------------------

  /**
   * Reads `length` bytes at `position` (clamped to the segment's size) into a new Buffer, or
   * into `alloc(n)` when given.
   */
  read(position: number, length: number, alloc?: (n: number) => Buffer): Buffer {
    const n = Math.max(0, Math.min(length, this.size - position));
    const buf = alloc ? alloc(n) : Buffer.allocUnsafe(n);
    const got = readFully(this.fs, this.handle(), buf, position);
    return got === n ? buf : buf.subarray(0, got);
  }

  /** The first batch at or after index position whose last offset is >= `offset`. */
  translateOffset(offset: number): BatchLocation | undefined {
    this.ensureLoaded();
    if (offset >= this.endOffset) return undefined;
    return this.findBatch(this.offsetIndex.lookup(offset).position, (b) => b.lastOffset >= offset);
  }

  /** The first batch whose max timestamp is >= `timestamp`, via the time index. */
  findBatchByTimestamp(timestamp: number, minOffset: number): BatchLocation | undefined {
    this.ensureLoaded();
    if (this.maxTimestampSoFar < timestamp) return undefined;
    const entry = this.timeIndex.lookup(timestamp);
    const from = this.offsetIndex.lookup(Math.max(entry.offset, minOffset)).position;
    return this.findBatch(from, (b) => b.maxTimestamp >= timestamp && b.lastOffset >= minOffset);
  }

  /** Calls `visit` with the header of every batch from `position` on (producer-state rebuild). */
  forEachBatchHeader(position: number, visit: (batch: RecordBatchHeader) => void): void {
    scanHeaders(
      this.fs,
      this.handle(),
      position,
      this.size,
      (b) => {
        visit(b.header);
        return true;
      },
      64 * 1024,
    );
  }

  private findBatch(from: number, match: (b: BatchLocation) => boolean): BatchLocation | undefined {
    let found: BatchLocation | undefined;
    scanHeaders(
      this.fs,
      this.handle(),
      from,
      this.size,
      (b) => {
        const loc = {
          position: b.position,
          size: b.size,
          baseOffset: b.header.baseOffset,
          lastOffset: b.header.lastOffset,
          maxTimestamp: b.header.maxTimestamp,
        };
        if (!match(loc)) return true;
        found = loc;
        return false;
      },
      Math.max(8192, this.settings.indexIntervalBytes * 2),
    );
    return found;
  }

  // --- loading, recovery, truncation -----------------------------------------------------------

  private ensureLoaded(): void {
    if (this.loaded) return;
    this.loaded = true;
    if (!this.offsetIndex.load(this.size)) {
      this.recover();
      return;
    }
    const last: OffsetPosition = this.offsetIndex.lastEntry();
    let endOffset = last.offset;
    let maxTs = -1;
    let maxTsOffset = this.baseOffset;
    const end = scanHeaders(this.fs, this.handle(), last.position, this.size, (b) => {
      endOffset = b.header.lastOffset + 1;
      if (b.header.maxTimestamp > maxTs) {
        maxTs = b.header.maxTimestamp;
        maxTsOffset = b.header.baseOffset;
      }
      return true;
    });
    if (end.invalid || !this.timeIndex.load(endOffset)) {
      this.recover();
      return;
    }
    this.endOffset = this.size === 0 ? this.baseOffset : endOffset;
    const lastTime = this.timeIndex.lastEntry();
    if (lastTime && lastTime.timestamp >= maxTs) {
      maxTs = lastTime.timestamp;
      maxTsOffset = lastTime.offset;
    }
    this.maxTimestampSoFar = maxTs;
    this.offsetOfMaxTimestampSoFar = maxTsOffset;
    this.bytesSinceLastIndexEntry = this.size - last.position;
  }

  /**
   * Checks every batch (framing, magic, CRC32C, offsets moving forward), rebuilds both indexes,
   * and cuts the file at the first batch that fails along with everything after it.
   */
  recover(): RecoveryResult {
    this.loaded = true;
    const fileSize = this.fs.size(this.handle());
    const r = scanForRecovery(
      this.fs,
      this.handle(),
      fileSize,
      this.baseOffset,
      this.settings.indexIntervalBytes,
    );
    if (r.validBytes < fileSize) this.fs.truncate(this.handle(), r.validBytes);
    this.dirty = true;
    this.size = r.validBytes;
    this.offsetIndex.reset(r.offsetEntries);
    this.timeIndex.reset(r.timeEntries);
    this.endOffset = r.nextOffset;
    this.maxTimestampSoFar = r.maxTimestamp;
    this.offsetOfMaxTimestampSoFar = r.offsetOfMaxTimestamp;
    this.bytesSinceLastIndexEntry = r.bytesSinceLastIndexEntry;
    this.rollingBasedTimestamp = r.firstBatchTimestamp;
    this.timeIndex.maybeAppend(r.maxTimestamp, r.offsetOfMaxTimestamp, true);
    return {
      truncatedBytes: fileSize - r.validBytes,
      reason: r.invalid,
      epochStarts: r.epochStarts,
    };
  }

  /** Removes the batch holding `offset` and everything after; returns the bytes removed. */
  truncateTo(offset: number): number {
    this.ensureLoaded();
    const loc = this.translateOffset(offset);
    if (!loc) return 0;
    const removed = this.size - loc.position;
    this.fs.truncate(this.handle(), loc.position);
    this.dirty = true;
    this.size = loc.position;
    this.offsetIndex.truncateTo(loc.baseOffset);
    this.timeIndex.truncateTo(loc.baseOffset);
    this.loaded = false;
    this.rollingBasedTimestamp = undefined;
    this.ensureLoaded();
    return removed;
  }

  // --- durability and lifecycle ----------------------------------------------------------------

  flush(): void {
    if (this.fd !== undefined && this.dirty) {
      this.fs.sync(this.fd);
      this.dirty = false;
    }
    this.offsetIndex.file.sync();
    this.timeIndex.file.sync();
  }

  /** Closes the descriptors (after recording the largest timestamp); the files stay. */
  close(): void {
    if (this.loaded)
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true);
    this.closeHandles();
  }

  /** Closes the index descriptors of a segment that will not be appended to again. */
  closeIndexFiles(): void {
    this.offsetIndex.file.close();
    this.timeIndex.file.close();
  }

  closeHandles(): void {
    this.offsetIndex.file.close();
    this.timeIndex.file.close();
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      this.fs.close(fd);
    }
  }

  /** Renames the files with a .deleted suffix, to be removed later (file.delete.delay.ms). */
  markDeleted(): void {
    this.closeHandles();
    for (const f of [this.offsetIndex.file, this.timeIndex.file])
      f.renameTo(f.path + DELETED_SUFFIX);
    if (this.fs.exists(this.logPath)) this.fs.rename(this.logPath, this.logPath + DELETED_SUFFIX);
    this.logPath += DELETED_SUFFIX;
  }

  /**
   * Renames the three files from suffix `from` to `to` (the cleaner's .cleaned -> .swap -> live).
   * The .log is renamed last, or first with `logFirst`, so that recovery can take the .log's name
   * as the truth and rebuild indexes whose rename did not happen.
   */
  changeFileSuffixes(from: string, to: string, logFirst = false): void {
    const rename = (path: string) => `${path.slice(0, path.length - from.length)}${to}`;
    const renameLog = () => {
      if (!this.logPath.endsWith(from)) return;
      const target = rename(this.logPath);
      this.fs.rename(this.logPath, target);
      this.logPath = target;
    };
    if (logFirst) renameLog();
    for (const f of [this.offsetIndex.file, this.timeIndex.file])
      if (f.path.endsWith(from)) f.renameTo(rename(f.path));
    if (!logFirst) renameLog();
  }

  deleteFiles(): void {
    this.closeHandles();
    this.offsetIndex.file.deleteFile();
    this.timeIndex.file.deleteFile();
    if (this.fs.exists(this.logPath)) this.fs.unlink(this.logPath);
  }

  private handle(): Fd {
    if (this.fd === undefined) this.fd = this.fs.open(this.logPath);
    return this.fd;
  }
}

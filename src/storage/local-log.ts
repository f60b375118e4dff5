// LocalLog: the segments of one partition and what happens to them as files (Kafka's LocalLog):
// the log end offset, the recovery point (everything below it fsynced), rolling, flushing,
// truncation and segment removal. Offsets, producers and the log start offset belong to
// PartitionLog above it.
//
// I/O failure policy: an error that leaves the files as they were (a failed append that was
// undone) is thrown as KAFKA_STORAGE_ERROR; one that may not (a failed fsync — the kernel may
// have dropped the dirty pages —, a failed undo, a failed roll) also takes the log offline:
// every later call fails until the log is reopened, which runs crash recovery.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { RecordBatchHeader } from '../protocol/records/batch-header.js';
import type { FileSystem } from './fs.js';
import type { LogConfig } from './log-config.js';
import type { StorageLogger } from './log-loader.js';
import { segmentIndexFor } from './log-reader.js';
import { LogSegment, type SegmentSettings, SegmentUndoError, SWAP_SUFFIX } from './segment.js';

export function storageError(what: string, err: unknown): KafkaError {
  const e = new KafkaError(
    ErrorCode.KAFKA_STORAGE_ERROR,
    `${what}: ${(err as Error).message ?? err}`,
  );
  (e as { cause?: unknown }).cause = err;
  return e;
}

/** Settings for a new segment; each gets its own random share of segment.jitter.ms. */
export function segmentSettingsFor(cfg: LogConfig): SegmentSettings {
  const jitter = cfg.segmentJitterMs;
  return {
    indexIntervalBytes: cfg.indexIntervalBytes,
    segmentIndexBytes: cfg.segmentIndexBytes,
    rollJitterMs: jitter > 0 ? Math.floor(Math.random() * Math.min(jitter, cfg.segmentMs)) : 0,
  };
}

export interface LocalLogParams {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly config: () => LogConfig;
  readonly clock: () => number;
  readonly logger: StorageLogger;
  readonly segments: LogSegment[];
  readonly recoveryPoint: number;
}

export class LocalLog {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly segments: LogSegment[];
  private readonly config: () => LogConfig;
  private readonly clock: () => number;
  private readonly logger: StorageLogger;
  private endOffset: number;
  private flushedOffset: number;
  private lastFlushTime: number;
  private offlineReason: string | undefined;
  private readonly pendingDeletes: { segment: LogSegment; at: number }[] = [];

  constructor(p: LocalLogParams) {
    this.fs = p.fs;
    this.dir = p.dir;
    this.segments = p.segments;
    this.config = p.config;
    this.clock = p.clock;
    this.logger = p.logger;
    this.endOffset = this.active.nextOffset;
    this.flushedOffset = p.recoveryPoint;
    this.lastFlushTime = p.clock();
  }

  get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }
  get logEndOffset(): number {
    return this.endOffset;
  }
  get recoveryPoint(): number {
    return this.flushedOffset;
  }
  get lastFlushMs(): number {
    return this.lastFlushTime;
  }
  get isOffline(): boolean {
    return this.offlineReason !== undefined;
  }

  segmentSettings(): SegmentSettings {
    return segmentSettingsFor(this.config());
  }

  /**
   * Writes batches whose offsets are assigned to the active segment; moves the log end offset
   * past `lastOffset`, the last batch's last offset.
   */
  append(records: Buffer, batches: readonly RecordBatchHeader[], lastOffset: number): void {
    const segment = this.active;
    try {
      segment.append(records, batches);
    } catch (err) {
      if (err instanceof SegmentUndoError)
        this.goOffline('a failed append could not be undone', err);
      throw storageError(`append to ${this.dir} failed`, err);
    }
    this.endOffset = lastOffset + 1;
  }

  /** Whether the next append (of `messagesSize` bytes, ...) must go to a new segment. */
  shouldRoll(messagesSize: number, maxTimestamp: number, maxOffset: number, now: number): boolean {
    const cfg = this.config();
    // A compacted topic also rolls every max.compaction.lag.ms, as Kafka does: the cleaner never
    // touches the active segment, so a record could otherwise outwait its lag there.
    const compactionLag = cfg.cleanupPolicy.includes('compact') ? cfg.maxCompactionLagMs : Infinity;
    return this.active.shouldRoll({
      now,
      segmentBytes: cfg.segmentBytes,
      segmentMs: Math.min(cfg.segmentMs, compactionLag),
      messagesSize,
      maxTimestampInMessages: maxTimestamp,
      maxOffsetInMessages: maxOffset,
    });
  }

  /** Starts a new active segment at the log end offset after fsyncing the old one. */
  roll(): LogSegment {
    this.checkUsable();
    const old = this.active;
    if (old.size === 0) return old;
    try {
      old.onBecomeInactive();
      this.flush();
      const segment = LogSegment.create(
        this.fs,
        this.dir,
        this.endOffset,
        this.segmentSettings(),
        this.clock(),
      );
      this.segments.push(segment);
      old.closeIndexFiles();
      return segment;
    } catch (err) {
      if (err instanceof KafkaError) throw err;
      this.goOffline('roll failed', err);
      throw storageError(`roll of ${this.dir} failed`, err);
    }
  }

  /** fsyncs everything below the log end offset; the recovery point moves there. */
  flush(): void {
    this.checkUsable();
    const upTo = this.endOffset;
    if (upTo > this.flushedOffset) {
      try {
        for (
          let i = segmentIndexFor(this.segments, this.flushedOffset);
          i < this.segments.length;
          i++
        ) {
          if (this.segments[i]!.baseOffset >= upTo) break;
          this.segments[i]!.flush();
        }
      } catch (err) {
        this.goOffline('fsync failed', err);
        throw storageError(`flush of ${this.dir} failed`, err);
      }
      this.flushedOffset = upTo;
    }
    this.lastFlushTime = this.clock();
  }

  /** Removes the batch holding `offset` and all after it; `offset` is above the first segment. */
  truncateTo(offset: number): void {
    while (this.active.baseOffset >= offset) this.removeSegment(this.segments.pop()!);
    this.active.truncateTo(offset);
    this.endOffset = this.active.nextOffset;
    this.flushedOffset = Math.min(this.flushedOffset, this.endOffset);
  }

  /** Removes every segment and starts one, empty, at `offset`. */
  truncateFullyAndStartAt(offset: number): void {
    for (const seg of this.segments.splice(0)) this.removeSegment(seg);
    this.segments.push(
      LogSegment.create(this.fs, this.dir, offset, this.segmentSettings(), this.clock()),
    );
    this.endOffset = offset;
    this.flushedOffset = offset;
  }

  /** Removes the `count` oldest segments (rolling first so one remains); returns the new first base. */
  removeOldestSegments(count: number): number {
    if (count >= this.segments.length) this.roll();
    const doomed = this.segments.splice(0, Math.min(count, this.segments.length - 1));
    for (const seg of doomed) this.removeSegment(seg);
    return this.segments[0]!.baseOffset;
  }

  /**
   * The log cleaner's swap, after `cleaned` is fsynced under the .swap suffix (the commit point):
   * `cleaned` takes the place of `old` (contiguous, not the active segment) for readers, and the
   * old files go (.deleted, or at once). `completeSwap` then drops the suffix. A crash in between
   * is finished at open (cleaner/segment-swap.ts).
   */
  replaceSegments(cleaned: LogSegment, old: readonly LogSegment[]): void {
    const at = this.segments.indexOf(old[0]!);
    const contiguous = old.every((seg, i) => this.segments[at + i] === seg);
    if (at < 0 || !contiguous || at + old.length >= this.segments.length) {
      // Nothing changed yet: a KafkaError leaves the log online (PartitionLog.durably).
      throw new KafkaError(
        ErrorCode.UNKNOWN_SERVER_ERROR,
        `segments to replace in ${this.dir} are no longer contiguous inactive segments`,
      );
    }
    this.segments.splice(at, old.length, cleaned);
    for (const seg of old) this.removeSegment(seg);
  }

  /** Renames a swapped-in segment's files to their live names (log first) and makes that durable. */
  completeSwap(cleaned: LogSegment): void {
    cleaned.changeFileSuffixes(SWAP_SUFFIX, '', true);
    cleaned.closeIndexFiles();
    this.fs.syncDir(this.dir);
  }

  /** Deletes the files now, or renames them .deleted until file.delete.delay.ms has passed. */
  private removeSegment(seg: LogSegment): void {
    const delay = this.config().fileDeleteDelayMs;
    if (delay <= 0) {
      seg.deleteFiles();
      return;
    }
    seg.markDeleted();
    this.pendingDeletes.push({ segment: seg, at: this.clock() + delay });
  }

  deletePendingFiles(now: number): void {
    while (this.pendingDeletes.length > 0 && this.pendingDeletes[0]!.at <= now) {
      this.pendingDeletes.shift()!.segment.deleteFiles();
    }
  }

  /** Closes every descriptor and deletes files pending deletion. */
  closeHandles(): void {
    for (const seg of this.segments) seg.closeHandles();
    this.deletePendingFiles(Number.POSITIVE_INFINITY);
  }

  goOffline(reason: string, err: unknown): void {
    if (this.offlineReason !== undefined) return;
    this.offlineReason = `${reason}: ${(err as Error).message ?? err}`;
    this.logger.warn(`${this.dir}: log offline (${this.offlineReason}); reopen to recover`);
  }

  checkUsable(): void {
    if (this.offlineReason !== undefined) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `log ${this.dir} is offline: ${this.offlineReason}`,
      );
    }
  }
}

// PartitionLog: one partition's durable log, a list of segments of which the last is active.
//
// Appends assign offsets in place (the batch header's baseOffset and partitionLeaderEpoch, which
// the CRC does not cover) and write the producer's bytes as they came; only LogAppendTime
// rewrites covered bytes and the CRC. Reads return whole batches straight from a segment file.
// Every write is in the page cache when append() returns; fsync happens on flush.messages /
// flush.ms, on roll (the old segment) and on close. Any I/O failure surfaces as
// KAFKA_STORAGE_ERROR; one that may have left the files in an unknown state (a failed fsync, a
// failed undo) takes the log offline until it is reopened, which runs crash recovery.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { splitBatches } from '../protocol/records/batch-header.js';
import { assignOffsets, checkReplicatedOffsets, validateBatches } from './append-validation.js';
import { type FileSystem, removeDirWithFiles } from './fs.js';
import type { LogConfig } from './log-config.js';
import { loadLog, rebuildProducerState, type StorageLogger, silentLogger } from './log-loader.js';
import {
  type LogOffsetMetadata,
  logEndOffsetMetadata,
  maxTimestampAndOffset,
  offsetForTimestamp,
  offsetMetadata,
  type ReadOptions,
  type ReadResult,
  readBatches,
  recordTimestampLocator,
  type SegmentsView,
  segmentIndexFor,
  type TimestampAndOffset,
  type TimestampLocator,
} from './log-reader.js';
import {
  deleteSnapshots,
  type LogCheckpoint,
  listSnapshotOffsets,
  readProducerSnapshot,
  writeLogCheckpoint,
  writeProducerSnapshot,
} from './partition-files.js';
import type { AppendOrigin, ProducerStateManager } from './producer-state.js';
import { deleteOldSegments, type RetentionTarget } from './retention.js';
import { LogSegment, type SegmentSettings, SegmentUndoError } from './segment.js';

export interface PartitionLogOptions {
  readonly fs: FileSystem;
  /** The partition's directory, e.g. <data dir>/<topic>-<partition>. */
  readonly dir: string;
  readonly config: LogConfig;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly clock?: () => number;
  readonly logger?: StorageLogger;
  /**
   * Finds, inside one batch, the first record whose timestamp is >= a target (ListOffsets).
   * Default: decode the records; `null`: answer per batch (base offset, max timestamp).
   */
  readonly timestampLocator?: TimestampLocator | null;
}

export type { LogOffsetMetadata, ReadOptions, ReadResult, TimestampAndOffset, TimestampLocator };

export interface AppendOptions {
  /** Default 'client': full validation, offsets assigned, idempotence checked. */
  readonly origin?: AppendOrigin;
  /** Written into each batch's partitionLeaderEpoch (not for 'replication', which keeps the leader's). */
  readonly leaderEpoch?: number;
}

export interface AppendResult {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** The broker time stamped on the batches under LogAppendTime, else -1. */
  readonly logAppendTime: number;
  readonly logStartOffset: number;
  /** A retried idempotent batch: nothing was written; the offsets are those of the first attempt. */
  readonly duplicate: boolean;
}

function storageError(what: string, err: unknown): KafkaError {
  const e = new KafkaError(
    ErrorCode.KAFKA_STORAGE_ERROR,
    `${what}: ${(err as Error).message ?? err}`,
  );
  (e as { cause?: unknown }).cause = err;
  return e;
}

export class PartitionLog {
  readonly dir: string;
  private readonly fs: FileSystem;
  private readonly clock: () => number;
  private readonly logger: StorageLogger;
  private readonly locate: TimestampLocator | undefined;
  private cfg: LogConfig;
  private readonly segments: LogSegment[];
  private readonly producers: ProducerStateManager;
  private startOffset: number;
  private endOffset: number;
  private flushedOffset: number;
  private lastFlushTime: number;
  private offlineReason: string | undefined;
  private closed = false;
  private checkpointed: LogCheckpoint;
  private readonly pendingDeletes: { segment: LogSegment; at: number }[] = [];

  private constructor(o: PartitionLogOptions) {
    this.dir = o.dir;
    this.fs = o.fs;
    this.clock = o.clock ?? Date.now;
    this.logger = o.logger ?? silentLogger;
    this.locate =
      o.timestampLocator === null ? undefined : (o.timestampLocator ?? recordTimestampLocator);
    this.cfg = o.config;
    this.lastFlushTime = this.clock();
    const loaded = loadLog({
      fs: o.fs,
      dir: o.dir,
      now: this.lastFlushTime,
      logger: this.logger,
      segmentSettings: () => this.segmentSettings(),
    });
    this.segments = loaded.segments;
    this.producers = loaded.producerState;
    this.startOffset = loaded.logStartOffset;
    this.endOffset = this.active.nextOffset;
    this.flushedOffset = loaded.recoveryPoint;
    this.checkpointed = {
      logStartOffset: this.startOffset,
      recoveryPoint: this.flushedOffset,
      cleanShutdown: false,
    };
    if (this.startOffset > this.endOffset) this.truncateFullyAndStartAt(this.startOffset);
  }

  /** Opens (creating if needed, recovering after a crash) the log in `options.dir`. */
  static open(options: PartitionLogOptions): PartitionLog {
    return new PartitionLog(options);
  }

  get config(): LogConfig {
    return this.cfg;
  }
  get logStartOffset(): number {
    return this.startOffset;
  }
  /** The offset the next appended record gets. */
  get logEndOffset(): number {
    return this.endOffset;
  }
  get logEndOffsetMetadata(): LogOffsetMetadata {
    return logEndOffsetMetadata(this.view());
  }
  /** Everything below this offset has been fsynced. */
  get recoveryPoint(): number {
    return this.flushedOffset;
  }
  get size(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }
  get numberOfSegments(): number {
    return this.segments.length;
  }
  get segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }
  get producerState(): ProducerStateManager {
    return this.producers;
  }
  get isOffline(): boolean {
    return this.offlineReason !== undefined;
  }
  /** Milliseconds since the last flush, for the flush.ms scheduler. */
  timeSinceLastFlush(now = this.clock()): number {
    return now - this.lastFlushTime;
  }

  /** New settings apply from now on (index settings: from the next segment). */
  updateConfig(config: LogConfig): void {
    this.cfg = config;
  }

  // --- append ----------------------------------------------------------------------------------

  append(records: Buffer, options: AppendOptions = {}): AppendResult {
    this.checkUsable();
    const origin = options.origin ?? 'client';
    const now = this.clock();
    const batches = splitBatches(records);
    if (batches.length === 0) {
      return {
        baseOffset: -1,
        lastOffset: -1,
        logAppendTime: -1,
        logStartOffset: this.startOffset,
        duplicate: false,
      };
    }
    validateBatches(batches, origin, this.cfg, now);
    if (records.length > this.cfg.segmentBytes) {
      throw new KafkaError(
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `${records.length} bytes of batches do not fit a segment (segment.bytes ${this.cfg.segmentBytes})`,
      );
    }
    const logAppendTime =
      origin !== 'replication' && this.cfg.messageTimestampType === 'LogAppendTime' ? now : -1;
    if (origin === 'replication') checkReplicatedOffsets(batches, this.endOffset);
    else assignOffsets(batches, this.endOffset, options.leaderEpoch, logAppendTime);

    const producerAppend = this.producers.begin(origin);
    for (const b of batches) {
      const r = producerAppend.checkAndRecord(b);
      if (r.kind === 'error') throw new KafkaError(r.errorCode, r.message);
      if (r.kind === 'duplicate') {
        const appendTime = this.cfg.messageTimestampType === 'LogAppendTime' ? r.timestamp : -1;
        return {
          baseOffset: r.firstOffset,
          lastOffset: r.lastOffset,
          logAppendTime: appendTime,
          logStartOffset: this.startOffset,
          duplicate: true,
        };
      }
    }

    const last = batches[batches.length - 1]!;
    const maxTimestamp = batches.reduce((m, b) => Math.max(m, b.maxTimestamp), -1);
    const segment = this.maybeRoll(records.length, maxTimestamp, last.lastOffset, now);
    try {
      segment.append(records, batches);
    } catch (err) {
      if (err instanceof SegmentUndoError)
        this.goOffline('a failed append could not be undone', err);
      throw storageError(`append to ${this.dir} failed`, err);
    }
    producerAppend.commit();
    this.endOffset = last.lastOffset + 1;
    if (this.endOffset - this.flushedOffset >= this.cfg.flushMessages) this.flush();
    return {
      baseOffset: batches[0]!.baseOffset,
      lastOffset: last.lastOffset,
      logAppendTime,
      logStartOffset: this.startOffset,
      duplicate: false,
    };
  }

  private maybeRoll(
    messagesSize: number,
    maxTimestamp: number,
    maxOffset: number,
    now: number,
  ): LogSegment {
    const rollNeeded = this.active.shouldRoll({
      now,
      segmentBytes: this.cfg.segmentBytes,
      segmentMs: this.cfg.segmentMs,
      messagesSize,
      maxTimestampInMessages: maxTimestamp,
      maxOffsetInMessages: maxOffset,
    });
    return rollNeeded ? this.roll() : this.active;
  }

  /** Starts a new active segment at the log end offset; the old one is fsynced. */
  roll(): LogSegment {
    this.checkUsable();
    const old = this.active;
    if (old.size === 0) return old;
    try {
      old.onBecomeInactive();
      this.flushSegments(this.endOffset);
      const segment = LogSegment.create(
        this.fs,
        this.dir,
        this.endOffset,
        this.segmentSettings(),
        this.clock(),
      );
      this.segments.push(segment);
      old.offsetIndex.file.close();
      old.timeIndex.file.close();
      writeProducerSnapshot(this.fs, this.dir, this.producers);
      this.deleteOldSnapshots();
      this.writeCheckpoint(false);
      return segment;
    } catch (err) {
      if (err instanceof KafkaError) throw err;
      this.goOffline('roll failed', err);
      throw storageError(`roll of ${this.dir} failed`, err);
    }
  }

  // --- read (log-reader.ts) -------------------------------------------------------------------

  /**
   * Reads whole batches from the one holding `offset`, up to `maxBytes` (but at least that first
   * batch unless `minOneBatch` is false), stopping before `maxOffset`. OFFSET_OUT_OF_RANGE when
   * `offset` is below the log start or above the log end.
   */
  read(offset: number, maxBytes: number, options: ReadOptions = {}): ReadResult {
    this.checkUsable();
    return readBatches(this.view(), offset, maxBytes, options);
  }

  /** Where `offset` is in the log (e.g. the high watermark), or undefined when out of range. */
  offsetMetadata(offset: number): LogOffsetMetadata | undefined {
    return offsetMetadata(this.view(), offset);
  }

  /** The first offset whose timestamp is >= `timestamp` (ListOffsets), or undefined. */
  offsetForTimestamp(timestamp: number): TimestampAndOffset | undefined {
    this.checkUsable();
    return offsetForTimestamp(this.view(), timestamp, this.locate);
  }

  /** The record with the largest timestamp (ListOffsets MAX_TIMESTAMP), or undefined when empty. */
  maxTimestampAndOffset(): TimestampAndOffset | undefined {
    this.checkUsable();
    return maxTimestampAndOffset(this.view(), this.locate);
  }

  private view(): SegmentsView {
    return {
      dir: this.dir,
      segments: this.segments,
      logStartOffset: this.startOffset,
      logEndOffset: this.endOffset,
    };
  }

  // --- flush, truncation, deletion -------------------------------------------------------------

  /** fsyncs everything appended so far and moves the recovery point to the log end offset. */
  flush(): void {
    this.checkUsable();
    this.flushSegments(this.endOffset);
    this.lastFlushTime = this.clock();
  }

  private flushSegments(upTo: number): void {
    if (upTo <= this.flushedOffset) return;
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
      // After a failed fsync the kernel may have dropped the dirty pages: trust nothing unsynced.
      this.goOffline('fsync failed', err);
      throw storageError(`flush of ${this.dir} failed`, err);
    }
    this.flushedOffset = upTo;
  }

  /** Removes everything at and above `offset` (a follower truncating to its leader). */
  truncateTo(offset: number): void {
    this.checkUsable();
    if (offset >= this.endOffset) return;
    if (offset <= this.segments[0]!.baseOffset || offset < this.startOffset) {
      this.truncateFullyAndStartAt(offset);
      return;
    }
    while (this.active.baseOffset >= offset) this.removeSegment(this.segments.pop()!);
    this.active.truncateTo(offset);
    this.endOffset = this.active.nextOffset;
    this.flushedOffset = Math.min(this.flushedOffset, this.endOffset);
    deleteSnapshots(this.fs, this.dir, (o) => o > this.endOffset);
    this.reloadProducerState();
    this.writeCheckpoint(false);
  }

  /** Deletes every segment and starts empty at `offset` (a follower far behind its leader). */
  truncateFullyAndStartAt(offset: number): void {
    this.checkUsable();
    for (const seg of this.segments.splice(0)) this.removeSegment(seg);
    this.segments.push(
      LogSegment.create(this.fs, this.dir, offset, this.segmentSettings(), this.clock()),
    );
    this.startOffset = offset;
    this.endOffset = offset;
    this.flushedOffset = offset;
    deleteSnapshots(this.fs, this.dir, () => true);
    this.producers.reset(offset);
    this.writeCheckpoint(false);
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (durably, before returning) and
   * deletes the segments wholly below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: number): number {
    this.checkUsable();
    if (offset > this.endOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${offset} is above the log end offset ${this.endOffset}`,
      );
    }
    if (offset <= this.startOffset) return this.startOffset;
    this.startOffset = offset;
    this.producers.onLogStartOffsetIncremented(offset);
    this.writeCheckpoint(false);
    deleteOldSegments({ ...this.retentionTarget(), deletePolicy: false }, this.clock());
    return this.startOffset;
  }

  /** Applies retention (log start offset, retention.bytes, retention.ms); returns segments deleted. */
  deleteOldSegments(highWatermark: number = this.endOffset, now: number = this.clock()): number {
    this.checkUsable();
    return deleteOldSegments(this.retentionTarget(), now, highWatermark);
  }

  private retentionTarget(): RetentionTarget {
    return {
      segmentsView: this.segments,
      logStartOffset: this.startOffset,
      logEndOffset: this.endOffset,
      retentionMs: this.cfg.retentionMs,
      retentionBytes: this.cfg.retentionBytes,
      deletePolicy: this.cfg.cleanupPolicy.includes('delete'),
      deleteOldestSegments: (count, reason) => this.deleteOldestSegments(count, reason),
    };
  }

  private deleteOldestSegments(count: number, reason: string): void {
    if (count >= this.segments.length) this.roll();
    const doomed = this.segments.splice(0, Math.min(count, this.segments.length - 1));
    this.startOffset = Math.max(this.startOffset, this.segments[0]!.baseOffset);
    this.producers.onLogStartOffsetIncremented(this.startOffset);
    this.logger.info(
      `${this.dir}: deleting ${doomed.length} segment(s) for ${reason}; log start offset ${this.startOffset}`,
    );
    for (const seg of doomed) this.removeSegment(seg);
    this.deleteOldSnapshots();
    this.writeCheckpoint(false);
  }

  private removeSegment(seg: LogSegment): void {
    if (this.cfg.fileDeleteDelayMs <= 0) {
      seg.deleteFiles();
      return;
    }
    seg.markDeleted();
    this.pendingDeletes.push({ segment: seg, at: this.clock() + this.cfg.fileDeleteDelayMs });
  }

  /** Deletes the files of removed segments whose file.delete.delay.ms has passed. */
  deletePendingFiles(now: number = this.clock()): void {
    while (this.pendingDeletes.length > 0 && this.pendingDeletes[0]!.at <= now) {
      this.pendingDeletes.shift()!.segment.deleteFiles();
    }
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /** Flushes, writes a producer snapshot and the clean-shutdown checkpoint, closes the files. */
  close(): void {
    if (this.closed) return;
    try {
      if (this.offlineReason === undefined) {
        this.active.onBecomeInactive();
        this.flushSegments(this.endOffset);
        for (const seg of this.segments) seg.flush();
        writeProducerSnapshot(this.fs, this.dir, this.producers);
        this.deleteOldSnapshots();
        this.writeCheckpoint(true);
      }
    } catch (err) {
      if (!this.isOffline) this.goOffline('clean shutdown failed', err);
      throw err instanceof KafkaError ? err : storageError(`close of ${this.dir} failed`, err);
    } finally {
      this.closed = true;
      for (const seg of this.segments) seg.closeHandles();
      this.deletePendingFiles(Number.POSITIVE_INFINITY);
    }
  }

  /** Closes and removes the partition's directory (partition deleted or moved away). */
  delete(): void {
    this.closed = true;
    for (const seg of this.segments) seg.closeHandles();
    this.deletePendingFiles(Number.POSITIVE_INFINITY);
    removeDirWithFiles(this.fs, this.dir);
  }

  // --- internals -------------------------------------------------------------------------------

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  private segmentSettings(): SegmentSettings {
    const jitter = this.cfg.segmentJitterMs;
    return {
      indexIntervalBytes: this.cfg.indexIntervalBytes,
      segmentIndexBytes: this.cfg.segmentIndexBytes,
      rollJitterMs:
        jitter > 0 ? Math.floor(Math.random() * Math.min(jitter, this.cfg.segmentMs)) : 0,
    };
  }

  private reloadProducerState(): void {
    const below = listSnapshotOffsets(this.fs, this.dir)
      .filter((o) => o <= this.endOffset)
      .pop();
    let loaded = false;
    if (below !== undefined) {
      try {
        loaded = this.producers.loadSnapshot(readProducerSnapshot(this.fs, this.dir, below));
      } catch {
        loaded = false;
      }
    }
    if (!loaded) this.producers.reset(this.segments[0]!.baseOffset);
    rebuildProducerState(this.segments, this.producers, this.endOffset);
    this.producers.onLogStartOffsetIncremented(this.startOffset);
  }

  /** Keeps the two newest snapshots at or above the log start offset. */
  private deleteOldSnapshots(): void {
    const keep = new Set(
      listSnapshotOffsets(this.fs, this.dir)
        .filter((o) => o >= this.startOffset)
        .slice(-2),
    );
    deleteSnapshots(this.fs, this.dir, (o) => !keep.has(o));
  }

  /** Writes the checkpoint (log start offset, recovery point) if either moved since the last write. */
  checkpoint(): void {
    this.checkUsable();
    const c = this.checkpointed;
    if (c.logStartOffset !== this.startOffset || c.recoveryPoint !== this.flushedOffset)
      this.writeCheckpoint(false);
  }

  private writeCheckpoint(cleanShutdown: boolean): void {
    const cp = {
      logStartOffset: this.startOffset,
      recoveryPoint: this.flushedOffset,
      cleanShutdown,
    };
    writeLogCheckpoint(this.fs, this.dir, cp);
    this.checkpointed = cp;
  }

  private goOffline(reason: string, err: unknown): void {
    this.offlineReason = `${reason}: ${(err as Error).message ?? err}`;
    this.logger.warn(`${this.dir}: log offline (${this.offlineReason}); reopen to recover`);
  }

  private checkUsable(): void {
    if (this.offlineReason !== undefined) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `log ${this.dir} is offline: ${this.offlineReason}`,
      );
    }
    if (this.closed)
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is closed`);
  }
}

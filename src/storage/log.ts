// PartitionLog: one partition's durable log (Kafka's UnifiedLog over LocalLog's segments).
//
// Appends assign offsets in place (the batch header's baseOffset and partitionLeaderEpoch, which
// the CRC does not cover) and write the producer's bytes as they came; only LogAppendTime
// rewrites covered bytes and the CRC. Reads return whole batches straight from a segment file.
// Every write is in the page cache when append() returns; fsync happens on flush.messages /
// flush.ms, on roll (the old segment) and on close. I/O failures surface as KAFKA_STORAGE_ERROR
// (see local-log.ts for when the log also goes offline). This layer owns the log start offset
// (durable in the checkpoint before DeleteRecords returns), producer state and its snapshots.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { type RecordBatchHeader, splitBatches } from '../protocol/records/batch-header.js';
import { assignOffsets, checkReplicatedOffsets, validateBatches } from './append-validation.js';
import { type CleanerView, lastDataOffsets } from './cleaner/cleaner-view.js';
import { type FileSystem, removeDirWithFiles } from './fs.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { LocalLog, segmentSettingsFor, storageError } from './local-log.js';
import type { LogConfig } from './log-config.js';
import { loadLog, reloadProducerState, type StorageLogger, silentLogger } from './log-loader.js';
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
  type TimestampAndOffset,
  type TimestampLocator,
} from './log-reader.js';
import {
  deleteOldSnapshots,
  deleteSnapshots,
  type LogCheckpoint,
  writeLogCheckpoint,
  writeProducerSnapshot,
} from './partition-files.js';
import type { AppendOrigin, ProducerStateManager } from './producer-state.js';
import { deleteOldSegments, type RetentionTarget } from './retention.js';

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
  /** Told the offset of every truncation (the log cleaner lowers its checkpoint and aborts). */
  readonly onTruncation?: (offset: number) => void;
}

export type { LogOffsetMetadata, ReadOptions, ReadResult, TimestampAndOffset, TimestampLocator };

export interface AppendOptions {
  /** Default 'client': full validation, offsets assigned, idempotence checked. */
  readonly origin?: AppendOrigin;
  /** Written into each batch's partitionLeaderEpoch (not for 'replication', which keeps the leader's). */
  readonly leaderEpoch?: number;
  /**
   * A client batch that the Produce path already split out of `records` and passed through
   * validateBatchHeader (CRC included) with this log's max.message.bytes: the log takes it as it
   * is instead of splitting and checking the bytes a second time. Ignored unless it views
   * exactly `records`.
   */
  readonly checkedBatch?: RecordBatchHeader;
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

/** One shape for every result, built once per append. */
function appendResult(
  baseOffset: number,
  lastOffset: number,
  logAppendTime: number,
  logStartOffset: number,
  duplicate: boolean,
): AppendResult {
  return { baseOffset, lastOffset, logAppendTime, logStartOffset, duplicate };
}

/** Whether `batch` is a view of exactly the bytes of `records` (the same memory, whole). */
function viewsExactly(batch: RecordBatchHeader, records: Buffer): boolean {
  const b = batch.buf;
  return (
    b.buffer === records.buffer &&
    b.byteOffset === records.byteOffset &&
    b.length === records.length
  );
}

export class PartitionLog {
  readonly dir: string;
  private readonly fs: FileSystem;
  private readonly clock: () => number;
  private readonly logger: StorageLogger;
  private readonly locate: TimestampLocator | undefined;
  private readonly onTruncation: ((offset: number) => void) | undefined;
  private cfg: LogConfig;
  private readonly local: LocalLog;
  private readonly producers: ProducerStateManager;
  private readonly epochs: LeaderEpochCache;
  private startOffset: number;
  private checkpointed: LogCheckpoint;
  private closed = false;

  private constructor(o: PartitionLogOptions) {
    this.dir = o.dir;
    this.fs = o.fs;
    this.clock = o.clock ?? Date.now;
    this.logger = o.logger ?? silentLogger;
    this.locate =
      o.timestampLocator === null ? undefined : (o.timestampLocator ?? recordTimestampLocator);
    this.cfg = o.config;
    this.onTruncation = o.onTruncation;
    const params = {
      fs: o.fs,
      dir: o.dir,
      config: () => this.cfg,
      clock: this.clock,
      logger: this.logger,
    };
    const loaded = loadLog({
      fs: o.fs,
      dir: o.dir,
      now: this.clock(),
      logger: this.logger,
      segmentSettings: () => segmentSettingsFor(this.cfg),
    });
    this.local = new LocalLog({
      ...params,
      segments: loaded.segments,
      recoveryPoint: loaded.recoveryPoint,
    });
    this.producers = loaded.producerState;
    this.epochs = loaded.leaderEpochCache;
    this.startOffset = loaded.logStartOffset;
    this.checkpointed = {
      logStartOffset: this.startOffset,
      recoveryPoint: loaded.recoveryPoint,
      cleanShutdown: false,
    };
    if (this.startOffset > this.local.logEndOffset) this.truncateFullyAndStartAt(this.startOffset);
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
    return this.local.logEndOffset;
  }
  get logEndOffsetMetadata(): LogOffsetMetadata {
    return logEndOffsetMetadata(this.view());
  }
  /** Everything below this offset has been fsynced. */
  get recoveryPoint(): number {
    return this.local.recoveryPoint;
  }
  get size(): number {
    return this.local.segments.reduce((sum, s) => sum + s.size, 0);
  }
  get numberOfSegments(): number {
    return this.local.segments.length;
  }
  get segmentBaseOffsets(): number[] {
    return this.local.segments.map((s) => s.baseOffset);
  }
  get producerState(): ProducerStateManager {
    return this.producers;
  }
  get isOffline(): boolean {
    return this.local.isOffline;
  }
  /** Milliseconds since the last flush, for the flush.ms scheduler. */
  timeSinceLastFlush(now = this.clock()): number {
    return now - this.local.lastFlushMs;
  }

  /** New settings apply from now on (index settings: from the next segment). */
  updateConfig(config: LogConfig): void {
    this.cfg = config;
  }

  // --- append ----------------------------------------------------------------------------------

  /**
   * Validates and appends the batches in `records` (one batch for a client produce), assigning
   * offsets in place unless they are replicated. A retried idempotent batch is not written again:
   * the result carries the offsets of the first attempt and `duplicate: true`.
   */
  append(records: Buffer, options: AppendOptions = {}): AppendResult {
    this.checkUsable();
    const origin = options.origin ?? 'client';
    const now = this.clock();
    const checked = options.checkedBatch;
    const reuse = origin === 'client' && checked !== undefined && viewsExactly(checked, records);
    const batches = reuse ? [checked] : splitBatches(records);
    const logStartOffset = this.startOffset;
    if (batches.length === 0) return appendResult(-1, -1, -1, logStartOffset, false);
    validateBatches(batches, origin, this.cfg, now, reuse);
    if (records.length > this.cfg.segmentBytes) {
      throw new KafkaError(
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `${records.length} bytes of batches do not fit a segment (segment.bytes ${this.cfg.segmentBytes})`,
      );
    }
    const appendTimeType = this.cfg.messageTimestampType === 'LogAppendTime';
    const logAppendTime = origin !== 'replication' && appendTimeType ? now : -1;
    if (origin === 'replication') checkReplicatedOffsets(batches, this.logEndOffset);
    else assignOffsets(batches, this.logEndOffset, options.leaderEpoch, logAppendTime);

    const producerAppend = this.producers.begin(origin);
    let maxTimestamp = -1;
    for (const b of batches) {
      const r = producerAppend.checkAndRecord(b);
      if (r.kind === 'error') throw new KafkaError(r.errorCode, r.message);
      if (r.kind === 'duplicate') {
        const firstAppendTime = appendTimeType ? r.timestamp : -1;
        return appendResult(r.firstOffset, r.lastOffset, firstAppendTime, logStartOffset, true);
      }
      const ts = b.maxTimestamp;
      if (ts > maxTimestamp) maxTimestamp = ts;
    }

    const baseOffset = batches[0]!.baseOffset;
    const lastOffset = batches[batches.length - 1]!.lastOffset;
    if (this.local.shouldRoll(records.length, maxTimestamp, lastOffset, now)) this.roll();
    this.local.append(records, batches, lastOffset);
    producerAppend.commit();
    for (const b of batches) {
      const epoch = b.partitionLeaderEpoch;
      if (epoch >= 0 && epoch !== this.epochs.latestEpoch) {
        this.durably('leader epoch checkpoint', () => this.epochs.assign(epoch, b.baseOffset));
      }
    }
    if (this.logEndOffset - this.local.recoveryPoint >= this.cfg.flushMessages) this.local.flush();
    return appendResult(baseOffset, lastOffset, logAppendTime, logStartOffset, false);
  }

  /** Starts a new active segment (fsyncing the old one) and snapshots producer state there. */
  roll(): void {
    this.checkUsable();
    const before = this.local.active;
    if (this.local.roll() === before) return;
    this.durably('roll', () => {
      writeProducerSnapshot(this.fs, this.dir, this.producers);
      deleteOldSnapshots(this.fs, this.dir, this.startOffset);
      this.writeCheckpoint(false);
    });
  }

  /** fsyncs everything appended so far and moves the recovery point to the log end offset. */
  flush(): void {
    this.checkUsable();
    this.local.flush();
  }

  // --- read (log-reader.ts) -------------------------------------------------------------------

  /**
   * Reads whole batches from the one holding `offset`, up to `maxBytes` (but at least that first
   * batch unless `minOneBatch` is false), stopping before `maxOffset`. OFFSET_OUT_OF_RANGE when
   * `offset` is below the log start or above the log end.
   */
  read(offset: number, maxBytes: number, options: ReadOptions = {}): ReadResult {
    this.checkUsable();
    return this.durably('read', () => readBatches(this.view(), offset, maxBytes, options));
  }

  /** Where `offset` is in the log (e.g. the high watermark), or undefined when out of range. */
  offsetMetadata(offset: number): LogOffsetMetadata | undefined {
    return offsetMetadata(this.view(), offset);
  }

  /** The first offset whose timestamp is >= `timestamp` (ListOffsets), or undefined. */
  offsetForTimestamp(timestamp: number): TimestampAndOffset | undefined {
    this.checkUsable();
    return this.durably('timestamp lookup', () =>
      offsetForTimestamp(this.view(), timestamp, this.locate),
    );
  }

  /** The record with the largest timestamp (ListOffsets MAX_TIMESTAMP), or undefined when empty. */
  maxTimestampAndOffset(): TimestampAndOffset | undefined {
    this.checkUsable();
    return this.durably('timestamp lookup', () => maxTimestampAndOffset(this.view(), this.locate));
  }

  private view(): SegmentsView {
    const { dir, segments } = this.local;
    return { dir, segments, logStartOffset: this.startOffset, logEndOffset: this.logEndOffset };
  }

  // --- leader epochs (OffsetForLeaderEpoch) ---------------------------------------------------

  /**
   * The largest epoch <= `leaderEpoch` in this log and the offset where the epoch after it starts
   * (the log end offset for the latest epoch); -1/-1 when unknown.
   */
  endOffsetForEpoch(leaderEpoch: number): { epoch: number; endOffset: number } {
    this.checkUsable();
    return this.epochs.endOffsetFor(leaderEpoch, this.logEndOffset);
  }

  /** The leader epoch that wrote `offset`, or undefined when it predates every known epoch. */
  epochForOffset(offset: number): number | undefined {
    return this.epochs.epochForOffset(offset);
  }

  /** The latest leader epoch appended, if any. */
  get latestEpoch(): number | undefined {
    return this.epochs.latestEpoch;
  }

  // --- truncation and deletion -----------------------------------------------------------------

  /** Removes everything at and above `offset` (a follower truncating to its leader). */
  truncateTo(offset: number): void {
    this.checkUsable();
    if (offset >= this.logEndOffset) return;
    this.onTruncation?.(offset);
    if (offset <= this.local.segments[0]!.baseOffset || offset < this.startOffset) {
      this.truncateFullyAndStartAt(offset);
      return;
    }
    this.durably('truncation', () => {
      this.local.truncateTo(offset);
      this.epochs.truncateFromEnd(this.logEndOffset);
      deleteSnapshots(this.fs, this.dir, (o) => o > this.logEndOffset);
      reloadProducerState(this.fs, this.dir, this.local.segments, this.producers, this.startOffset);
      this.writeCheckpoint(false);
    });
  }

  /** Deletes every segment and starts empty at `offset` (a follower far behind its leader). */
  truncateFullyAndStartAt(offset: number): void {
    this.checkUsable();
    this.onTruncation?.(Math.min(offset, this.local.segments[0]!.baseOffset));
    this.durably('truncation', () => {
      this.local.truncateFullyAndStartAt(offset);
      this.startOffset = offset;
      this.epochs.clear();
      deleteSnapshots(this.fs, this.dir, () => true);
      this.producers.reset(offset);
      this.writeCheckpoint(false);
    });
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (durably, before returning) and
   * deletes the segments wholly below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: number): number {
    this.checkUsable();
    if (offset > this.logEndOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${offset} is above the log end offset ${this.logEndOffset}`,
      );
    }
    if (offset <= this.startOffset) return this.startOffset;
    this.durably('DeleteRecords', () => {
      this.startOffset = offset;
      this.producers.onLogStartOffsetIncremented(offset);
      this.epochs.truncateFromStart(offset);
      this.writeCheckpoint(false);
      deleteOldSegments({ ...this.retentionTarget(), deletePolicy: false }, this.clock());
    });
    return this.startOffset;
  }

  /** Applies retention (log start offset, retention.bytes, retention.ms); returns segments deleted. */
  deleteOldSegments(highWatermark: number = this.logEndOffset, now: number = this.clock()): number {
    this.checkUsable();
    return this.durably('retention', () =>
      deleteOldSegments(this.retentionTarget(), now, highWatermark),
    );
  }

  private retentionTarget(): RetentionTarget {
    return {
      segmentsView: this.local.segments,
      logStartOffset: this.startOffset,
      logEndOffset: this.logEndOffset,
      retentionMs: this.cfg.retentionMs,
      retentionBytes: this.cfg.retentionBytes,
      deletePolicy: this.cfg.cleanupPolicy.includes('delete'),
      deleteOldestSegments: (count, reason) => {
        if (count >= this.local.segments.length) this.roll();
        const firstBase = this.local.removeOldestSegments(count);
        this.startOffset = Math.max(this.startOffset, firstBase);
        this.producers.onLogStartOffsetIncremented(this.startOffset);
        this.epochs.truncateFromStart(this.startOffset);
        this.logger.info(
          `${this.dir}: deleted ${count} segment(s) for ${reason}; log start offset ${this.startOffset}`,
        );
        deleteOldSnapshots(this.fs, this.dir, this.startOffset);
        this.writeCheckpoint(false);
      },
    };
  }

  /** Deletes the files of removed segments whose file.delete.delay.ms has passed. */
  deletePendingFiles(now: number = this.clock()): void {
    this.local.deletePendingFiles(now);
  }

  /** The log cleaner's view of this log (cleaner/cleaner-view.ts). */
  cleanerView(): CleanerView {
    const { fs, dir, local } = this;
    return {
      fs,
      dir,
      segments: local.segments,
      config: () => this.cfg,
      logStartOffset: () => this.startOffset,
      logEndOffset: () => this.logEndOffset,
      isUsable: () => !this.closed && !this.isOffline,
      lastOffsetsOfActiveProducers: () => lastDataOffsets(this.producers),
      segmentSettings: () => local.segmentSettings(),
      replaceSegments: (cleaned, old) =>
        this.durably('segment swap', () => local.replaceSegments(cleaned, old)),
      completeSwap: (cleaned) => this.durably('segment swap', () => local.completeSwap(cleaned)),
    };
  }

  // --- checkpoint and lifecycle ----------------------------------------------------------------

  /** Writes the checkpoint (log start offset, recovery point) if either moved since the last write. */
  checkpoint(): void {
    this.checkUsable();
    const c = this.checkpointed;
    if (c.logStartOffset !== this.startOffset || c.recoveryPoint !== this.recoveryPoint) {
      this.durably('checkpoint', () => this.writeCheckpoint(false));
    }
  }

  /** Flushes, writes a producer snapshot and the clean-shutdown checkpoint, closes the files. */
  close(): void {
    if (this.closed) return;
    try {
      if (!this.isOffline) {
        this.local.active.onBecomeInactive();
        this.local.flush();
        for (const seg of this.local.segments) seg.flush();
        this.durably('clean shutdown', () => {
          writeProducerSnapshot(this.fs, this.dir, this.producers);
          deleteOldSnapshots(this.fs, this.dir, this.startOffset);
          this.writeCheckpoint(true);
        });
      }
    } finally {
      this.closed = true;
      this.local.closeHandles();
    }
  }

  /** Closes and removes the partition's directory (partition deleted or moved away). */
  delete(): void {
    this.closed = true;
    this.local.closeHandles();
    removeDirWithFiles(this.fs, this.dir);
  }

  private writeCheckpoint(cleanShutdown: boolean): void {
    const cp = {
      logStartOffset: this.startOffset,
      recoveryPoint: this.recoveryPoint,
      cleanShutdown,
    };
    writeLogCheckpoint(this.fs, this.dir, cp);
    this.checkpointed = cp;
  }

  /**
   * Runs file work whose failure leaves the partition's files in doubt, or means the disk is
   * failing: an I/O error takes the log offline; Kafka errors (bad offsets, ...) pass through.
   */
  private durably<T>(what: string, work: () => T): T {
    try {
      return work();
    } catch (err) {
      if (err instanceof KafkaError && err.code !== ErrorCode.KAFKA_STORAGE_ERROR) throw err;
      this.local.goOffline(`${what} failed`, err);
      throw err instanceof KafkaError ? err : storageError(`${what} of ${this.dir} failed`, err);
    }
  }

  private checkUsable(): void {
    this.local.checkUsable();
    if (this.closed)
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is closed`);
  }
}

// The log cleaner of one data directory (Kafka's LogCleaner + LogCleanerManager), run on the event
// loop: it picks the filthiest compacted log, then advances that log's cleaning (cleaner.ts) in
// steps of one batch, for at most maxTickMs (1 ms) at a time, yielding to produce and fetch in
// between (setImmediate), throttled to log.cleaner.io.max.bytes.per.second.
// When no log needs cleaning it sleeps log.cleaner.backoff.ms. All timers are unref'ed.
//
// Which logs: cleanup.policy contains compact, plus Kafka's internal topics __consumer_offsets
// and __transaction_state whatever their settings say (they are only correct compacted). Progress
// is kept in cleaner-offset-checkpoint. A log whose cleaning fails (I/O error, corrupt batch) is
// marked uncleanable until restart, as in Kafka, and logged; a cleaning that loses its segments to
// retention, DeleteRecords, truncation or close is abandoned quietly and retried later.
import type { FileSystem } from '../fs.js';
import type { PartitionLog } from '../log.js';
import type { StorageLogger } from '../log-loader.js';
import { cleanableOffsets, isCleanable, type LogToClean, logToClean } from './cleanable.js';
import {
  type CleanerStats,
  type CleanerStep,
  CleaningAbortedError,
  cleanLog,
  newCleanerStats,
} from './cleaner.js';
import {
  checkpointKey,
  readCleanerCheckpoint,
  writeCleanerCheckpoint,
} from './cleaner-checkpoint.js';
import { type CleanerConfig, cleanerConfig } from './cleaner-config.js';
import { OffsetMap } from './offset-map.js';

/** Topics Kafka creates with cleanup.policy=compact and that must stay compacted. */
export const ALWAYS_COMPACTED_TOPICS: ReadonlySet<string> = new Set([
  '__consumer_offsets',
  '__transaction_state',
]);

export interface CleanerPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface LogCleanerOptions {
  readonly dataDir: string;
  readonly fs: FileSystem;
  readonly config?: Partial<CleanerConfig>;
  /** The logs of the data directory, read at each selection. */
  readonly logs: () => Iterable<[CleanerPartition, PartitionLog]>;
  /** The high watermark, which cleaning never passes; default the log end offset. */
  readonly highWatermarkOf?: (tp: CleanerPartition) => number | undefined;
  readonly clock: () => number;
  readonly logger: StorageLogger;
}

/** One finished cleaning, for logs, tests and benchmarks. */
export interface CleaningResult {
  readonly topic: string;
  readonly partition: number;
  readonly firstDirtyOffset: number;
  readonly endOffset: number;
  readonly stats: CleanerStats;
  readonly elapsedMs: number;
}

interface Job {
  readonly key: string;
  readonly tp: CleanerPartition;
  readonly toClean: LogToClean;
  readonly steps: Generator<CleanerStep, number, void>;
  readonly stats: CleanerStats;
  readonly startedAt: number;
  abortReason: string | undefined;
  bytes: number;
}

export class LogCleaner {
  readonly config: CleanerConfig;
  private readonly o: LogCleanerOptions;
  private readonly checkpoints: Map<string, number>;
  private readonly uncleanable = new Set<string>();
  private job: Job | undefined;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running = false;
  /** Finished cleanings, newest last (the last 100). */
  readonly history: CleaningResult[] = [];

  constructor(options: LogCleanerOptions) {
    this.o = options;
    this.config = cleanerConfig(options.config);
    this.checkpoints = readCleanerCheckpoint(options.fs, options.dataDir);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts cleaning in the background (when log.cleaner.enable and threads > 0). */
  start(): void {
    if (this.running || !this.config.enable || this.config.threads === 0) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops the background work; a cleaning in progress is abandoned (or its swap finished). */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.abandonJob();
  }

  /** The checkpointed first dirty offset of a partition. */
  firstDirtyOffset(topic: string, partition: number): number | undefined {
    return this.checkpoints.get(checkpointKey(topic, partition));
  }

  /** Whether a failed cleaning took this partition out of cleaning until restart. */
  isUncleanable(topic: string, partition: number): boolean {
    return this.uncleanable.has(checkpointKey(topic, partition));
  }

  /** A truncation to `offset`: no clean section may lie above it, and a running cleaning is void. */
  onTruncation(tp: CleanerPartition, offset: number): void {
    const key = checkpointKey(tp.topic, tp.partition);
    if (this.job?.key === key) this.job.abortReason = `the log was truncated to ${offset}`;
    const checkpoint = this.checkpoints.get(key);
    if (checkpoint !== undefined && checkpoint > offset) {
      this.checkpoints.set(key, offset);
      this.writeCheckpoints();
    }
  }

  /** Stops any cleaning of a partition being deleted and forgets its checkpoint. */
  onLogDeleted(tp: CleanerPartition): void {
    const key = checkpointKey(tp.topic, tp.partition);
    if (this.job?.key === key) {
      this.job.abortReason = 'the log was deleted';
      this.abandonJob();
    }
    this.uncleanable.delete(key);
    if (this.checkpoints.delete(key)) this.writeCheckpoints();
  }

  /**
   * Cleans, synchronously, every log that needs it until none does (tests, benchmarks, tools);
   * returns the cleanings done. Not to be mixed with `start()` on a broker serving traffic.
   */
  cleanUntilIdle(maxRounds = 1000): CleaningResult[] {
    const done: CleaningResult[] = [];
    for (let round = 0; round < maxRounds; round++) {
      const job = this.job ?? this.startNextJob();
      if (!job) break;
      while (typeof this.advance(job) === 'object') {}
      const last = this.history[this.history.length - 1];
      if (last && last.stats === job.stats) done.push(last);
    }
    return done;
  }

  // --- background driving ----------------------------------------------------------------------

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (delayMs <= 0) {
      this.immediate = setImmediate(() => this.tick());
      this.immediate.unref();
    } else {
      this.timer = setTimeout(() => this.tick(), delayMs);
      this.timer.unref();
    }
  }

  private tick(): void {
    this.timer = undefined;
    this.immediate = undefined;
    if (!this.running) return;
    const job = this.job ?? this.startNextJob();
    if (!job) {
      this.schedule(this.config.backoffMs);
      return;
    }
    const deadline = performance.now() + this.config.maxTickMs;
    for (;;) {
      const r = this.advance(job);
      if (typeof r !== 'object') {
        this.schedule(0);
        return;
      }
      if (!r.mustContinue && performance.now() >= deadline) break;
    }
    this.schedule(this.throttleDelay(job));
  }

  /** Milliseconds to wait so that the job's I/O stays under log.cleaner.io.max.bytes.per.second. */
  private throttleDelay(job: Job): number {
    const rate = this.config.ioMaxBytesPerSecond;
    if (!Number.isFinite(rate)) return 0;
    const due = (job.bytes / rate) * 1000;
    return Math.max(0, Math.ceil(due - (performance.now() - job.startedAt)));
  }

  /**
   * Advances cleaning until `stop(step)` holds and leaves it suspended right there, for tests that
   * simulate a crash at each phase; returns that step, or undefined if the cleaning ended first
   * (or no log needed one).
   */
  stepUntil(stop: (step: CleanerStep) => boolean): CleanerStep | undefined {
    const job = this.job ?? this.startNextJob();
    if (!job) return undefined;
    for (;;) {
      const r = this.advance(job);
      if (typeof r !== 'object') return undefined;
      if (stop(r)) return r;
    }
  }

  /** Runs one step of `job`. */
  private advance(job: Job): CleanerStep | 'done' | 'failed' {
    try {
      const r = job.steps.next();
      if (r.done) {
        this.finishJob(job, r.value);
        return 'done';
      }
      job.bytes += r.value.bytes;
      return r.value;
    } catch (err) {
      this.job = undefined;
      if (err instanceof CleaningAbortedError) {
        this.o.logger.info(`log cleaner: cleaning of ${job.key} abandoned: ${err.message}`);
      } else {
        this.uncleanable.add(job.key);
        this.o.logger.warn(
          `log cleaner: cleaning of ${job.key} failed, not cleaning it again until restart: ${(err as Error).message}`,
        );
      }
      return 'failed';
    }
  }

  private abandonJob(): void {
    const job = this.job;
    this.job = undefined;
    if (!job) return;
    try {
      job.steps.return(job.toClean.firstDirtyOffset);
    } catch (err) {
      this.o.logger.warn(`log cleaner: stopping ${job.key} failed: ${(err as Error).message}`);
    }
  }

  private finishJob(job: Job, endOffset: number): void {
    this.job = undefined;
    const { toClean, stats } = job;
    const elapsedMs = performance.now() - job.startedAt;
    if (endOffset <= toClean.firstDirtyOffset) {
      // The map could not take even one batch's keys: nothing would ever move.
      this.uncleanable.add(job.key);
      this.o.logger.warn(
        `log cleaner: ${job.key} made no progress (log.cleaner.dedupe.buffer.size too small?); not cleaning it again until restart`,
      );
      return;
    }
    this.checkpoints.set(job.key, endOffset);
    this.writeCheckpoints();
    const result: CleaningResult = {
      ...job.tp,
      firstDirtyOffset: toClean.firstDirtyOffset,
      endOffset,
      stats,
      elapsedMs,
    };
    this.history.push(result);
    if (this.history.length > 100) this.history.shift();
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    this.o.logger.info(
      `log cleaner: cleaned ${job.key} [${toClean.firstDirtyOffset}, ${endOffset}) in ${elapsedMs.toFixed(0)} ms: ` +
        `${mb(stats.bytesRead)} MB read, ${mb(stats.bytesWritten)} MB written, ` +
        `${stats.messagesRetained}/${stats.messagesRead} records kept, ${stats.segmentsCleaned} segment(s) into ${stats.segmentsWritten}, ` +
        `dirty ratio was ${(toClean.cleanableRatio * 100).toFixed(0)}%, map ${(stats.mapUtilization * 100).toFixed(0)}% full`,
    );
  }

  private writeCheckpoints(): void {
    const live = new Set<string>();
    for (const [tp] of this.o.logs()) live.add(checkpointKey(tp.topic, tp.partition));
    for (const key of this.checkpoints.keys()) if (!live.has(key)) this.checkpoints.delete(key);
    try {
      writeCleanerCheckpoint(this.o.fs, this.o.dataDir, this.checkpoints);
    } catch (err) {
      // Losing the checkpoint only means more work next time.
      this.o.logger.warn(`log cleaner: writing its checkpoint failed: ${(err as Error).message}`);
    }
  }

  // --- choosing a log --------------------------------------------------------------------------

  private startNextJob(): Job | undefined {
    const now = this.o.clock();
    let best: { tp: CleanerPartition; log: PartitionLog; ltc: LogToClean } | undefined;
    let checkpointChanged = false;
    for (const [tp, log] of this.o.logs()) {
      const key = checkpointKey(tp.topic, tp.partition);
      const compacted =
        log.config.cleanupPolicy.includes('compact') || ALWAYS_COMPACTED_TOPICS.has(tp.topic);
      if (!compacted || log.isOffline || this.uncleanable.has(key)) continue;
      const view = log.cleanerView();
      if (!view.isUsable()) continue;
      const hw = this.o.highWatermarkOf?.(tp) ?? log.logEndOffset;
      const offsets = cleanableOffsets(view, this.checkpoints.get(key), now, hw);
      if (offsets.forceUpdateCheckpoint) {
        this.checkpoints.set(key, offsets.firstDirtyOffset);
        checkpointChanged = true;
      }
      const ltc = logToClean(view, offsets, now);
      if (ltc.totalBytes === 0 || !isCleanable(ltc, log.config.minCleanableDirtyRatio)) continue;
      if (!best || ltc.cleanableRatio > best.ltc.cleanableRatio) best = { tp, log, ltc };
    }
    if (checkpointChanged) this.writeCheckpoints();
    if (!best) return undefined;
    return this.createJob(best.tp, best.log, best.ltc, now);
  }

  private createJob(tp: CleanerPartition, log: PartitionLog, ltc: LogToClean, now: number): Job {
    const c = this.config;
    const map = new OffsetMap(c.dedupeBufferSize / c.threads);
    const stats = newCleanerStats();
    const key = checkpointKey(tp.topic, tp.partition);
    const job: Job = {
      key,
      tp,
      toClean: ltc,
      stats,
      startedAt: performance.now(),
      abortReason: undefined,
      bytes: 0,
      steps: cleanLog({
        view: log.cleanerView(),
        toClean: ltc,
        map,
        loadFactor: c.ioBufferLoadFactor,
        readBufferBytes: Math.max(1024, Math.floor(c.ioBufferSize / c.threads / 2)),
        now,
        logger: this.o.logger,
        stats,
        aborted: () => job.abortReason,
      }),
    };
    this.job = job;
    return job;
  }
}

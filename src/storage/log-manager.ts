// LogManager: the partition logs of one data directory, one sub-directory <topic>-<partition> each.
//
// Opens every log at start-up (each recovers on its own if it was not closed cleanly), creates
// and deletes logs, and runs the periodic work on timers that never keep the process alive:
// retention every log.retention.check.interval.ms, a flush check (flush.ms per topic) every
// log.flush.scheduler.interval.ms, recovery-point checkpoints every
// log.flush.offset.checkpoint.interval.ms, producer-id expiry every
// producer.id.expiration.check.interval.ms. With log.cleaner.enable, the log cleaner
// (cleaner/log-cleaner.ts) compacts logs whose cleanup.policy has compact, in the background.
// close() stops the cleaner, flushes every log and leaves each with its clean-shutdown checkpoint.
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { CleanerConfig } from './cleaner/cleaner-config.js';
import { LogCleaner } from './cleaner/log-cleaner.js';
import { type FileSystem, NodeFileSystem } from './fs.js';
import { PartitionLog } from './log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js';
import { type StorageLogger, silentLogger } from './log-loader.js';
import type { TimestampLocator } from './log-reader.js';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface LogManagerOptions {
  readonly dataDir: string;
  readonly fs?: FileSystem;
  /** The config of a topic's logs; default: `defaultConfig` for every topic. */
  readonly configFor?: (topic: string) => LogConfig;
  readonly defaultConfig?: LogConfig;
  readonly clock?: () => number;
  readonly logger?: StorageLogger;
  readonly timestampLocator?: TimestampLocator;
  /** log.retention.check.interval.ms (Kafka: 300000). */
  readonly retentionCheckIntervalMs?: number;
  /**
   * log.flush.scheduler.interval.ms: how often flush.ms is checked. Kafka defaults to never,
   * which makes a topic's flush.ms inert unless this is set; Samsa checks every second.
   */
  readonly flushCheckIntervalMs?: number;
  /** log.flush.offset.checkpoint.interval.ms (Kafka: 60000). */
  readonly recoveryPointCheckpointIntervalMs?: number;
  /** producer.id.expiration.ms (Kafka: 86400000). */
  readonly producerIdExpirationMs?: number;
  /** producer.id.expiration.check.interval.ms (Kafka: 600000). */
  readonly producerIdExpirationCheckIntervalMs?: number;
  /** log.cleaner.* settings (cleaner/cleaner-config.ts); the cleaner runs from startSchedulers(). */
  readonly cleaner?: Partial<CleanerConfig>;
  /** A partition's high watermark, which neither retention nor cleaning passes; default its LEO. */
  readonly highWatermarkOf?: (tp: TopicPartition) => number | undefined;
}

const PARTITION_DIR = /^(.+)-(\d+)$/;

/** The directory name of a partition: <topic>-<partition>, as in Kafka. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Parses a partition directory name; undefined for anything else in the data dir. */
export function parsePartitionDirName(name: string): TopicPartition | undefined {
  const m = PARTITION_DIR.exec(name);
  if (!m) return undefined;
  const partition = Number(m[2]);
  return Number.isSafeInteger(partition) ? { topic: m[1]!, partition } : undefined;
}

export class LogManager {
  readonly dataDir: string;
  private readonly fs: FileSystem;
  private readonly clock: () => number;
  private readonly logger: StorageLogger;
  private readonly options: LogManagerOptions;
  private readonly logs = new Map<string, { tp: TopicPartition; log: PartitionLog }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  /** The log cleaner of this data directory (started by startSchedulers when enabled). */
  readonly cleaner: LogCleaner;

  private constructor(options: LogManagerOptions) {
    this.options = options;
    this.dataDir = options.dataDir;
    this.fs = options.fs ?? new NodeFileSystem();
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.fs.mkdirp(this.dataDir);
    this.cleaner = new LogCleaner({
      dataDir: this.dataDir,
      fs: this.fs,
      config: options.cleaner,
      logs: () => this.allLogs(),
      highWatermarkOf: options.highWatermarkOf,
      clock: this.clock,
      logger: this.logger,
    });
  }

  /** Opens every partition log found in the data directory (creating the directory if needed). */
  static open(options: LogManagerOptions): LogManager {
    const manager = new LogManager(options);
    manager.loadLogs();
    return manager;
  }

  private loadLogs(): void {
    this.fs.mkdirp(this.dataDir);
    for (const name of this.fs.readdir(this.dataDir)) {
      const tp = parsePartitionDirName(name);
      if (!tp || !this.fs.stat(join(this.dataDir, name)).isDirectory) continue;
      const log = this.openLog(tp, this.configFor(tp.topic));
      this.logs.set(name, { tp, log });
    }
    this.logger.info(`${this.dataDir}: loaded ${this.logs.size} partition log(s)`);
  }

  private configFor(topic: string): LogConfig {
    return this.options.configFor?.(topic) ?? this.options.defaultConfig ?? DEFAULT_LOG_CONFIG;
  }

  private openLog(tp: TopicPartition, config: LogConfig): PartitionLog {
    return PartitionLog.open({
      fs: this.fs,
      dir: join(this.dataDir, partitionDirName(tp.topic, tp.partition)),
      config,
      clock: this.clock,
      logger: this.logger,
      timestampLocator: this.options.timestampLocator,
      onTruncation: (offset) => this.cleaner.onTruncation(tp, offset),
    });
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(partitionDirName(topic, partition))?.log;
  }

  /** The log of a partition, created empty (with `config` or the topic's) if it does not exist. */
  getOrCreateLog(topic: string, partition: number, config?: LogConfig): PartitionLog {
    this.checkOpen();
    const name = partitionDirName(topic, partition);
    const existing = this.logs.get(name);
    if (existing) return existing.log;
    if (topic.length === 0 || topic.includes('/') || topic === '.' || topic === '..') {
      throw new KafkaError(
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        `'${topic}' cannot name a log directory`,
      );
    }
    const tp = { topic, partition };
    const log = this.openLog(tp, config ?? this.configFor(topic));
    this.logs.set(name, { tp, log });
    return log;
  }

  /** Closes a partition's log and removes its directory. */
  deleteLog(topic: string, partition: number): boolean {
    const name = partitionDirName(topic, partition);
    const entry = this.logs.get(name);
    if (!entry) return false;
    this.cleaner.onLogDeleted(entry.tp);
    this.logs.delete(name);
    entry.log.delete();
    return true;
  }

  /** Applies new settings to the logs of a topic (AlterConfigs). */
  updateTopicConfig(topic: string, config: LogConfig): void {
    for (const { tp, log } of this.logs.values()) if (tp.topic === topic) log.updateConfig(config);
  }

  *allLogs(): IterableIterator<[TopicPartition, PartitionLog]> {
    for (const { tp, log } of this.logs.values()) yield [tp, log];
  }

  get size(): number {
    return this.logs.size;
  }

  // --- periodic work ---------------------------------------------------------------------------

  /** Starts the retention, flush and producer-expiry timers and the log cleaner (all unref'ed). */
  startSchedulers(): void {
    this.checkOpen();
    const every = (ms: number, task: () => void) => {
      const timer = setInterval(task, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.retentionCheckIntervalMs ?? 300_000, () => this.runRetention());
    every(this.options.flushCheckIntervalMs ?? 1000, () => this.runFlushCheck());
    every(this.options.producerIdExpirationCheckIntervalMs ?? 600_000, () =>
      this.runProducerExpiry(),
    );
    this.cleaner.start();
  }

  /**
   * Retention over every log (whose high watermark `highWatermarkOf` gives; default the log end
   * offset), then deletion of files whose file.delete.delay.ms has passed. Returns segments deleted.
   */
  runRetention(highWatermarkOf?: (tp: TopicPartition) => number | undefined): number {
    const now = this.clock();
    let deleted = 0;
    this.forEachLog('retention', (tp, log) => {
      const hw = (highWatermarkOf ?? this.options.highWatermarkOf)?.(tp) ?? log.logEndOffset;
      deleted += log.deleteOldSegments(hw, now);
      log.deletePendingFiles(now);
    });
    return deleted;
  }

  /**
   * Flushes the logs whose flush.ms has passed since their last flush, and checkpoints recovery
   * points that moved (Kafka does the latter every log.flush.offset.checkpoint.interval.ms).
   */
  runFlushCheck(): void {
    const now = this.clock();
    this.forEachLog('flush', (_, log) => {
      if (
        log.logEndOffset > log.recoveryPoint &&
        log.timeSinceLastFlush(now) >= log.config.flushMs
      ) {
        log.flush();
      }
      log.checkpoint();
    });
  }

  runProducerExpiry(): void {
    const now = this.clock();
    const expiration = this.options.producerIdExpirationMs ?? 86_400_000;
    this.forEachLog('producer expiry', (_, log) => {
      log.producerState.removeExpiredProducers(now, expiration);
    });
  }

  private forEachLog(task: string, work: (tp: TopicPartition, log: PartitionLog) => void): void {
    for (const { tp, log } of this.logs.values()) {
      if (log.isOffline) continue;
      try {
        work(tp, log);
      } catch (err) {
        this.logger.warn(
          `${task} of ${partitionDirName(tp.topic, tp.partition)} failed: ${(err as Error).message}`,
        );
      }
    }
  }

  // --- shutdown --------------------------------------------------------------------------------

  /** Stops the timers and closes every log cleanly (flush, snapshot, clean-shutdown checkpoint). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    this.cleaner.stop();
    let firstError: unknown;
    for (const { tp, log } of this.logs.values()) {
      try {
        log.close();
      } catch (err) {
        firstError ??= err;
        this.logger.warn(
          `closing ${partitionDirName(tp.topic, tp.partition)} failed: ${(err as Error).message}`,
        );
      }
    }
    this.logs.clear();
    if (firstError) throw firstError;
  }

  private checkOpen(): void {
    if (this.closed)
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `log manager of ${this.dataDir} is closed`,
      );
  }
}

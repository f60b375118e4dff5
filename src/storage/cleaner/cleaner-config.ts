// Broker-wide log cleaner settings (Kafka's log.cleaner.*), as the LogManager takes them.
//
// The topic-level compaction settings (min.cleanable.dirty.ratio, min.compaction.lag.ms,
// max.compaction.lag.ms, delete.retention.ms) live in log-config.ts; their broker-wide defaults
// are log.cleaner.min.cleanable.ratio, log.cleaner.min.compaction.lag.ms,
// log.cleaner.max.compaction.lag.ms and log.cleaner.delete.retention.ms, mapped by the broker.
//
// Samsa cleans on the event loop in bounded steps (see log-cleaner.ts), so log.cleaner.threads
// only divides the buffers as Kafka does and 0 turns the cleaner off; one log is cleaned at a time.

export interface CleanerConfig {
  /** log.cleaner.enable (Kafka: true). */
  readonly enable: boolean;
  /** log.cleaner.threads (Kafka: 1); 0 disables cleaning. */
  readonly threads: number;
  /** log.cleaner.dedupe.buffer.size (Kafka: 128 MiB): most memory for the key -> offset map. */
  readonly dedupeBufferSize: number;
  /** log.cleaner.io.buffer.size (Kafka: 512 KiB): read and write buffers together. */
  readonly ioBufferSize: number;
  /** log.cleaner.io.buffer.load.factor (Kafka: 0.9): how full the offset map may get. */
  readonly ioBufferLoadFactor: number;
  /** log.cleaner.io.max.bytes.per.second (Kafka: Double.MAX_VALUE): read + write throttle. */
  readonly ioMaxBytesPerSecond: number;
  /** log.cleaner.backoff.ms (Kafka: 15000): sleep when no log needs cleaning. */
  readonly backoffMs: number;
  /**
   * Samsa's own (no Kafka name, not a broker setting): the longest the cleaner works before
   * yielding to the event loop (plus at most one batch), which bounds the latency it adds to
   * produce and fetch. 1 ms costs no measurable cleaning throughput (bench/cleaner-bench.ts).
   */
  readonly maxTickMs: number;
}

export const DEFAULT_CLEANER_CONFIG: CleanerConfig = Object.freeze({
  enable: true,
  threads: 1,
  dedupeBufferSize: 128 * 1024 * 1024,
  ioBufferSize: 512 * 1024,
  ioBufferLoadFactor: 0.9,
  ioMaxBytesPerSecond: Number.POSITIVE_INFINITY,
  backoffMs: 15_000,
  maxTickMs: 1,
});

/** Kafka's name for each setting, for messages and docs. */
export const CLEANER_CONFIG_NAMES: Readonly<Record<keyof CleanerConfig, string>> = {
  enable: 'log.cleaner.enable',
  threads: 'log.cleaner.threads',
  dedupeBufferSize: 'log.cleaner.dedupe.buffer.size',
  ioBufferSize: 'log.cleaner.io.buffer.size',
  ioBufferLoadFactor: 'log.cleaner.io.buffer.load.factor',
  ioMaxBytesPerSecond: 'log.cleaner.io.max.bytes.per.second',
  backoffMs: 'log.cleaner.backoff.ms',
  maxTickMs: 'the cleaner option maxTickMs',
};

/** Fills in defaults and refuses values the cleaner cannot work with, naming the setting. */
export function cleanerConfig(overrides: Partial<CleanerConfig> = {}): CleanerConfig {
  const c = { ...DEFAULT_CLEANER_CONFIG, ...overrides };
  const bad = (key: keyof CleanerConfig, why: string) => {
    throw new RangeError(`${CLEANER_CONFIG_NAMES[key]} ${c[key]} ${why}`);
  };
  if (!Number.isInteger(c.threads) || c.threads < 0) bad('threads', 'must be an integer >= 0');
  if (!(c.ioBufferLoadFactor > 0 && c.ioBufferLoadFactor <= 1))
    bad('ioBufferLoadFactor', 'must be in (0, 1]');
  if (!(c.ioMaxBytesPerSecond > 0)) bad('ioMaxBytesPerSecond', 'must be > 0');
  if (!(c.backoffMs >= 0)) bad('backoffMs', 'must be >= 0');
  if (!(c.maxTickMs > 0)) bad('maxTickMs', 'must be > 0');
  // Kafka asserts that the map can hold at least one entry; here it must hold one batch's worth.
  if (!(c.dedupeBufferSize / Math.max(1, c.threads) >= 64 * 1024))
    bad('dedupeBufferSize', 'must leave at least 64 KiB per cleaner thread');
  if (!(c.ioBufferSize / Math.max(1, c.threads) / 2 >= 1024))
    bad('ioBufferSize', 'must leave at least 1 KiB per buffer');
  return Object.freeze(c);
}

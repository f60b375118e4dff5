// Topic-level log settings, with Apache Kafka's names, meanings and defaults (Kafka 4.x).
//
// `LogConfig` is the typed form the storage engine reads; `parseLogConfig` turns Kafka-named
// string properties (CreateTopics, AlterConfigs, server.properties) into it and refuses bad
// values with INVALID_CONFIG naming the setting. Kafka's Long.MAX_VALUE ("never") becomes
// Infinity here, since a JS number cannot hold it exactly.
import { ErrorCode, KafkaError } from '../protocol/errors.js';

export type TimestampTypeName = 'CreateTime' | 'LogAppendTime';
export type CleanupPolicy = 'delete' | 'compact';
export type CompressionTypeName = 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface LogConfig {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly segmentJitterMs: number;
  readonly segmentIndexBytes: number;
  readonly indexIntervalBytes: number;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly retentionBytes: number;
  readonly retentionMs: number;
  readonly maxMessageBytes: number;
  readonly messageTimestampType: TimestampTypeName;
  readonly messageTimestampBeforeMaxMs: number;
  readonly messageTimestampAfterMaxMs: number;
  readonly cleanupPolicy: readonly CleanupPolicy[];
  readonly fileDeleteDelayMs: number;
  readonly deleteRetentionMs: number;
  readonly minCompactionLagMs: number;
  readonly maxCompactionLagMs: number;
  readonly minCleanableDirtyRatio: number;
  readonly minInsyncReplicas: number;
  readonly uncleanLeaderElectionEnable: boolean;
  readonly compressionType: CompressionTypeName;
  readonly compressionGzipLevel: number;
  readonly compressionLz4Level: number;
  readonly compressionZstdLevel: number;
  readonly preallocate: boolean;
  readonly leaderReplicationThrottledReplicas: string;
  readonly followerReplicationThrottledReplicas: string;
}

const MiB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Kafka's Long.MAX_VALUE as it appears in configs. */
export const LONG_MAX_STRING = '9223372036854775807';
const INT_MAX = 0x7fffffff;

type Kind = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list';

interface ConfigDef<K extends keyof LogConfig> {
  readonly name: string;
  readonly key: K;
  readonly kind: Kind;
  readonly defaultValue: LogConfig[K];
  /** Returns a reason when the value is not allowed. */
  readonly check?: (v: LogConfig[K]) => string | undefined;
}

const atLeast = (min: number) => (v: number) => (v >= min ? undefined : `must be at least ${min}`);
const between = (min: number, max: number) => (v: number) =>
  v >= min && v <= max ? undefined : `must be between ${min} and ${max}`;
const oneOf =
  <T extends string>(...allowed: T[]) =>
  (v: string) =>
    (allowed as string[]).includes(v) ? undefined : `must be one of ${allowed.join(', ')}`;

function def<K extends keyof LogConfig>(
  name: string,
  key: K,
  kind: Kind,
  defaultValue: LogConfig[K],
  check?: (v: LogConfig[K]) => string | undefined,
): ConfigDef<K> {
  return { name, key, kind, defaultValue, check };
}

/** Every topic-level setting Samsa knows, in Kafka's documentation order. */
export const LOG_CONFIG_DEFS = [
  def('cleanup.policy', 'cleanupPolicy', 'list', ['delete'] as readonly CleanupPolicy[], (v) =>
    v.every((p) => p === 'delete' || p === 'compact')
      ? undefined
      : 'must be a list of delete, compact',
  ),
  def('compression.gzip.level', 'compressionGzipLevel', 'int', -1, (v) =>
    v === -1 || (v >= 1 && v <= 9) ? undefined : 'must be -1 or between 1 and 9',
  ),
  def('compression.lz4.level', 'compressionLz4Level', 'int', 9, between(1, 17)),
  def(
    'compression.type',
    'compressionType',
    'string',
    'producer' as CompressionTypeName,
    oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
  ),
  def('compression.zstd.level', 'compressionZstdLevel', 'int', 3, between(-131072, 22)),
  def('delete.retention.ms', 'deleteRetentionMs', 'long', DAY_MS, atLeast(0)),
  def('file.delete.delay.ms', 'fileDeleteDelayMs', 'long', 60_000, atLeast(0)),
  def('flush.messages', 'flushMessages', 'long', Number.POSITIVE_INFINITY, atLeast(1)),
  def('flush.ms', 'flushMs', 'long', Number.POSITIVE_INFINITY, atLeast(0)),
  def(
    'follower.replication.throttled.replicas',
    'followerReplicationThrottledReplicas',
    'string',
    '',
  ),
  def('index.interval.bytes', 'indexIntervalBytes', 'int', 4096, atLeast(0)),
  def('leader.replication.throttled.replicas', 'leaderReplicationThrottledReplicas', 'string', ''),
  def('max.compaction.lag.ms', 'maxCompactionLagMs', 'long', Number.POSITIVE_INFINITY, atLeast(1)),
  def('max.message.bytes', 'maxMessageBytes', 'int', MiB + 12, atLeast(0)),
  def(
    'message.timestamp.after.max.ms',
    'messageTimestampAfterMaxMs',
    'long',
    3_600_000,
    atLeast(0),
  ),
  def(
    'message.timestamp.before.max.ms',
    'messageTimestampBeforeMaxMs',
    'long',
    Number.POSITIVE_INFINITY,
    atLeast(0),
  ),
  def(
    'message.timestamp.type',
    'messageTimestampType',
    'string',
    'CreateTime' as TimestampTypeName,
    oneOf('CreateTime', 'LogAppendTime'),
  ),
  def('min.cleanable.dirty.ratio', 'minCleanableDirtyRatio', 'double', 0.5, between(0, 1)),
  def('min.compaction.lag.ms', 'minCompactionLagMs', 'long', 0, atLeast(0)),
  def('min.insync.replicas', 'minInsyncReplicas', 'int', 1, atLeast(1)),
  def('preallocate', 'preallocate', 'boolean', false),
  def('retention.bytes', 'retentionBytes', 'long', -1),
  def('retention.ms', 'retentionMs', 'long', 7 * DAY_MS, atLeast(-1)),
  // Kafka 4.x refuses segments under 1 MiB from users; tests build configs with logConfig().
  def('segment.bytes', 'segmentBytes', 'int', 1024 * MiB, atLeast(MiB)),
  def('segment.index.bytes', 'segmentIndexBytes', 'int', 10 * MiB, atLeast(4)),
  def('segment.jitter.ms', 'segmentJitterMs', 'long', 0, atLeast(0)),
  def('segment.ms', 'segmentMs', 'long', 7 * DAY_MS, atLeast(1)),
  def('unclean.leader.election.enable', 'uncleanLeaderElectionEnable', 'boolean', false),
] as const;

type AnyDef = ConfigDef<keyof LogConfig>;
const DEFS = LOG_CONFIG_DEFS as readonly AnyDef[];
const BY_NAME = new Map<string, AnyDef>(DEFS.map((d) => [d.name, d]));

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze(
  Object.fromEntries(DEFS.map((d) => [d.key, d.defaultValue])),
) as unknown as LogConfig;

/** The Kafka names of the topic-level settings. */
export const LOG_CONFIG_NAMES: readonly string[] = DEFS.map((d) => d.name);

function invalid(name: string, value: string, reason: string): KafkaError {
  return new KafkaError(
    ErrorCode.INVALID_CONFIG,
    `invalid value '${value}' for ${name}: ${reason}`,
  );
}

function parseValue(d: AnyDef, raw: string): LogConfig[keyof LogConfig] {
  const s = raw.trim();
  switch (d.kind) {
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(s)) throw invalid(d.name, raw, 'not an integer');
      const n = Number(s);
      if (d.kind === 'int') {
        if (n > INT_MAX || n < -INT_MAX - 1) throw invalid(d.name, raw, 'out of int32 range');
        return n;
      }
      if (BigInt(s) > BigInt(LONG_MAX_STRING) || BigInt(s) < -BigInt(LONG_MAX_STRING) - 1n) {
        throw invalid(d.name, raw, 'out of int64 range');
      }
      // Past 2^53 a value is "effectively forever"; Long.MAX_VALUE is how Kafka spells never.
      return Number.isSafeInteger(n)
        ? n
        : n > 0
          ? Number.POSITIVE_INFINITY
          : Number.NEGATIVE_INFINITY;
    }
    case 'double': {
      const n = Number(s);
      if (s === '' || !Number.isFinite(n)) throw invalid(d.name, raw, 'not a number');
      return n;
    }
    case 'boolean': {
      const l = s.toLowerCase();
      if (l !== 'true' && l !== 'false') throw invalid(d.name, raw, 'must be true or false');
      return l === 'true';
    }
    case 'string':
      return s;
    case 'list':
      return (s === '' ? [] : s.split(',').map((x) => x.trim())) as CleanupPolicy[];
  }
}

/**
 * Applies Kafka-named string settings over `base`. Unknown names and bad values throw
 * INVALID_CONFIG with the setting's name, so an AlterConfigs/CreateTopics caller can answer.
 */
export function parseLogConfig(
  props: Readonly<Record<string, string>>,
  base: LogConfig = DEFAULT_LOG_CONFIG,
): LogConfig {
  const out: Record<string, unknown> = { ...base };
  for (const [name, raw] of Object.entries(props)) {
    const d = BY_NAME.get(name);
    if (!d) throw new KafkaError(ErrorCode.INVALID_CONFIG, `unknown topic config ${name}`);
    const value = parseValue(d, raw);
    const reason = d.check?.(value as never);
    if (reason) throw invalid(name, raw, reason);
    out[d.key] = value;
  }
  return Object.freeze(out) as unknown as LogConfig;
}

/** Builds a config from typed overrides without Kafka's minimums (tests, internal logs). */
export function logConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return Object.freeze({ ...DEFAULT_LOG_CONFIG, ...overrides });
}

function formatValue(v: unknown): string {
  if (v === Number.POSITIVE_INFINITY) return LONG_MAX_STRING;
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** Kafka-named string values of every setting (DescribeConfigs). */
export function logConfigToProps(config: LogConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of DEFS) out[d.name] = formatValue(config[d.key]);
  return out;
}

/** The Kafka names of the settings whose value differs from the default. */
export function nonDefaultLogConfigNames(config: LogConfig): string[] {
  return DEFS.filter((d) => formatValue(config[d.key]) !== formatValue(d.defaultValue)).map(
    (d) => d.name,
  );
}

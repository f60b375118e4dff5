// Topic settings are layered as in Kafka: the storage defaults, then the broker-wide log.*
// settings (log.segment.bytes is the default of segment.bytes, ...), then the topic's own
// overrides kept in cluster metadata.
import { KafkaError } from '../protocol/errors.js';
import { type LogConfig, parseLogConfig } from '../storage/log-config.js';
import { type BrokerConfig, ConfigError } from './config.js';

/** Topic setting -> the broker setting that supplies its default (Kafka's synonyms). */
export const BROKER_SYNONYMS: Readonly<Record<string, string>> = {
  'segment.bytes': 'log.segment.bytes',
  'segment.ms': 'log.roll.ms',
  'retention.ms': 'log.retention.ms',
  'retention.bytes': 'log.retention.bytes',
  'flush.messages': 'log.flush.interval.messages',
  'flush.ms': 'log.flush.interval.ms',
  'index.interval.bytes': 'log.index.interval.bytes',
  'segment.index.bytes': 'log.index.size.max.bytes',
  'cleanup.policy': 'log.cleanup.policy',
  'message.timestamp.type': 'log.message.timestamp.type',
  'max.message.bytes': 'message.max.bytes',
  'min.insync.replicas': 'min.insync.replicas',
  'min.cleanable.dirty.ratio': 'log.cleaner.min.cleanable.ratio',
  'delete.retention.ms': 'log.cleaner.delete.retention.ms',
  'min.compaction.lag.ms': 'log.cleaner.min.compaction.lag.ms',
  'max.compaction.lag.ms': 'log.cleaner.max.compaction.lag.ms',
};

/**
 * Every broker setting that can supply a topic setting's default, the one that wins first (the
 * order Kafka lists synonyms in DescribeConfigs): retention.ms comes from log.retention.ms,
 * else log.retention.minutes, else log.retention.hours.
 */
export const BROKER_SYNONYM_LISTS: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(Object.entries(BROKER_SYNONYMS).map(([t, b]) => [t, [b]])),
  'segment.ms': ['log.roll.ms', 'log.roll.hours'],
  'retention.ms': ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  'flush.ms': ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
};

/** The broker-level defaults of topic settings that were set explicitly (not defaults). */
export function brokerLogDefaults(config: BrokerConfig): Record<string, string> {
  const out: Record<string, string> = {};
  const explicit = (name: string) => (config.get(name)?.source ?? 'default') !== 'default';
  for (const [topicName, brokerName] of Object.entries(BROKER_SYNONYMS)) {
    if (explicit(brokerName)) out[topicName] = config.raw(brokerName)!;
  }
  // Kafka resolves these from several broker settings (ms > minutes > hours).
  if (['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'].some(explicit)) {
    out['retention.ms'] = String(config.logRetentionMs);
  }
  if (['log.roll.ms', 'log.roll.hours'].some(explicit))
    out['segment.ms'] = String(config.logRollMs);
  if (['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'].some(explicit)) {
    const ms = config.logFlushIntervalMs;
    if (Number.isFinite(ms)) out['flush.ms'] = String(ms);
  }
  return out;
}

/**
 * The broker's default LogConfig: storage defaults overlaid with log.* settings. A value the
 * topic rules refuse (log.segment.bytes under 1 MiB) is a ConfigError naming the broker
 * setting it came from, so start-up fails with one line about what the operator wrote.
 */
export function brokerDefaultLogConfig(config: BrokerConfig): LogConfig {
  const defaults = brokerLogDefaults(config);
  try {
    return parseLogConfig(defaults);
  } catch (err) {
    if (!(err instanceof KafkaError)) throw err;
    for (const [topicName, value] of Object.entries(defaults)) {
      try {
        parseLogConfig({ [topicName]: value });
      } catch (e) {
        const brokerName =
          (BROKER_SYNONYM_LISTS[topicName] ?? []).find(
            (n) => (config.get(n)?.source ?? 'default') !== 'default',
          ) ?? topicName;
        const reason = (e as Error).message.split(`for ${topicName}: `)[1] ?? (e as Error).message;
        throw new ConfigError(
          `Invalid value '${config.raw(brokerName) ?? value}' for setting ${brokerName}: ${reason}`,
        );
      }
    }
    throw err;
  }
}

/** A topic's effective LogConfig; throws INVALID_CONFIG naming a bad override. */
export function topicLogConfig(
  base: LogConfig,
  overrides: Readonly<Record<string, string>>,
): LogConfig {
  return parseLogConfig(overrides, base);
}

/**
 * Checks a topic's overrides before they are stored (CreateTopics, AlterConfigs): an unknown
 * name or a bad value throws INVALID_CONFIG naming the setting, so a stored topic always has a
 * config its logs can open with.
 */
export function validateTopicConfigs(overrides: Readonly<Record<string, string>>): void {
  parseLogConfig(overrides);
}

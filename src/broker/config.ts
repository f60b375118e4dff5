// Broker settings, by Apache Kafka's names and meanings, so people bring what they know.
// Sources, later ones winning: defaults < server.properties file < SAMSA_* environment
// variables < --override key=value flags. A bad value stops start-up with one sentence
// naming the setting (ConfigError), never a stack trace.
import { readFileSync } from 'node:fs';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Kind = 'int' | 'long' | 'boolean' | 'string' | 'list' | 'double';

export interface ConfigDef {
  name: string;
  kind: Kind;
  default: string | null;
  /** One line for docs/configuration.md and describe output. */
  doc: string;
  /** Range check for numbers. */
  min?: number;
  /** Allowed values for strings. */
  oneOf?: readonly string[];
}

const LONG_MAX = '9223372036854775807';

// Broker-level settings Samsa honours. Topic-level settings (segment.bytes, retention.ms, ...)
// are defined in storage/log-config.ts; their broker-wide defaults are the log.* names here.
export const BROKER_CONFIG_DEFS: readonly ConfigDef[] = [
  {
    name: 'node.id',
    kind: 'int',
    default: '1',
    min: 0,
    doc: 'Id of this broker in the cluster (alias: broker.id).',
  },
  {
    name: 'listeners',
    kind: 'list',
    default: 'PLAINTEXT://127.0.0.1:9092',
    doc: 'Addresses to listen on, as NAME://host:port; port 0 picks a free port.',
  },
  {
    name: 'advertised.listeners',
    kind: 'list',
    default: null,
    doc: 'Addresses given to clients in Metadata; defaults to the bound listeners.',
  },
  {
    name: 'log.dirs',
    kind: 'list',
    default: './data',
    doc: 'Directory holding partition logs (alias: log.dir). Only the first is used.',
  },
  {
    name: 'num.partitions',
    kind: 'int',
    default: '1',
    min: 1,
    doc: 'Partitions of an auto-created topic or one created without a count.',
  },
  {
    name: 'default.replication.factor',
    kind: 'int',
    default: '1',
    min: 1,
    doc: 'Replication factor of topics created without one.',
  },
  {
    name: 'auto.create.topics.enable',
    kind: 'boolean',
    default: 'true',
    doc: 'Create a topic when a client asks Metadata for an unknown one.',
  },
  { name: 'delete.topic.enable', kind: 'boolean', default: 'true', doc: 'Allow DeleteTopics.' },
  {
    name: 'socket.request.max.bytes',
    kind: 'int',
    default: '104857600',
    min: 1,
    doc: 'Largest request frame accepted; bigger frames close the connection.',
  },
  {
    name: 'message.max.bytes',
    kind: 'int',
    default: '1048588',
    min: 0,
    doc: 'Largest record batch accepted (topic setting: max.message.bytes).',
  },
  {
    name: 'log.segment.bytes',
    kind: 'int',
    default: '1073741824',
    min: 14,
    doc: 'Default segment.bytes of topics.',
  },
  {
    name: 'log.roll.ms',
    kind: 'long',
    default: null,
    min: 1,
    doc: 'Default segment.ms of topics (wins over log.roll.hours).',
  },
  {
    name: 'log.roll.hours',
    kind: 'int',
    default: '168',
    min: 1,
    doc: 'Default segment.ms of topics, in hours.',
  },
  {
    name: 'log.retention.ms',
    kind: 'long',
    default: null,
    min: -1,
    doc: 'Default retention.ms of topics (wins over minutes and hours); -1 keeps forever.',
  },
  {
    name: 'log.retention.minutes',
    kind: 'int',
    default: null,
    min: -1,
    doc: 'Default retention.ms of topics, in minutes.',
  },
  {
    name: 'log.retention.hours',
    kind: 'int',
    default: '168',
    min: -1,
    doc: 'Default retention.ms of topics, in hours.',
  },
  {
    name: 'log.retention.bytes',
    kind: 'long',
    default: '-1',
    min: -1,
    doc: 'Default retention.bytes of topics (per partition); -1 means no limit.',
  },
  {
    name: 'log.retention.check.interval.ms',
    kind: 'long',
    default: '300000',
    min: 1,
    doc: 'How often retention is enforced.',
  },
  {
    name: 'log.flush.interval.messages',
    kind: 'long',
    default: LONG_MAX,
    min: 1,
    doc: 'Default flush.messages: fsync after this many records (default: never, like Kafka).',
  },
  {
    name: 'log.flush.interval.ms',
    kind: 'long',
    default: null,
    min: 0,
    doc: 'Default flush.ms: fsync a log this long after its oldest unflushed write.',
  },
  {
    name: 'log.flush.scheduler.interval.ms',
    kind: 'long',
    default: LONG_MAX,
    min: 0,
    doc: 'How often logs are checked against flush.ms.',
  },
  {
    name: 'log.index.interval.bytes',
    kind: 'int',
    default: '4096',
    min: 0,
    doc: 'Default index.interval.bytes of topics.',
  },
  {
    name: 'log.index.size.max.bytes',
    kind: 'int',
    default: '10485760',
    min: 4,
    doc: 'Default segment.index.bytes of topics.',
  },
  {
    name: 'log.cleanup.policy',
    kind: 'list',
    default: 'delete',
    doc: 'Default cleanup.policy of topics.',
  },
  {
    name: 'log.message.timestamp.type',
    kind: 'string',
    default: 'CreateTime',
    oneOf: ['CreateTime', 'LogAppendTime'],
    doc: 'Default message.timestamp.type of topics.',
  },
  {
    name: 'min.insync.replicas',
    kind: 'int',
    default: '1',
    min: 1,
    doc: 'Default min.insync.replicas of topics.',
  },
  {
    name: 'offsets.topic.num.partitions',
    kind: 'int',
    default: '50',
    min: 1,
    doc: 'Partitions of __consumer_offsets.',
  },
  {
    name: 'offsets.topic.replication.factor',
    kind: 'int',
    default: '3',
    min: 1,
    doc: 'Replication factor of __consumer_offsets, capped by the number of live brokers when it is created.',
  },
  {
    name: 'group.initial.rebalance.delay.ms',
    kind: 'int',
    default: '3000',
    min: 0,
    doc: 'Wait for more members before the first rebalance of an empty group.',
  },
  {
    name: 'transactional.id.expiration.ms',
    kind: 'int',
    default: '604800000',
    min: 1,
    doc: 'Forget a transactional id idle this long.',
  },
  {
    name: 'producer.id.expiration.ms',
    kind: 'int',
    default: '86400000',
    min: 1,
    doc: 'Forget an idempotent producer idle this long.',
  },
  {
    name: 'connections.max.idle.ms',
    kind: 'long',
    default: '600000',
    min: 0,
    doc: 'Close connections idle this long.',
  },
  {
    name: 'metadata.store',
    kind: 'string',
    default: 'local',
    doc: "Where cluster metadata lives: 'local' (a file in log.dirs) or etcd://host:port[,host:port...].",
  },
  {
    name: 'metadata.store.prefix',
    kind: 'string',
    default: '/samsa',
    doc: 'Key prefix of this cluster in etcd; brokers with the same prefix are one cluster.',
  },
  {
    name: 'metadata.store.request.timeout.ms',
    kind: 'int',
    default: '5000',
    min: 1,
    doc: 'How long one metadata store operation may take before failing with REQUEST_TIMED_OUT.',
  },
  {
    name: 'metadata.store.connection.timeout.ms',
    kind: 'int',
    default: '18000',
    min: 1,
    doc: 'How long start-up waits for the metadata store (etcd) to answer.',
  },
  {
    name: 'broker.session.timeout.ms',
    kind: 'int',
    default: '9000',
    min: 1000,
    doc: 'Session lease TTL: a broker that cannot renew its registration this long leaves the cluster.',
  },
  {
    name: 'broker.rack',
    kind: 'string',
    default: null,
    doc: 'Rack of this broker: reported to clients; replicas of new partitions are spread over racks.',
  },
  {
    name: 'replica.lag.time.max.ms',
    kind: 'long',
    default: '30000',
    min: 1,
    doc: 'A follower that has not caught up with the leader for this long leaves the ISR.',
  },
  {
    name: 'replica.fetch.wait.max.ms',
    kind: 'int',
    default: '500',
    min: 0,
    doc: 'How long a follower fetch waits at the leader for new records.',
  },
  {
    name: 'replica.fetch.max.bytes',
    kind: 'int',
    default: '1048576',
    min: 0,
    doc: 'Bytes a follower asks for per partition (at least one batch is always returned).',
  },
  {
    name: 'unclean.leader.election.enable',
    kind: 'boolean',
    default: 'false',
    doc: 'Default unclean.leader.election.enable of topics: elect a replica outside the ISR when none is left (may lose acknowledged records).',
  },
  {
    name: 'log.cleaner.enable',
    kind: 'boolean',
    default: 'true',
    doc: 'Run the log cleaner, which compacts topics whose cleanup.policy includes compact.',
  },
  {
    name: 'log.cleaner.threads',
    kind: 'int',
    default: '1',
    min: 0,
    doc: 'Cleaner threads; Samsa cleans one log at a time on the event loop, so this only divides the buffers; 0 disables cleaning.',
  },
  {
    name: 'log.cleaner.dedupe.buffer.size',
    kind: 'long',
    default: '134217728',
    min: 65536,
    doc: "Memory for the cleaner's key-to-offset map, over all threads.",
  },
  {
    name: 'log.cleaner.io.buffer.size',
    kind: 'int',
    default: '524288',
    min: 2048,
    doc: "Memory for the cleaner's read and write buffers, over all threads.",
  },
  {
    name: 'log.cleaner.io.buffer.load.factor',
    kind: 'double',
    default: '0.9',
    doc: "How full the cleaner's offset map may get (0 to 1).",
  },
  {
    name: 'log.cleaner.io.max.bytes.per.second',
    kind: 'double',
    default: '1.7976931348623157E308',
    doc: "Throttle of the cleaner's reads plus writes.",
  },
  {
    name: 'log.cleaner.backoff.ms',
    kind: 'long',
    default: '15000',
    min: 0,
    doc: 'How long the cleaner sleeps when no log needs cleaning.',
  },
  {
    name: 'log.cleaner.min.cleanable.ratio',
    kind: 'double',
    default: '0.5',
    doc: 'Default min.cleanable.dirty.ratio of topics.',
  },
  {
    name: 'log.cleaner.delete.retention.ms',
    kind: 'long',
    default: '86400000',
    min: 0,
    doc: 'Default delete.retention.ms of topics: how long tombstones stay after cleaning.',
  },
  {
    name: 'log.cleaner.min.compaction.lag.ms',
    kind: 'long',
    default: '0',
    min: 0,
    doc: 'Default min.compaction.lag.ms of topics.',
  },
  {
    name: 'log.cleaner.max.compaction.lag.ms',
    kind: 'long',
    default: '9223372036854775807',
    min: 1,
    doc: 'Default max.compaction.lag.ms of topics.',
  },
  {
    name: 'offsets.retention.minutes',
    kind: 'int',
    default: '10080',
    min: 1,
    doc: 'Committed offsets of an empty group are kept this long.',
  },
  {
    name: 'offsets.retention.check.interval.ms',
    kind: 'long',
    default: '600000',
    min: 1,
    doc: 'How often expired offsets are removed.',
  },
  {
    name: 'offsets.topic.segment.bytes',
    kind: 'int',
    default: '104857600',
    min: 1,
    doc: 'segment.bytes of __consumer_offsets.',
  },
  {
    name: 'offset.metadata.max.bytes',
    kind: 'int',
    default: '4096',
    min: 0,
    doc: 'Longest metadata string an offset commit may carry.',
  },
  {
    name: 'group.min.session.timeout.ms',
    kind: 'int',
    default: '6000',
    min: 0,
    doc: 'Shortest session timeout a classic group member may ask for.',
  },
  {
    name: 'group.max.session.timeout.ms',
    kind: 'int',
    default: '1800000',
    min: 0,
    doc: 'Longest session timeout a classic group member may ask for.',
  },
  {
    name: 'group.max.size',
    kind: 'int',
    default: '2147483647',
    min: 1,
    doc: 'Most members of a classic group.',
  },
  {
    name: 'group.consumer.session.timeout.ms',
    kind: 'int',
    default: '45000',
    min: 1,
    doc: 'Session timeout of KIP-848 consumer group members.',
  },
  {
    name: 'group.consumer.heartbeat.interval.ms',
    kind: 'int',
    default: '5000',
    min: 1,
    doc: 'Heartbeat interval given to KIP-848 consumer group members.',
  },
  {
    name: 'group.consumer.max.size',
    kind: 'int',
    default: '2147483647',
    min: 1,
    doc: 'Most members of a KIP-848 consumer group.',
  },
  {
    name: 'group.consumer.assignors',
    kind: 'list',
    default: 'uniform,range',
    doc: 'Server-side assignors of KIP-848 groups; the first is the default.',
  },
  {
    name: 'group.coordinator.rebalance.protocols',
    kind: 'list',
    default: 'classic,consumer',
    doc: 'Group protocols served: classic and/or consumer (KIP-848).',
  },
  {
    name: 'max.incremental.fetch.session.cache.slots',
    kind: 'int',
    default: '1000',
    min: 0,
    doc: 'Most incremental fetch sessions (KIP-227) kept at once.',
  },
  {
    name: 'cluster.id',
    kind: 'string',
    default: null,
    doc: 'Cluster id reported to clients; generated and kept in the data dir when unset.',
  },
];

const ALIASES: Record<string, string> = { 'broker.id': 'node.id', 'log.dir': 'log.dirs' };

const DEFS = new Map(BROKER_CONFIG_DEFS.map((d) => [d.name, d]));

export type ConfigSource = 'default' | 'file' | 'env' | 'override';

export interface ConfigValue {
  value: string | null;
  source: ConfigSource;
}

/** Parses `server.properties` text: key=value or key:value lines, # and ! comments. */
export function parseProperties(text: string, origin = 'properties'): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.replace(/\\\r?\n\s*/g, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) return;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!m) throw new ConfigError(`${origin} line ${i + 1}: expected key=value, got '${line}'`);
    out.set(m[1]!, m[2]!);
  });
  return out;
}

/**
 * SAMSA_LOG_RETENTION_MS=1000 sets log.retention.ms, as Kafka's container images do with
 * KAFKA_*: '_' is '.', '__' is '_', '___' is '-'.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('SAMSA_') || value === undefined) continue;
    if (key === 'SAMSA_BOOTSTRAP' || key.startsWith('SAMSA_TEST')) continue;
    const name = key
      .slice('SAMSA_'.length)
      .toLowerCase()
      .replace(/___/g, '\0d')
      .replace(/__/g, '\0u')
      .replace(/_/g, '.')
      .replace(/\0d/g, '-')
      .replace(/\0u/g, '_');
    out.set(name, value);
  }
  return out;
}

function check(def: ConfigDef, value: string): void {
  const fail = (why: string) => {
    throw new ConfigError(`Invalid value '${value}' for setting ${def.name}: ${why}`);
  };
  switch (def.kind) {
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(value.trim())) fail('expected a whole number');
      const n = Number(value);
      if (def.kind === 'int' && (n > 2147483647 || n < -2147483648)) fail('out of int range');
      if (def.min !== undefined && n < def.min) fail(`must be at least ${def.min}`);
      break;
    }
    case 'double':
      if (Number.isNaN(Number(value))) fail('expected a number');
      break;
    case 'boolean':
      if (!/^(true|false)$/i.test(value.trim())) fail('expected true or false');
      break;
    case 'string':
      if (def.oneOf && !def.oneOf.includes(value)) fail(`expected one of ${def.oneOf.join(', ')}`);
      break;
    case 'list':
      break;
  }
}

export class BrokerConfig {
  private readonly values = new Map<string, ConfigValue>();
  /** Settings Samsa does not know, kept so topic-level and future settings pass through. */
  readonly unknown = new Map<string, string>();

  constructor(layers: { source: ConfigSource; settings: Map<string, string> }[] = []) {
    for (const def of BROKER_CONFIG_DEFS) {
      this.values.set(def.name, { value: def.default, source: 'default' });
    }
    for (const { source, settings } of layers) {
      for (const [rawName, value] of settings) {
        const name = ALIASES[rawName] ?? rawName;
        const def = DEFS.get(name);
        if (!def) {
          this.unknown.set(name, value);
          continue;
        }
        check(def, value);
        this.values.set(name, { value: value.trim(), source });
      }
    }
    this.validate();
  }

  private validate(): void {
    for (const l of this.list('listeners')) parseListener(l, 'listeners');
    for (const l of this.list('advertised.listeners')) parseListener(l, 'advertised.listeners');
    if (this.list('listeners').length === 0) {
      throw new ConfigError('Setting listeners is empty: give at least one PLAINTEXT://host:port');
    }
  }

  get(name: string): ConfigValue | undefined {
    return this.values.get(name);
  }
  raw(name: string): string | null {
    return this.values.get(name)?.value ?? null;
  }
  int(name: string): number {
    return Number(this.raw(name));
  }
  /** Long settings as numbers: Long.MAX_VALUE becomes Infinity ("never"). */
  long(name: string): number {
    const v = this.raw(name);
    if (v === null) return Number.NaN;
    return v === LONG_MAX ? Number.POSITIVE_INFINITY : Number(v);
  }
  bool(name: string): boolean {
    return (this.raw(name) ?? '').toLowerCase() === 'true';
  }
  list(name: string): string[] {
    const v = this.raw(name);
    return v === null || v.trim() === '' ? [] : v.split(',').map((s) => s.trim());
  }
  entries(): [string, ConfigValue][] {
    return [...this.values.entries()];
  }

  get nodeId(): number {
    return this.int('node.id');
  }
  get dataDir(): string {
    return this.list('log.dirs')[0]!;
  }
  /** Broker-wide default of retention.ms, resolving Kafka's ms > minutes > hours order. */
  get logRetentionMs(): number {
    const ms = this.raw('log.retention.ms');
    if (ms !== null) return Number(ms);
    const minutes = this.raw('log.retention.minutes');
    if (minutes !== null) return Number(minutes) < 0 ? -1 : Number(minutes) * 60_000;
    const hours = this.int('log.retention.hours');
    return hours < 0 ? -1 : hours * 3_600_000;
  }
  get logRollMs(): number {
    const ms = this.raw('log.roll.ms');
    return ms !== null ? Number(ms) : this.int('log.roll.hours') * 3_600_000;
  }
  get logFlushIntervalMs(): number {
    const ms = this.raw('log.flush.interval.ms');
    return ms !== null ? Number(ms) : this.long('log.flush.scheduler.interval.ms');
  }
}

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export function parseListener(spec: string, setting = 'listeners'): Listener {
  const m = /^([A-Za-z_][A-Za-z0-9_]*):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(spec);
  if (!m) {
    throw new ConfigError(
      `Invalid value '${spec}' for setting ${setting}: expected NAME://host:port`,
    );
  }
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`Invalid port ${port} in setting ${setting}`);
  const host = m[2]!.replace(/^\[|\]$/g, '');
  return { name: m[1]!.toUpperCase(), host: host === '' ? '0.0.0.0' : host, port };
}

/** Reads the layers in Kafka's order of precedence; file errors name the file. */
export function loadBrokerConfig(options: {
  file?: string;
  overrides?: Record<string, string> | Map<string, string>;
  env?: NodeJS.ProcessEnv;
  readFile?: (path: string) => string;
}): BrokerConfig {
  const layers: { source: ConfigSource; settings: Map<string, string> }[] = [];
  if (options.file) {
    let text: string;
    try {
      text = (options.readFile ?? ((p) => readFileSync(p, 'utf8')))(options.file);
    } catch (err) {
      throw new ConfigError(`Cannot read config file ${options.file}: ${(err as Error).message}`);
    }
    layers.push({ source: 'file', settings: parseProperties(text, options.file) });
  }
  if (options.env) layers.push({ source: 'env', settings: settingsFromEnv(options.env) });
  if (options.overrides) {
    const o = options.overrides;
    layers.push({
      source: 'override',
      settings: o instanceof Map ? o : new Map(Object.entries(o)),
    });
  }
  return new BrokerConfig(layers);
}

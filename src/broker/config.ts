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

import { BROKER_CONFIG_DEFS, type ConfigDef, LONG_MAX } from './config-defs.js';

export { BROKER_CONFIG_DEFS, type ConfigDef } from './config-defs.js';

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

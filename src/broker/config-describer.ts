// What DescribeConfigs (and CreateTopics v5+) say about a setting: its effective value, where
// that value comes from, the synonyms that could supply it, its type and a line of
// documentation. Kafka's model: a topic setting is the topic's override if there is one, else a
// broker log.* setting given in the broker's configuration, else the built-in default.
//
// Samsa has no dynamic broker settings (everything given at start-up is "static"), so sources
// are DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG or DEFAULT_CONFIG, and every broker setting is
// read-only.
import { LOG_CONFIG_DEFS, logConfigToProps } from '../storage/log-config.js';
import { BROKER_CONFIG_DEFS, type BrokerConfig, type ConfigDef } from './config.js';
import { BROKER_SYNONYM_LISTS, brokerDefaultLogConfig, topicLogConfig } from './topic-config.js';
import { TOPIC_CONFIG_DOCS } from './topic-config-docs.js';

/** DescribeConfigs ConfigSource ids. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

/** DescribeConfigs ConfigType ids (v3+). */
export const ConfigType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  source: number;
  readOnly: boolean;
  isSensitive: boolean;
  /** Most specific first; the entry's own source is the first one's. */
  synonyms: ConfigSynonym[];
  type: number;
  documentation: string;
}

const KIND_TO_TYPE: Record<string, number> = {
  boolean: ConfigType.BOOLEAN,
  string: ConfigType.STRING,
  int: ConfigType.INT,
  long: ConfigType.LONG,
  double: ConfigType.DOUBLE,
  list: ConfigType.LIST,
};

// Where Samsa's parsing kind differs from the type Kafka declares for the same name.
const TYPE_OVERRIDES: Record<string, number> = {
  'leader.replication.throttled.replicas': ConfigType.LIST,
  'follower.replication.throttled.replicas': ConfigType.LIST,
  listeners: ConfigType.STRING,
  'advertised.listeners': ConfigType.STRING,
  'log.dirs': ConfigType.STRING,
};

const typeOf = (name: string, kind: string) =>
  TYPE_OVERRIDES[name] ?? KIND_TO_TYPE[kind] ?? ConfigType.UNKNOWN;

const BROKER_DEFS = new Map<string, ConfigDef>(BROKER_CONFIG_DEFS.map((d) => [d.name, d]));

/**
 * The broker settings among `names` that supply a value: the ones given at start-up first, then
 * the built-in defaults, each in the order of `names` (Kafka's order).
 */
function brokerSynonyms(config: BrokerConfig, names: readonly string[]): ConfigSynonym[] {
  const out: ConfigSynonym[] = [];
  for (const name of names) {
    const v = config.get(name);
    if (v && v.source !== 'default') {
      out.push({ name, value: v.value, source: ConfigSource.STATIC_BROKER_CONFIG });
    }
  }
  for (const name of names) {
    const def = BROKER_DEFS.get(name);
    if (def && def.default !== null) {
      out.push({ name, value: def.default, source: ConfigSource.DEFAULT_CONFIG });
    }
  }
  return out;
}

/** Every topic setting of a topic with these overrides, in name order. */
export function describeTopicConfigs(
  config: BrokerConfig,
  overrides: Readonly<Record<string, string>>,
): DescribedConfig[] {
  const values = logConfigToProps(topicLogConfig(brokerDefaultLogConfig(config), overrides));
  return LOG_CONFIG_DEFS.map((d) => {
    const value = values[d.name] ?? null;
    const synonyms = brokerSynonyms(config, BROKER_SYNONYM_LISTS[d.name] ?? []);
    if (Object.hasOwn(overrides, d.name)) {
      synonyms.unshift({ name: d.name, value, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    }
    return {
      name: d.name,
      value,
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      readOnly: false,
      isSensitive: false,
      synonyms,
      type: typeOf(d.name, d.kind),
      documentation: TOPIC_CONFIG_DOCS[d.name] ?? '',
    };
  }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The settings of this broker (`scope` 'broker'), or the dynamic cluster-wide defaults
 * ('cluster', the resource named ''), of which Samsa has none.
 */
export function describeBrokerConfigs(
  config: BrokerConfig,
  scope: 'broker' | 'cluster',
): DescribedConfig[] {
  if (scope === 'cluster') return [];
  return BROKER_CONFIG_DEFS.map((d) => {
    // Secrets are described but never shown, as Kafka answers PASSWORD settings.
    const synonyms = brokerSynonyms(config, [d.name]).map((x) =>
      d.sensitive ? { ...x, value: null } : x,
    );
    return {
      name: d.name,
      value: d.sensitive ? null : config.raw(d.name),
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      readOnly: true,
      isSensitive: d.sensitive === true,
      synonyms,
      type: d.sensitive ? ConfigType.PASSWORD : typeOf(d.name, d.kind),
      documentation: d.doc,
    };
  });
}

// The admin client's config calls: DescribeConfigs and IncrementalAlterConfigs, for topics and
// brokers. A broker's own configs are answered by that broker only, so such requests go to it.
import { ErrorCode } from '../protocol/errors.js';
import { DescribeConfigsApi } from '../protocol/messages/describe-configs.js';
import { IncrementalAlterConfigsApi } from '../protocol/messages/incremental-alter-configs.js';
import type { Cluster } from './cluster.js';
import type { Connection } from './connection.js';
import { brokerError } from './errors.js';

export type ConfigResourceType = 'topic' | 'broker' | 'broker_logger';
const RESOURCE_TYPE: Record<ConfigResourceType, number> = { topic: 2, broker: 4, broker_logger: 8 };
const RESOURCE_NAME = new Map(
  Object.entries(RESOURCE_TYPE).map(([k, v]) => [v, k as ConfigResourceType]),
);
/** Kafka's ConfigSource names, by their wire id. */
const CONFIG_SOURCES = [
  'UNKNOWN',
  'DYNAMIC_TOPIC_CONFIG',
  'DYNAMIC_BROKER_CONFIG',
  'DYNAMIC_DEFAULT_BROKER_CONFIG',
  'STATIC_BROKER_CONFIG',
  'DEFAULT_CONFIG',
  'DYNAMIC_BROKER_LOGGER_CONFIG',
  'CLIENT_METRICS_CONFIG',
  'GROUP_CONFIG',
];
const CONFIG_OPS = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isSensitive: boolean;
  /** Where the value comes from, in Kafka's words (DEFAULT_CONFIG, DYNAMIC_TOPIC_CONFIG, ...). */
  source: string;
  isDefault: boolean;
}

export interface ConfigResourceDescription {
  type: ConfigResourceType;
  name: string;
  configs: ConfigEntry[];
}

/** A topic (by name) or broker (by node id, as a string) and optionally which configs. */
export interface ConfigResourceQuery {
  type: ConfigResourceType;
  name: string;
  configNames?: string[];
}

export interface ConfigResourceChange {
  type: ConfigResourceType;
  name: string;
  /** `op` defaults to 'set'; 'delete' returns a config to its default. */
  configs: { name: string; value?: string | null; op?: keyof typeof CONFIG_OPS }[];
}

function connectionFor(
  cluster: Cluster,
  type: ConfigResourceType,
  name: string,
): Promise<Connection> {
  if (type !== 'topic' && name !== '') {
    const id = Number(name);
    if (Number.isInteger(id) && cluster.brokers.has(id)) return cluster.connection(id);
  }
  return cluster.anyConnection();
}

/** DescribeConfigs for each resource, at the broker that owns it. */
export function describeConfigs(
  cluster: Cluster,
  resources: readonly ConfigResourceQuery[],
): Promise<ConfigResourceDescription[]> {
  return Promise.all(
    resources.map(async (res) => {
      const c = await connectionFor(cluster, res.type, res.name);
      const r = await c.send(DescribeConfigsApi, {
        resources: [
          {
            resourceType: RESOURCE_TYPE[res.type],
            resourceName: res.name,
            configurationKeys: res.configNames ?? null,
          },
        ],
        includeSynonyms: false,
        includeDocumentation: false,
      });
      const result = r.results[0]!;
      if (result.errorCode !== ErrorCode.NONE) {
        throw brokerError(
          result.errorCode,
          `describing configs of ${res.type} '${res.name}'`,
          result.errorMessage,
        );
      }
      return {
        type: RESOURCE_NAME.get(result.resourceType) ?? res.type,
        name: result.resourceName,
        configs: result.configs.map((e) => {
          // v0 has only isDefault; v1+ names the source.
          const source =
            e.configSource !== undefined
              ? (CONFIG_SOURCES[e.configSource] ?? 'UNKNOWN')
              : e.isDefault
                ? 'DEFAULT_CONFIG'
                : 'UNKNOWN';
          return {
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isSensitive: e.isSensitive,
            source,
            isDefault: source === 'DEFAULT_CONFIG',
          };
        }),
      };
    }),
  );
}

/** IncrementalAlterConfigs for each resource; throws the first resource's error. */
export async function alterConfigs(
  cluster: Cluster,
  resources: readonly ConfigResourceChange[],
  validateOnly: boolean,
): Promise<void> {
  await Promise.all(
    resources.map(async (res) => {
      const c = await connectionFor(cluster, res.type, res.name);
      const r = await c.send(IncrementalAlterConfigsApi, {
        resources: [
          {
            resourceType: RESOURCE_TYPE[res.type],
            resourceName: res.name,
            configs: res.configs.map((e) => ({
              name: e.name,
              configOperation: CONFIG_OPS[e.op ?? 'set'],
              value: e.value ?? null,
            })),
          },
        ],
        validateOnly,
      });
      for (const x of r.responses) {
        if (x.errorCode !== ErrorCode.NONE) {
          throw brokerError(
            x.errorCode,
            `altering configs of ${res.type} '${res.name}'`,
            x.errorMessage,
          );
        }
      }
    }),
  );
}

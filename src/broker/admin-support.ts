// Pieces the metadata and admin handlers share: the (code, message) pair a response carries for
// a thrown KafkaError, what a broker without an authorizer answers for "authorized operations",
// Kafka's rules for duplicates, timeouts and BROKER config resource names.
import { ErrorCode, errorInfo, KafkaError } from '../protocol/errors.js';
import type { Broker } from './broker.js';
import type { Logger } from './logger.js';

export interface ApiError {
  code: number;
  message: string | null;
}

/** The per-resource error of a refused operation; anything but a KafkaError is a bug: rethrown. */
export function apiError(err: unknown): ApiError {
  if (!(err instanceof KafkaError)) throw err;
  const prefix = `${err.errorName}: `;
  const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  return { code: err.code, message: message === err.errorName ? null : message };
}

/** "Not requested" in the authorized-operations fields (the schema's default, Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

// AclOperation codes; a bit set of them answers "what may this client do". Without an
// authorizer Kafka allows every operation that applies to the resource type, and so does Samsa.
const READ = 3;
const WRITE = 4;
const CREATE = 5;
const DELETE = 6;
const ALTER = 7;
const DESCRIBE = 8;
const CLUSTER_ACTION = 9;
const DESCRIBE_CONFIGS = 10;
const ALTER_CONFIGS = 11;
const IDEMPOTENT_WRITE = 12;
const mask = (ops: number[]) => ops.reduce((m, op) => m | (1 << op), 0);

/** 3576, as Kafka answers for a topic. */
export const TOPIC_AUTHORIZED_OPERATIONS = mask([
  READ,
  WRITE,
  CREATE,
  DELETE,
  ALTER,
  DESCRIBE,
  DESCRIBE_CONFIGS,
  ALTER_CONFIGS,
]);
/** 8096, as Kafka answers for the cluster. */
export const CLUSTER_AUTHORIZED_OPERATIONS = mask([
  CREATE,
  ALTER,
  DESCRIBE,
  CLUSTER_ACTION,
  DESCRIBE_CONFIGS,
  ALTER_CONFIGS,
  IDEMPOTENT_WRITE,
]);

/** Values that occur more than once. */
export function duplicates<T>(values: Iterable<T>): Set<T> {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) dup.add(v);
    else seen.add(v);
  }
  return dup;
}

/**
 * Kafka's controller refuses a topic change whose timeout has already run out (timeoutMs <= 0):
 * REQUEST_TIMED_OUT and nothing changes. A positive timeout is always enough here, since a
 * change is done before the answer.
 */
export function expiredTimeout(timeoutMs: number): boolean {
  return timeoutMs <= 0;
}

/** ConfigResource types (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs). */
export const ConfigResourceType = {
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;

const RESOURCE_TYPE_NAMES = new Map<number, string>(
  Object.entries(ConfigResourceType).map(([name, id]) => [id, name]),
);

export function resourceTypeName(type: number): string | undefined {
  return RESOURCE_TYPE_NAMES.get(type);
}

/**
 * A BROKER config resource is named by the broker's id, or '' for the cluster-wide default.
 * Throws INVALID_REQUEST for anything else, as Kafka does.
 */
export function checkBrokerResourceName(name: string, nodeId: number): 'cluster' | 'broker' {
  if (name === '') return 'cluster';
  if (!/^-?\d+$/.test(name)) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `broker id must be an integer, got '${name}'`);
  }
  if (Number(name) !== nodeId) {
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      `this is broker ${nodeId}, not ${name}: name the resource '${nodeId}', or '' for the cluster-wide default`,
    );
  }
  return 'broker';
}

export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/**
 * The live brokers as clients should reach them through `listenerName`, the listener the request
 * came in on (Kafka's MetadataCache.getAliveBrokerNodes(listenerName)): each broker's endpoint of
 * that listener, this broker's own from its settings. A broker that does not advertise the
 * listener is left out, as Kafka leaves it out. When this broker does not advertise the listener
 * it was reached on (advertised.listeners names other listeners), its first advertised listener
 * stands in for it.
 */
export function liveBrokers(broker: Broker, listenerName: string): BrokerNode[] {
  const endpoint =
    broker.advertised.find((e) => e.listenerName === listenerName) ?? broker.advertised[0]!;
  const rack = broker.config.raw('broker.rack');
  return broker.liveBrokerIds().flatMap((nodeId): BrokerNode[] => {
    if (nodeId === broker.nodeId) {
      return [{ nodeId, host: endpoint.host, port: endpoint.port, rack }];
    }
    const r = broker.membership?.broker(nodeId);
    const e = r?.endpoints.find((x) => x.listenerName === endpoint.listenerName);
    return r && e ? [{ nodeId, host: e.host, port: e.port, rack: r.rack }] : [];
  });
}

/**
 * Where the leaders named in a response's currentLeader fields are reached, on the request's
 * listener: the nodeEndpoints of Fetch v16+ and Produce v10+, which let a client go to a new
 * leader without refreshing its metadata first (KIP-951).
 */
export function leaderEndpoints(
  broker: Broker,
  leaderIds: ReadonlySet<number>,
  listenerName: string,
): BrokerNode[] {
  return liveBrokers(broker, listenerName).filter((b) => leaderIds.has(b.nodeId));
}

/**
 * One log line with the outcome of every topic or resource of an admin request, as Kafka's
 * controller logs its CreateTopics results, so a refused name can be found in the log.
 */
export function logOutcomes(
  log: Logger,
  what: string,
  clientId: string | null,
  outcomes: { name: string | null; code: number; message: string | null }[],
): void {
  if (outcomes.length === 0) return;
  const parts = outcomes.map(({ name, code, message }) =>
    code === 0
      ? `'${name}': ok`
      : `'${name}': ${errorInfo(code).name}${message ? ` (${message})` : ''}`,
  );
  log.info(`${what} from client ${clientId}: ${parts.join(', ')}`);
}

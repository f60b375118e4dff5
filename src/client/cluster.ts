// What one client knows about the cluster: the brokers, who leads each partition of the topics
// it uses, and one pooled connection per (broker, lane). Each producer, consumer and admin owns
// its own Cluster, as each Kafka Java client owns its own NetworkClient.
//
// Lanes keep slow requests from delaying quick ones: a broker answers a connection's requests
// in order, so a consumer's long-polling fetch gets a lane of its own and its heartbeats do not
// queue behind it.
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { ApiCodec } from '../protocol/messages/codec.js';
import { MetadataApi, type MetadataResponse } from '../protocol/messages/metadata.js';
import { ZERO_UUID } from '../protocol/primitives/uuid.js';
import { Connection } from './connection.js';
import { ClientClosedError, ConnectionError } from './errors.js';
import type { Logger } from './logger.js';
import { type ResolvedRetry, withRetry } from './retry.js';

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  /** Node id of the leader, -1 while there is none. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  /** The topic id (metadata v10+), or the all-zero uuid when the broker has none. */
  topicId: string;
  isInternal: boolean;
  /** Ordered by partition index. */
  partitions: PartitionInfo[];
}

export interface ClusterOptions {
  brokers: readonly string[];
  clientId: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  tls?: TlsOptions;
  authenticate?: (connection: Connection) => Promise<void>;
  retry: ResolvedRetry;
  /** Topic metadata older than this is refreshed before use. Default 5 minutes. */
  metadataMaxAgeMs?: number;
  logger: Logger;
}

/** Errors after which the client's picture of leadership is wrong and metadata must be refetched. */
const STALE_METADATA = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.INCONSISTENT_TOPIC_ID,
  ErrorCode.NOT_CONTROLLER,
  ErrorCode.NETWORK_EXCEPTION,
]);

/** True when `err` (or the code) means cached leadership may be out of date. */
export function isStaleMetadataError(err: unknown): boolean {
  return err instanceof KafkaError && STALE_METADATA.has(err.code);
}

/** Splits 'host:port' (IPv6 in brackets); throws a TypeError for anything else. */
export function parseBroker(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address.trim());
  if (!m) throw new TypeError(`broker address '${address}' is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

export class Cluster {
  readonly options: ClusterOptions;
  readonly logger: Logger;
  readonly retry: ResolvedRetry;
  brokers = new Map<number, BrokerInfo>();
  clusterId: string | null = null;
  controllerId = -1;
  private readonly topics = new Map<string, TopicInfo>();
  private readonly namesById = new Map<string, string>();
  private readonly fetchedAt = new Map<string, number>();
  private readonly tracked = new Set<string>();
  private readonly pool = new Map<string, Promise<Connection>>();
  private refreshing: Promise<void> | undefined;
  private closed = false;

  constructor(options: ClusterOptions) {
    if (options.brokers.length === 0) throw new TypeError('brokers: give at least one host:port');
    for (const b of options.brokers) parseBroker(b);
    this.options = options;
    this.logger = options.logger;
    this.retry = options.retry;
  }

  /** Connects to a bootstrap server and learns the brokers. */
  async connect(): Promise<void> {
    await withRetry(this.retry, () => this.refreshMetadata());
  }

  /** A connection to broker `nodeId` on `lane`, opened on first use and kept. */
  connection(nodeId: number, lane = 'default'): Promise<Connection> {
    const broker = this.brokers.get(nodeId);
    if (!broker) {
      return Promise.reject(
        new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `broker ${nodeId} is not in the metadata`),
      );
    }
    return this.pooled(`${nodeId}/${lane}`, broker.host, broker.port);
  }

  /** Any live connection, else a new one to a known broker or a bootstrap server. */
  async anyConnection(): Promise<Connection> {
    for (const p of this.pool.values()) {
      const c = await p.catch(() => undefined);
      if (c && !c.closed) return c;
    }
    const candidates: { key: string; host: string; port: number }[] = [];
    for (const b of shuffle([...this.brokers.values()])) {
      candidates.push({ key: `${b.nodeId}/default`, host: b.host, port: b.port });
    }
    for (const address of shuffle([...this.options.brokers])) {
      const { host, port } = parseBroker(address);
      candidates.push({ key: `bootstrap/${host}:${port}`, host, port });
    }
    let last: unknown;
    for (const c of candidates) {
      try {
        return await this.pooled(c.key, c.host, c.port);
      } catch (err) {
        last = err;
        this.logger.warn(`cannot reach ${c.host}:${c.port}: ${(err as Error).message}`);
      }
    }
    throw last instanceof KafkaError
      ? last
      : new ConnectionError(this.options.brokers.join(','), 'no broker reachable');
  }

  /** Sends to any broker (metadata, admin requests that need no particular node). */
  async sendAny<Req, Res>(api: ApiCodec<Req, Res>, request: Req): Promise<Res> {
    return (await this.anyConnection()).send(api, request);
  }

  /**
   * Metadata for `topics`, fetched when unknown or older than metadataMaxAgeMs. The topics are
   * tracked from then on and refreshed together. Errors of a topic (unknown, being created)
   * are retried and then thrown.
   */
  async topicMetadata(
    topics: readonly string[],
    options: { allowAutoTopicCreation?: boolean } = {},
  ): Promise<Map<string, TopicInfo>> {
    const maxAge = this.options.metadataMaxAgeMs ?? 300_000;
    const fresh = (t: string) => {
      const at = this.fetchedAt.get(t);
      return at !== undefined && Date.now() - at < maxAge && this.topics.has(t);
    };
    for (const t of topics) this.tracked.add(t);
    if (!topics.every(fresh)) {
      await withRetry(
        this.retry,
        async () => {
          // A refresh on its way may bring these topics (it covers every tracked topic):
          // wait for it rather than queue another request behind it.
          while (this.refreshing && !topics.every(fresh)) {
            await this.refreshing.catch(() => undefined);
          }
          if (topics.every(fresh)) return;
          await this.refreshMetadata(topics, options.allowAutoTopicCreation ?? false);
          for (const t of topics) {
            if (!this.topics.has(t)) throw this.lastTopicError(t);
          }
        },
        undefined,
        (err) => err instanceof KafkaError && err.retriable,
      );
    }
    const out = new Map<string, TopicInfo>();
    for (const t of topics) out.set(t, this.topics.get(t)!);
    return out;
  }

  /** Adds a broker learnt outside Metadata (a coordinator from FindCoordinator). */
  rememberBroker(b: BrokerInfo): void {
    const old = this.brokers.get(b.nodeId);
    if (old && old.host === b.host && old.port === b.port) return;
    if (old) this.dropNode(b.nodeId);
    this.brokers.set(b.nodeId, b);
  }

  /** Cached metadata of a topic if younger than metadataMaxAgeMs (no I/O). */
  freshTopic(name: string): TopicInfo | undefined {
    const at = this.fetchedAt.get(name);
    if (at === undefined || Date.now() - at >= (this.options.metadataMaxAgeMs ?? 300_000)) {
      return undefined;
    }
    return this.topics.get(name);
  }

  /** Cached metadata of a topic, if any. */
  topic(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  /** The topic name for a topic id, from cached metadata. */
  topicName(topicId: string): string | undefined {
    return this.namesById.get(topicId);
  }

  /** Forgets a topic's metadata so the next use refetches it (after NOT_LEADER_OR_FOLLOWER etc.). */
  invalidate(topic?: string): void {
    if (topic === undefined) this.fetchedAt.clear();
    else this.fetchedAt.delete(topic);
  }

  /** Stops tracking topics no longer used. */
  untrack(topic: string): void {
    this.tracked.delete(topic);
  }

  private readonly topicErrors = new Map<string, KafkaError>();
  private lastTopicError(topic: string): KafkaError {
    return (
      this.topicErrors.get(topic) ??
      new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic}' has no metadata`)
    );
  }

  /**
   * Fetches metadata for the tracked topics plus `extra` (null: every topic). Concurrent calls
   * go one after another (each asks for what is tracked when it starts); topicMetadata() skips
   * its own request when the one before it brought what it needs.
   */
  async refreshMetadata(extra: readonly string[] | null = [], autoCreate = false): Promise<void> {
    if (this.closed) throw new ClientClosedError('the client');
    if (extra !== null) for (const t of extra) this.tracked.add(t);
    while (this.refreshing) await this.refreshing.catch(() => undefined);
    const names = extra === null ? null : [...this.tracked];
    const run = (async () => {
      const connection = await this.anyConnection();
      const response = await connection.send(MetadataApi, {
        topics: names === null ? null : names.map((name) => ({ name, topicId: ZERO_UUID })),
        allowAutoTopicCreation: autoCreate,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      this.apply(response);
    })();
    this.refreshing = run;
    try {
      await run;
    } finally {
      if (this.refreshing === run) this.refreshing = undefined;
    }
  }

  /** Updates the cache from a Metadata answer; exported for tests that feed crafted answers. */
  apply(response: MetadataResponse): void {
    const brokers = new Map<number, BrokerInfo>();
    for (const b of response.brokers) {
      brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null });
      const old = this.brokers.get(b.nodeId);
      if (old && (old.host !== b.host || old.port !== b.port)) this.dropNode(b.nodeId);
    }
    if (brokers.size > 0) this.brokers = brokers;
    this.clusterId = response.clusterId ?? null;
    this.controllerId = response.controllerId ?? -1;
    const now = Date.now();
    for (const t of response.topics) {
      if (t.name === null) continue;
      if (t.errorCode !== ErrorCode.NONE) {
        this.topics.delete(t.name);
        this.fetchedAt.delete(t.name);
        this.topicErrors.set(t.name, new KafkaError(t.errorCode, `metadata of topic '${t.name}'`));
        continue;
      }
      this.topicErrors.delete(t.name);
      const partitions: PartitionInfo[] = t.partitions
        .map((p) => ({
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch ?? -1,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas ?? [],
          errorCode: p.errorCode,
        }))
        .sort((a, b) => a.partition - b.partition);
      const topicId = t.topicId ?? ZERO_UUID;
      this.topics.set(t.name, {
        name: t.name,
        topicId,
        isInternal: t.isInternal ?? false,
        partitions,
      });
      if (topicId !== ZERO_UUID) this.namesById.set(topicId, t.name);
      this.fetchedAt.set(t.name, now);
    }
  }

  /** Closes every pooled connection. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.pool.values()];
    this.pool.clear();
    for (const p of all) (await p.catch(() => undefined))?.close();
  }

  private dropNode(nodeId: number): void {
    for (const [key, p] of this.pool) {
      if (key.startsWith(`${nodeId}/`)) {
        this.pool.delete(key);
        void p.then((c) => c.close()).catch(() => undefined);
      }
    }
  }

  private pooled(key: string, host: string, port: number): Promise<Connection> {
    if (this.closed) return Promise.reject(new ClientClosedError('the client'));
    const existing = this.pool.get(key);
    if (existing) return existing;
    const o = this.options;
    const p = Connection.connect({
      host,
      port,
      clientId: o.clientId,
      connectTimeoutMs: o.connectTimeoutMs,
      requestTimeoutMs: o.requestTimeoutMs,
      tls: o.tls,
      authenticate: o.authenticate,
    });
    this.pool.set(key, p);
    p.then(
      (c) =>
        c.onClose(() => {
          if (this.pool.get(key) === p) this.pool.delete(key);
        }),
      () => {
        if (this.pool.get(key) === p) this.pool.delete(key);
      },
    );
    return p;
  }
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

// The admin client: topics, partitions, configs, records, offsets, the cluster and consumer
// groups. Every call takes an options object and throws a KafkaError naming the topic, group or
// resource that failed.
import { ErrorCode } from '../protocol/errors.js';
import { CreatePartitionsApi } from '../protocol/messages/create-partitions.js';
import { CreateTopicsApi } from '../protocol/messages/create-topics.js';
import { DeleteRecordsApi } from '../protocol/messages/delete-records.js';
import { DeleteTopicsApi } from '../protocol/messages/delete-topics.js';
import { DescribeClusterApi } from '../protocol/messages/describe-cluster.js';
import { ApiKey } from '../protocol/messages/index.js';
import { MetadataApi } from '../protocol/messages/metadata.js';
import { ZERO_UUID } from '../protocol/primitives/uuid.js';
import type {
  ConfigResourceChange,
  ConfigResourceDescription,
  ConfigResourceQuery,
} from './admin-configs.js';
import * as configs from './admin-configs.js';
import * as groups from './admin-groups.js';
import * as placement from './admin-reassignments.js';
import { type BrokerInfo, Cluster, type ClusterOptions, type PartitionInfo } from './cluster.js';
import type { Connection } from './connection.js';
import { brokerError, ClientClosedError, KafkaError } from './errors.js';
import { listOffsets, type OffsetAnswer, OffsetSpec } from './list-offsets.js';
import { type RetryOptions, resolveRetry, sleep, withRetry } from './retry.js';

export type {
  ConfigEntry,
  ConfigResourceChange,
  ConfigResourceDescription,
  ConfigResourceQuery,
  ConfigResourceType,
} from './admin-configs.js';
export type {
  GroupDescription,
  GroupListing,
  GroupMemberDescription,
  GroupOffset,
} from './admin-groups.js';
export type {
  ElectionResult,
  OngoingReassignment,
  PartitionReassignment,
} from './admin-reassignments.js';

export interface AdminOptions {
  retry?: RetryOptions;
  /** How long the broker may take for topic and partition changes. Default 30 s. */
  timeoutMs?: number;
}

export interface NewTopic {
  topic: string;
  /** Default: the broker's num.partitions. */
  numPartitions?: number;
  /** Default: the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Topic configs by Kafka's names, e.g. { 'cleanup.policy': 'compact' }. */
  configs?: Record<string, string>;
  /** Explicit replicas per partition (then leave numPartitions and replicationFactor out). */
  assignments?: { partition: number; replicas: number[] }[];
}

export interface TopicDescription {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: PartitionInfo[];
}

export interface ClusterDescription {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
}

export class Admin {
  private readonly cluster: Cluster;
  private readonly timeoutMs: number;
  private closed = false;

  /** Use `samsa.admin(options)`. */
  constructor(cluster: Omit<ClusterOptions, 'retry'>, options: AdminOptions = {}) {
    this.cluster = new Cluster({ ...cluster, retry: resolveRetry(options.retry) });
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Connects and learns the brokers; every call does this itself when needed. */
  async connect(): Promise<void> {
    if (this.closed) throw new ClientClosedError('the admin client');
    await this.cluster.connect();
  }

  /** Creates topics and waits until every partition has a leader. */
  async createTopics(options: {
    topics: NewTopic[];
    validateOnly?: boolean;
    ifNotExists?: boolean;
  }): Promise<void> {
    await this.connect();
    const c = await this.controller();
    const r = await c.send(
      CreateTopicsApi,
      {
        topics: options.topics.map((t) => ({
          name: t.topic,
          numPartitions: t.assignments ? -1 : (t.numPartitions ?? -1),
          replicationFactor: t.assignments ? -1 : (t.replicationFactor ?? -1),
          assignments: (t.assignments ?? []).map((a) => ({
            partitionIndex: a.partition,
            brokerIds: a.replicas,
          })),
          configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
        timeoutMs: this.timeoutMs,
        validateOnly: options.validateOnly ?? false,
      },
      { timeoutMs: this.timeoutMs + 5_000 },
    );
    for (const t of r.topics) {
      if (t.errorCode === ErrorCode.NONE) continue;
      if (t.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && options.ifNotExists) continue;
      throw brokerError(t.errorCode, `creating topic '${t.name}'`, t.errorMessage);
    }
    if (!options.validateOnly) await this.waitForLeaders(options.topics.map((t) => t.topic));
  }

  /** Deletes topics. */
  async deleteTopics(options: { topics: string[] }): Promise<void> {
    await this.connect();
    const c = await this.controller();
    const r = await c.send(
      DeleteTopicsApi,
      {
        topicNames: options.topics,
        topics: options.topics.map((name) => ({ name, topicId: ZERO_UUID })),
        timeoutMs: this.timeoutMs,
      },
      { timeoutMs: this.timeoutMs + 5_000 },
    );
    for (const t of r.responses) {
      if (t.errorCode !== ErrorCode.NONE)
        throw brokerError(t.errorCode, `deleting topic '${t.name}'`, t.errorMessage);
    }
    for (const t of options.topics) this.cluster.untrack(t);
  }

  /** Names of all topics, internal ones (__consumer_offsets) left out unless asked for. */
  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    await this.connect();
    const names: string[] = [];
    const c = await this.cluster.anyConnection();
    const r = await c.send(MetadataApi, {
      topics: null,
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    for (const t of r.topics)
      if (t.name && (options.includeInternal || !t.isInternal)) names.push(t.name);
    return names.sort();
  }

  /** Partitions, leaders, replicas and ISR of topics (from Metadata). */
  async describeTopics(options: { topics: string[] }): Promise<TopicDescription[]> {
    await this.connect();
    await this.cluster.refreshMetadata(options.topics);
    return options.topics.map((name) => {
      const t = this.cluster.topic(name);
      if (!t)
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `topic '${name}' does not exist`,
        );
      return {
        name: t.name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        partitions: t.partitions,
      };
    });
  }

  /** Raises the partition count of topics to `count`. */
  async createPartitions(options: {
    topicPartitions: { topic: string; count: number; assignments?: number[][] }[];
    validateOnly?: boolean;
  }): Promise<void> {
    await this.connect();
    const c = await this.controller();
    const r = await c.send(
      CreatePartitionsApi,
      {
        topics: options.topicPartitions.map((t) => ({
          name: t.topic,
          count: t.count,
          assignments: t.assignments ? t.assignments.map((brokerIds) => ({ brokerIds })) : null,
        })),
        timeoutMs: this.timeoutMs,
        validateOnly: options.validateOnly ?? false,
      },
      { timeoutMs: this.timeoutMs + 5_000 },
    );
    for (const t of r.results) {
      if (t.errorCode !== ErrorCode.NONE)
        throw brokerError(t.errorCode, `creating partitions of '${t.name}'`, t.errorMessage);
    }
    if (!options.validateOnly)
      await this.waitForLeaders(options.topicPartitions.map((t) => t.topic));
  }

  /** Current configs of topics or brokers (all of them, or the names given). */
  async describeConfigs(options: {
    resources: ConfigResourceQuery[];
  }): Promise<ConfigResourceDescription[]> {
    await this.connect();
    return configs.describeConfigs(this.cluster, options.resources);
  }

  /** Changes configs incrementally (IncrementalAlterConfigs): set, delete, append or subtract. */
  async alterConfigs(options: {
    resources: ConfigResourceChange[];
    validateOnly?: boolean;
  }): Promise<void> {
    await this.connect();
    await configs.alterConfigs(this.cluster, options.resources, options.validateOnly ?? false);
  }

  /** Deletes records below `offset` (-1: the high watermark) in partitions; returns the new low watermarks. */
  async deleteRecords(options: {
    topic: string;
    partitions: { partition: number; offset: number }[];
  }): Promise<{ partition: number; lowWatermark: number }[]> {
    await this.connect();
    return withRetry(this.cluster.retry, async () => {
      const info = (await this.cluster.topicMetadata([options.topic])).get(options.topic)!;
      const byLeader = new Map<number, { partition: number; offset: number }[]>();
      for (const p of options.partitions) {
        const leader = info.partitions[p.partition]?.leader ?? -1;
        if (leader < 0)
          throw brokerError(ErrorCode.LEADER_NOT_AVAILABLE, `${options.topic}/${p.partition}`);
        let l = byLeader.get(leader);
        if (!l) byLeader.set(leader, (l = []));
        l.push(p);
      }
      const out: { partition: number; lowWatermark: number }[] = [];
      await Promise.all(
        [...byLeader].map(async ([leader, list]) => {
          const c = await this.cluster.connection(leader);
          const r = await c.send(DeleteRecordsApi, {
            topics: [
              {
                name: options.topic,
                partitions: list.map((p) => ({
                  partitionIndex: p.partition,
                  offset: BigInt(p.offset),
                })),
              },
            ],
            timeoutMs: this.timeoutMs,
          });
          for (const t of r.topics) {
            for (const p of t.partitions) {
              if (p.errorCode !== ErrorCode.NONE) {
                if (p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER)
                  this.cluster.invalidate(t.name);
                throw brokerError(p.errorCode, `deleting records of ${t.name}/${p.partitionIndex}`);
              }
              out.push({ partition: p.partitionIndex, lowWatermark: Number(p.lowWatermark) });
            }
          }
        }),
      );
      return out.sort((a, b) => a.partition - b.partition);
    });
  }

  /** Offsets of a topic's partitions: earliest, latest, or the first at/after a timestamp. */
  async listOffsets(options: {
    topic: string;
    partitions?: number[];
    at?: 'earliest' | 'latest' | 'maxTimestamp' | { timestamp: number | Date };
    isolationLevel?: 'read_uncommitted' | 'read_committed';
  }): Promise<OffsetAnswer[]> {
    await this.connect();
    const info = (await this.cluster.topicMetadata([options.topic])).get(options.topic)!;
    const at = options.at ?? 'latest';
    const timestamp =
      typeof at === 'string'
        ? OffsetSpec[at]
        : at.timestamp instanceof Date
          ? at.timestamp.getTime()
          : at.timestamp;
    const partitions = options.partitions ?? info.partitions.map((p) => p.partition);
    return listOffsets(
      this.cluster,
      partitions.map((partition) => ({ topic: options.topic, partition, timestamp })),
      options.isolationLevel === 'read_committed' ? 1 : 0,
    );
  }

  /** Cluster id, controller and brokers (DescribeCluster, or Metadata on older brokers). */
  async describeCluster(): Promise<ClusterDescription> {
    await this.connect();
    const c = await this.cluster.anyConnection();
    if (c.supports(ApiKey.DescribeCluster)) {
      const r = await c.send(DescribeClusterApi, {
        includeClusterAuthorizedOperations: false,
        endpointType: 1,
      });
      if (r.errorCode !== ErrorCode.NONE)
        throw brokerError(r.errorCode, 'DescribeCluster', r.errorMessage);
      return {
        clusterId: r.clusterId,
        controllerId: r.controllerId,
        brokers: r.brokers.map((b) => ({
          nodeId: b.brokerId,
          host: b.host,
          port: b.port,
          rack: b.rack,
        })),
      };
    }
    await this.cluster.refreshMetadata();
    return {
      clusterId: this.cluster.clusterId,
      controllerId: this.cluster.controllerId,
      brokers: [...this.cluster.brokers.values()],
    };
  }

  /**
   * Moves partitions to new replica lists (null cancels a move under way). Returns once the
   * controller recorded the moves; they complete in the background as the new replicas catch
   * up: follow them with listPartitionReassignments().
   */
  async alterPartitionReassignments(options: {
    reassignments: placement.PartitionReassignment[];
  }): Promise<void> {
    await this.connect();
    await placement.alterPartitionReassignments(
      await this.controller(),
      options.reassignments,
      this.timeoutMs,
    );
  }

  /** Partition moves under way (all of them, or among the partitions given). */
  async listPartitionReassignments(
    options: { partitions?: { topic: string; partition: number }[] } = {},
  ): Promise<placement.OngoingReassignment[]> {
    await this.connect();
    return withRetry(this.cluster.retry, async () =>
      placement.listPartitionReassignments(
        await this.controller(),
        options.partitions,
        this.timeoutMs,
      ),
    );
  }

  /**
   * Elects leaders: 'preferred' moves leadership to each partition's first replica (when live
   * and in sync), 'unclean' gives a leaderless partition any live replica. Without `partitions`,
   * every partition that needs it. One result per partition, never thrown.
   */
  async electLeaders(options: {
    type?: 'preferred' | 'unclean';
    partitions?: { topic: string; partition: number }[];
  }): Promise<placement.ElectionResult[]> {
    await this.connect();
    return placement.electLeaders(
      await this.controller(),
      options.type ?? 'preferred',
      options.partitions,
      this.timeoutMs,
    );
  }

  /** Groups known to the cluster. */
  async listGroups(): Promise<groups.GroupListing[]> {
    await this.connect();
    return groups.listGroups(this.cluster);
  }

  /** State, assignor and members (with their assignments) of groups. */
  async describeGroups(groupIds: string[]): Promise<groups.GroupDescription[]> {
    await this.connect();
    return groups.describeGroups(this.cluster, groupIds);
  }

  /** Deletes groups that have no active members. */
  async deleteGroups(groupIds: string[]): Promise<void> {
    await this.connect();
    await groups.deleteGroups(this.cluster, groupIds);
  }

  /** A group's committed offsets, for the given topics or all of them. */
  async fetchGroupOffsets(options: {
    groupId: string;
    topics?: string[];
  }): Promise<groups.GroupOffset[]> {
    await this.connect();
    return groups.fetchGroupOffsets(this.cluster, options.groupId, options.topics);
  }

  /** Sets a (memberless) group's offsets for a topic: explicit ones, or earliest/latest. */
  async resetGroupOffsets(options: {
    groupId: string;
    topic: string;
    to?: 'earliest' | 'latest';
    offsets?: { partition: number; offset: number }[];
  }): Promise<groups.GroupOffset[]> {
    await this.connect();
    return groups.resetGroupOffsets(this.cluster, options);
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    this.closed = true;
    await this.cluster.close();
  }

  /** The controller when the metadata names one we can reach (KRaft brokers forward anyway). */
  private async controller(): Promise<Connection> {
    const id = this.cluster.controllerId;
    if (id >= 0 && this.cluster.brokers.has(id)) return this.cluster.connection(id);
    return this.cluster.anyConnection();
  }

  private async waitForLeaders(topics: string[]): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      await this.cluster.refreshMetadata(topics).catch(() => undefined);
      const ready = topics.every((t) => {
        const info = this.cluster.topic(t);
        return (
          info !== undefined &&
          info.partitions.length > 0 &&
          info.partitions.every((p) => p.leader >= 0)
        );
      });
      if (ready) return;
      if (Date.now() > deadline) {
        throw new KafkaError(
          ErrorCode.LEADER_NOT_AVAILABLE,
          `topics ${topics.join(', ')} have no leader after ${this.timeoutMs} ms`,
        );
      }
      await sleep(100);
    }
  }
}

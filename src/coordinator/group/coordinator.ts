// The group coordinator as the broker's handlers see it: one method per API, in domain terms.
// It routes a group to its __consumer_offsets partition (Kafka's hash), creates that topic on
// the first FindCoordinator, keeps loaded exactly the partitions the replica manager says this
// broker leads (runtime.ts; following its leadership changes), answers once the records an
// answer depends on are replicated, and turns errors into the answer Kafka gives for each API.
import type { ReplicaManager } from '../../cluster/replica-manager.js';
import type { TopicChange, TopicRegistry } from '../../cluster/topic-registry.js';
import { ErrorCode, KafkaError, MalformedInputError } from '../../protocol/errors.js';
import * as admin from './admin-ops.js';
import { EMPTY_ASSIGNMENT, emptyJoinResult } from './classic-group.js';
import * as classic from './classic-ops.js';
import type { GroupCoordinatorConfig } from './config.js';
import * as consumer from './consumer-ops.js';
import * as offsets from './offset-ops.js';
import { partitionForGroup } from './partitioner.js';
import { result } from './result.js';
import { CoordinatorRuntime, GROUP_METADATA_TOPIC } from './runtime.js';
import { realScheduler, type Scheduler } from './scheduler.js';
import type { CoordinatorLogger, GroupShard, TopicsView } from './shard.js';
import type {
  ConsumerGroupHeartbeatInput,
  ConsumerGroupHeartbeatResult,
  DescribedClassicGroup,
  DescribedConsumerGroup,
  HeartbeatInput,
  JoinGroupInput,
  JoinGroupResult,
  LeaveGroupInput,
  LeaveGroupResult,
  ListedGroup,
  OffsetCommitInput,
  OffsetDeleteInput,
  OffsetDeleteResult,
  OffsetFetchGroupInput,
  OffsetFetchGroupResult,
  RequestOrigin,
  SyncGroupInput,
  SyncGroupResult,
  TopicPartitionErrors,
} from './types.js';

export { GROUP_METADATA_TOPIC } from './runtime.js';

export interface GroupCoordinatorOptions {
  nodeId: number;
  config: GroupCoordinatorConfig;
  topics: TopicRegistry;
  replicaManager: ReplicaManager;
  liveBrokerIds: () => number[];
  /**
   * Several brokers share the metadata: __consumer_offsets is created only once
   * offsets.topic.replication.factor brokers are alive, as Kafka does. On one node (false) the
   * factor is capped by the brokers there are, so a lone broker works out of the box.
   */
  clusterMode?: boolean;
  log: CoordinatorLogger;
  scheduler?: Scheduler;
}

export function topicsView(registry: TopicRegistry): TopicsView {
  const info = (t: { name: string; topicId: string; partitions: unknown[] } | undefined) =>
    t && { name: t.name, topicId: t.topicId, numPartitions: t.partitions.length };
  return {
    byName: (name) => info(registry.topic(name)),
    byId: (id) => info(registry.topicById(id)),
    names: () => registry.topics().map((t) => t.name),
  };
}

/**
 * Strings stored in __consumer_offsets records are int16-length strings. Kafka refuses longer
 * ones when it parses the request (compact strings included); here they are refused before
 * anything is written, and the connection is closed as for any malformed request.
 */
function checkStoredStrings(...values: (string | null | undefined)[]): void {
  for (const v of values) {
    if (v && v.length > 8191 && Buffer.byteLength(v) > 0x7fff) {
      throw new MalformedInputError(
        `a string of ${Buffer.byteLength(v)} bytes is longer than the 32767 Kafka allows`,
      );
    }
  }
}

function codeOf(err: unknown): number {
  if (err instanceof KafkaError) return err.code;
  throw err;
}

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly runtime: CoordinatorRuntime;
  private readonly unsubscribe: (() => void)[];
  private creating: Promise<void> | undefined;
  private warnedTooFewBrokers = false;
  private closed = false;

  constructor(private readonly o: GroupCoordinatorOptions) {
    this.config = o.config;
    this.runtime = new CoordinatorRuntime({
      config: o.config,
      replicaManager: o.replicaManager,
      topics: topicsView(o.topics),
      scheduler: o.scheduler ?? realScheduler,
      log: o.log,
    });
    this.unsubscribe = [
      o.replicaManager.onLeadershipChange(() => this.syncPartitions()),
      o.topics.onChange((c) => this.onTopicChange(c)),
    ];
    this.syncPartitions();
  }

  /** Resolves when every partition led here has finished loading (tests, start-up). */
  async ready(): Promise<void> {
    await Promise.all(this.syncPartitions());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribe) off();
    this.runtime.close();
  }

  /**
   * Loads the partitions led here and unloads the others. Leadership is the replica manager's
   * view, not the assignment's: a broker restarted in a cluster is still named leader but does
   * not lead until it claims a newer leader epoch, and one that lost its session stops at once.
   */
  private syncPartitions(): Promise<void>[] {
    if (this.closed) return [];
    const topic = this.o.topics.topic(GROUP_METADATA_TOPIC);
    const led = (topic?.partitions ?? [])
      .filter((a) => this.o.replicaManager.partition(GROUP_METADATA_TOPIC, a.partition)?.isLeader)
      .map((a) => a.partition);
    return this.runtime.sync(led);
  }

  private onTopicChange(change: TopicChange): void {
    if (change.topic.name === GROUP_METADATA_TOPIC) {
      this.syncPartitions();
      return;
    }
    if (change.type !== 'deleted') return;
    for (const shard of this.runtime.activeShards()) {
      try {
        shard
          .write(() => result(undefined, offsets.onTopicDeleted(shard, change.topic.name)))
          .catch((err: Error) =>
            this.o.log.warn(
              `dropping offsets of deleted topic ${change.topic.name}: ${err.message}`,
            ),
          );
      } catch (err) {
        this.o.log.warn(
          `dropping offsets of deleted topic ${change.topic.name}: ${(err as Error).message}`,
        );
      }
    }
  }

  partitionFor(groupId: string): number {
    const n =
      this.o.topics.topic(GROUP_METADATA_TOPIC)?.partitions.length ??
      this.config.offsetsTopicNumPartitions;
    return partitionForGroup(groupId, n);
  }

  private shardFor(groupId: string): GroupShard {
    if (this.closed)
      throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the broker is shutting down');
    return this.runtime.shard(this.partitionFor(groupId));
  }

  // --- FindCoordinator -------------------------------------------------------------------------

  /**
   * The node leading the group's partition. The first lookup creates __consumer_offsets and,
   * like Kafka, answers COORDINATOR_NOT_AVAILABLE until it exists: clients retry.
   */
  findGroupCoordinator(groupId: string): { errorCode: number; nodeId: number } {
    const topic = this.o.topics.topic(GROUP_METADATA_TOPIC);
    if (!topic) {
      this.creating ??= this.createOffsetsTopic().finally(() => {
        this.creating = undefined;
      });
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 };
    }
    const assignment = topic.partitions[partitionForGroup(groupId, topic.partitions.length)];
    if (!assignment || assignment.leader < 0)
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 };
    return { errorCode: 0, nodeId: assignment.leader };
  }

  /**
   * Creates __consumer_offsets as Kafka does: compacted, 100 MiB segments, with
   * offsets.topic.replication.factor replicas. In a cluster it waits (FindCoordinator answering
   * COORDINATOR_NOT_AVAILABLE) until that many brokers are alive; a single node caps the factor.
   */
  async createOffsetsTopic(): Promise<void> {
    const brokers = this.o.liveBrokerIds();
    const wanted = this.config.offsetsTopicReplicationFactor;
    if (this.o.clusterMode && brokers.length < wanted) {
      if (!this.warnedTooFewBrokers) {
        this.o.log.warn(
          `not creating ${GROUP_METADATA_TOPIC} yet: offsets.topic.replication.factor is ${wanted} but ${brokers.length} broker(s) are alive; consumer groups wait until enough brokers join (or lower the setting)`,
        );
      }
      this.warnedTooFewBrokers = true;
      return;
    }
    try {
      await this.o.topics.createTopic({
        name: GROUP_METADATA_TOPIC,
        numPartitions: this.config.offsetsTopicNumPartitions,
        replicationFactor: Math.max(1, Math.min(wanted, brokers.length)),
        brokers,
        configs: {
          'cleanup.policy': 'compact',
          'compression.type': 'producer',
          'segment.bytes': String(this.config.offsetsTopicSegmentBytes),
        },
      });
      this.o.log.info(
        `created ${GROUP_METADATA_TOPIC} with ${this.config.offsetsTopicNumPartitions} partitions`,
      );
    } catch (err) {
      if (err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS) return;
      this.o.log.warn(`cannot create ${GROUP_METADATA_TOPIC}: ${(err as Error).message}`);
    }
  }

  // --- classic protocol ------------------------------------------------------------------------

  async joinGroup(input: JoinGroupInput, origin: RequestOrigin): Promise<JoinGroupResult> {
    checkStoredStrings(
      input.groupId,
      input.memberId,
      input.groupInstanceId,
      input.protocolType,
      ...input.protocols.map((p) => p.name),
    );
    if (input.groupId === '') return emptyJoinResult(input.memberId, ErrorCode.INVALID_GROUP_ID);
    try {
      const shard = this.shardFor(input.groupId);
      return await shard.write(() => classic.joinGroup(shard, input, origin));
    } catch (err) {
      return emptyJoinResult(input.memberId, codeOf(err));
    }
  }

  async syncGroup(input: SyncGroupInput): Promise<SyncGroupResult> {
    checkStoredStrings(input.groupId);
    const error = (code: number) => ({
      errorCode: code,
      protocolType: null,
      protocolName: null,
      assignment: EMPTY_ASSIGNMENT,
    });
    if (input.groupId === '') return error(ErrorCode.INVALID_GROUP_ID);
    try {
      const shard = this.shardFor(input.groupId);
      return await shard.write(() => classic.syncGroup(shard, input));
    } catch (err) {
      return error(codeOf(err));
    }
  }

  async heartbeat(input: HeartbeatInput): Promise<number> {
    if (input.groupId === '') return ErrorCode.INVALID_GROUP_ID;
    try {
      const shard = this.shardFor(input.groupId);
      return await shard.write(() => classic.heartbeat(shard, input));
    } catch (err) {
      const code = codeOf(err);
      // While the partition loads, heartbeats are answered blindly, as Kafka does.
      return code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? 0 : code;
    }
  }

  async leaveGroup(input: LeaveGroupInput): Promise<LeaveGroupResult> {
    if (input.groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    try {
      const shard = this.shardFor(input.groupId);
      return await shard.write(() => classic.leaveGroup(shard, input));
    } catch (err) {
      return { errorCode: codeOf(err), members: [] };
    }
  }

  // --- offsets ---------------------------------------------------------------------------------

  async commitOffsets(
    input: OffsetCommitInput,
    apiVersion: number,
  ): Promise<TopicPartitionErrors[]> {
    checkStoredStrings(
      input.groupId,
      ...input.topics.flatMap((t) => t.partitions.map((p) => p.committedMetadata)),
    );
    try {
      const shard = this.shardFor(input.groupId);
      return await shard.write(() => offsets.commitOffsets(shard, input, apiVersion));
    } catch (err) {
      const code = codeOf(err);
      return input.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: code,
        })),
      }));
    }
  }

  /** Offsets as committed: answered once the writes before it are replicated. */
  async fetchOffsets(input: OffsetFetchGroupInput): Promise<OffsetFetchGroupResult> {
    try {
      const shard = this.shardFor(input.groupId);
      return await shard.write(() => result(offsets.fetchOffsets(shard, input)));
    } catch (err) {
      return { groupId: input.groupId, errorCode: codeOf(err), topics: [] };
    }
  }

  async deleteOffsets(input: OffsetDeleteInput): Promise<OffsetDeleteResult> {
    if (input.groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    try {
      const shard = this.shardFor(input.groupId);
      return await shard.write(() => offsets.deleteOffsets(shard, input));
    } catch (err) {
      return { errorCode: codeOf(err), topics: [] };
    }
  }

  // --- admin -----------------------------------------------------------------------------------

  describeGroups(groupIds: readonly string[]): DescribedClassicGroup[] {
    return groupIds.map((groupId) => {
      try {
        return admin.describeClassicGroup(this.shardFor(groupId), groupId);
      } catch (err) {
        return {
          errorCode: codeOf(err),
          groupId,
          groupState: '',
          protocolType: '',
          protocolData: '',
          members: [],
        };
      }
    });
  }

  listGroups(
    statesFilter: readonly string[],
    typesFilter: readonly string[],
  ): { errorCode: number; groups: ListedGroup[] } {
    if (this.runtime.loadingCount > 0)
      return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    const groups = this.runtime
      .activeShards()
      .flatMap((s) => admin.listGroups(s, statesFilter, typesFilter));
    return { errorCode: 0, groups };
  }

  async deleteGroups(
    groupIds: readonly string[],
  ): Promise<{ groupId: string; errorCode: number }[]> {
    const byShard = new Map<number, string[]>();
    const out = new Map<string, number>();
    for (const id of new Set(groupIds)) {
      const p = this.partitionFor(id);
      byShard.set(p, [...(byShard.get(p) ?? []), id]);
    }
    for (const ids of byShard.values()) {
      try {
        const shard = this.shardFor(ids[0]!);
        for (const r of await shard.write(() => admin.deleteGroups(shard, ids)))
          out.set(r.groupId, r.errorCode);
      } catch (err) {
        const code = codeOf(err);
        for (const id of ids) out.set(id, code);
      }
    }
    return [...new Set(groupIds)].map((groupId) => ({ groupId, errorCode: out.get(groupId)! }));
  }

  // --- KIP-848 consumer groups -----------------------------------------------------------------

  async consumerGroupHeartbeat(
    input: ConsumerGroupHeartbeatInput,
    origin: RequestOrigin,
  ): Promise<ConsumerGroupHeartbeatResult> {
    try {
      if (input.groupId === '')
        throw new KafkaError(ErrorCode.INVALID_REQUEST, "GroupId can't be empty.");
      const shard = this.shardFor(input.groupId);
      return await shard.write(() => consumer.consumerGroupHeartbeat(shard, input, origin));
    } catch (err) {
      const code = codeOf(err);
      const message = (err as KafkaError).message.replace(/^[A-Z_]+: /, '');
      return {
        errorCode: code,
        errorMessage: message,
        memberId: null,
        memberEpoch: 0,
        heartbeatIntervalMs: 0,
        assignment: null,
      };
    }
  }

  consumerGroupDescribe(groupIds: readonly string[]): DescribedConsumerGroup[] {
    return groupIds.map((groupId) => {
      try {
        return consumer.describeConsumerGroup(this.shardFor(groupId), groupId);
      } catch (err) {
        return {
          errorCode: codeOf(err),
          errorMessage: null,
          groupId,
          groupState: '',
          groupEpoch: 0,
          assignmentEpoch: 0,
          assignorName: '',
          members: [],
        };
      }
    });
  }
}

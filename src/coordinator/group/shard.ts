// The state of one __consumer_offsets partition: its groups and committed offsets, Kafka's
// GroupCoordinatorShard. Operations (classic-ops, consumer-ops, offset-ops, admin-ops) read this
// state and return a CoordinatorResult; run() appends the records through the injected appender
// and replays them, write() also waits until they are replicated to the ISR before answering.
// The same replay() rebuilds the state from the log at load time.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { ClassicGroup } from './classic-group.js';
import type { GroupCoordinatorConfig } from './config.js';
import { type Assignment, ConsumerGroup, fromTopicPartitions } from './consumer-group.js';
import { OffsetStore } from './offsets.js';
import type { GroupRecord } from './records.js';
import type { CoordinatorResult } from './result.js';
import { KeyedTimer, type Scheduler } from './scheduler.js';

export type Group = ClassicGroup | ConsumerGroup;

export interface TopicInfo {
  name: string;
  topicId: string;
  numPartitions: number;
}

/** The cluster's topics as the coordinator needs them (names, ids, partition counts). */
export interface TopicsView {
  byName(name: string): TopicInfo | undefined;
  byId(topicId: string): TopicInfo | undefined;
  names(): string[];
}

export interface CoordinatorLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Writes records to the partition's log; throws a KafkaError when it cannot. Returns a promise
 * when the records are not committed yet (a replicated partition): it settles once the high
 * watermark passes them, rejecting with the replica manager's KafkaError if it never does.
 */
export type Appender = (records: readonly GroupRecord[]) => Promise<void> | undefined;

export interface ShardOptions {
  partition: number;
  config: GroupCoordinatorConfig;
  topics: TopicsView;
  scheduler: Scheduler;
  log: CoordinatorLogger;
  appender: Appender;
}

export class GroupShard {
  readonly partition: number;
  readonly config: GroupCoordinatorConfig;
  readonly topics: TopicsView;
  readonly log: CoordinatorLogger;
  readonly groups = new Map<string, Group>();
  readonly offsets = new OffsetStore();
  private readonly scheduler: Scheduler;
  private readonly keyedTimer: KeyedTimer;
  private readonly appender: Appender;
  private pendingCommit: Promise<void> | undefined;

  constructor(o: ShardOptions) {
    this.partition = o.partition;
    this.config = o.config;
    this.topics = o.topics;
    this.log = o.log;
    this.scheduler = o.scheduler;
    this.appender = o.appender;
    this.keyedTimer = new KeyedTimer(o.scheduler, (key, fn) => {
      try {
        fn();
      } catch (err) {
        this.log.error(`timer ${key} failed: ${(err as Error).stack ?? err}`);
      }
    });
  }

  now(): number {
    return this.scheduler.now();
  }

  /**
   * Runs an operation: appends its records, replays them, and returns its response at once.
   * The operation hears the outcome (onAppended) once the records are committed. A failed append
   * throws the coordinator error Kafka maps it to and changes nothing. For what may be answered
   * only once replicated, use write().
   */
  run<T>(op: () => CoordinatorResult<T>): T {
    return this.execute(op).response;
  }

  /**
   * Runs an operation and resolves with its response once everything it may reflect is
   * committed: its own records, or (an operation that wrote nothing) the last records written
   * before it, as Kafka's runtime does. Rejects with the mapped coordinator error when they
   * are not (NOT_COORDINATOR after losing leadership, COORDINATOR_NOT_AVAILABLE on a timeout
   * or too few in-sync replicas). State stays as replayed: it matches this leader's log.
   */
  async write<T>(op: () => CoordinatorResult<T>): Promise<T> {
    const { response, committed } = this.execute(op);
    if (committed) await committed;
    return response;
  }

  /** Records at the end of the log not yet committed (a load replays past the high watermark). */
  awaitCommit(committed: Promise<void>): void {
    this.trackCommit(committed);
  }

  private execute<T>(op: () => CoordinatorResult<T>): {
    response: T;
    committed: Promise<void> | undefined;
  } {
    const res = op();
    if (res.records.length === 0) {
      res.onAppended?.(undefined);
      return { response: res.response, committed: this.pendingCommit };
    }
    let replicated: Promise<void> | undefined;
    try {
      replicated = this.appender(res.records);
    } catch (err) {
      const mapped = appendErrorToCoordinatorError(err);
      res.onAppended?.(mapped);
      throw mapped;
    }
    if (res.replay !== false) for (const r of res.records) this.replay(r);
    if (!replicated) {
      res.onAppended?.(undefined);
      return { response: res.response, committed: this.pendingCommit };
    }
    const committed = replicated.then(
      () => res.onAppended?.(undefined),
      (err: unknown) => {
        const mapped = appendErrorToCoordinatorError(err);
        res.onAppended?.(mapped);
        throw mapped;
      },
    );
    this.trackCommit(committed);
    return { response: res.response, committed };
  }

  /**
   * The latest write still waiting for the high watermark. Commits complete in offset order
   * (the high watermark only grows), so waiting for the last one waits for all before it.
   */
  private trackCommit(committed: Promise<void>): void {
    this.pendingCommit = committed;
    committed
      .catch(() => {})
      .finally(() => {
        if (this.pendingCommit === committed) this.pendingCommit = undefined;
      });
  }

  /** Keyed timers whose expiry runs an operation; rescheduling a key replaces it. */
  schedule(key: string, delayMs: number, op: () => CoordinatorResult<unknown>): void {
    this.keyedTimer.schedule(key, delayMs, () => {
      try {
        this.run(op);
      } catch (err) {
        this.log.warn(`timer ${key}: ${(err as Error).message}`);
      }
    });
  }

  cancel(key: string): void {
    this.keyedTimer.cancel(key);
  }

  isScheduled(key: string): boolean {
    return this.keyedTimer.isScheduled(key);
  }

  closeTimers(): void {
    this.keyedTimer.close();
  }

  classicGroup(groupId: string): ClassicGroup | undefined {
    const g = this.groups.get(groupId);
    return g instanceof ClassicGroup ? g : undefined;
  }

  consumerGroup(groupId: string): ConsumerGroup | undefined {
    const g = this.groups.get(groupId);
    return g instanceof ConsumerGroup ? g : undefined;
  }

  /** A "simple" group: what an offset commit outside group management creates. */
  getOrCreateClassicGroup(groupId: string): ClassicGroup {
    const existing = this.groups.get(groupId);
    if (existing instanceof ClassicGroup) return existing;
    if (existing)
      throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `group ${groupId} is not a classic group`);
    const g = new ClassicGroup(groupId, () => this.now());
    this.groups.set(groupId, g);
    return g;
  }

  // --- replay --------------------------------------------------------------------------------------

  replay(record: GroupRecord): void {
    switch (record.type) {
      case 'OffsetCommit': {
        const { group, topic, partition } = record.key;
        const v = record.value;
        if (v === null) {
          this.offsets.delete(group, topic, partition);
          return;
        }
        if (!this.groups.has(group))
          this.groups.set(group, new ClassicGroup(group, () => this.now()));
        const expire = Number(v.expireTimestamp ?? -1n);
        this.offsets.put(group, topic, partition, {
          offset: Number(v.offset),
          leaderEpoch: v.leaderEpoch ?? -1,
          metadata: v.metadata,
          commitTimestamp: Number(v.commitTimestamp),
          expireTimestamp: expire >= 0 ? expire : undefined,
        });
        return;
      }
      case 'GroupMetadata': {
        const groupId = record.key.group;
        if (record.value === null) this.removeGroup(groupId);
        else
          this.groups.set(
            groupId,
            ClassicGroup.fromRecord(groupId, record.value, () => this.now()),
          );
        return;
      }
      case 'ConsumerGroupMetadata': {
        const groupId = record.key.groupId;
        if (record.value === null) {
          if (this.consumerGroup(groupId)) this.removeGroup(groupId);
        } else {
          this.persistedConsumerGroup(groupId).groupEpoch = record.value.epoch;
        }
        return;
      }
      case 'ConsumerGroupPartitionMetadata': {
        const g = this.consumerGroupForReplay(record.key.groupId, record.value !== null);
        g?.replayPartitionMetadata(record.value);
        return;
      }
      case 'ConsumerGroupMemberMetadata': {
        const g = this.consumerGroupForReplay(record.key.groupId, record.value !== null);
        g?.replayMemberMetadata(record.key.memberId, record.value);
        return;
      }
      case 'ConsumerGroupTargetAssignmentMetadata': {
        const g = this.consumerGroupForReplay(record.key.groupId, record.value !== null);
        if (g) g.assignmentEpoch = record.value?.assignmentEpoch ?? -1;
        return;
      }
      case 'ConsumerGroupTargetAssignmentMember': {
        const g = this.consumerGroupForReplay(record.key.groupId, record.value !== null);
        const a: Assignment | null = record.value
          ? fromTopicPartitions(record.value.topicPartitions)
          : null;
        g?.replayTargetAssignmentMember(record.key.memberId, a);
        return;
      }
      case 'ConsumerGroupCurrentMemberAssignment': {
        const g = this.consumerGroupForReplay(record.key.groupId, record.value !== null);
        g?.replayCurrentAssignment(record.key.memberId, record.value);
        return;
      }
    }
  }

  private consumerGroupForReplay(groupId: string, create: boolean): ConsumerGroup | undefined {
    return create ? this.persistedConsumerGroup(groupId) : this.consumerGroup(groupId);
  }

  /** The consumer group a record belongs to; it replaces an empty classic group of that id. */
  private persistedConsumerGroup(groupId: string): ConsumerGroup {
    const existing = this.groups.get(groupId);
    if (existing instanceof ConsumerGroup) return existing;
    const g = new ConsumerGroup(groupId);
    this.groups.set(groupId, g);
    return g;
  }

  removeGroup(groupId: string): void {
    const g = this.groups.get(groupId);
    if (!g) return;
    this.groups.delete(groupId);
    if (g instanceof ClassicGroup && !g.is('Dead')) {
      g.state = 'Dead';
    }
  }
}

/** Kafka's mapping of append failures to what group clients understand. */
export function appendErrorToCoordinatorError(err: unknown): KafkaError {
  if (!(err instanceof KafkaError)) {
    return new KafkaError(
      ErrorCode.UNKNOWN_SERVER_ERROR,
      `append failed: ${(err as Error).message}`,
    );
  }
  switch (err.code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, err.message);
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return new KafkaError(ErrorCode.NOT_COORDINATOR, err.message);
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, err.message);
    default:
      return err;
  }
}

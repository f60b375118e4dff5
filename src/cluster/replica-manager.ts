// Which partitions this broker holds, and their state as a replica: the log, the leader epoch
// and the high watermark. It follows the TopicRegistry: a partition assigned to this broker
// gets a log, a deleted topic loses its logs, a config change reaches the logs.
//
// On a single node every partition is led here and the high watermark is the log end offset
// (the ISR is just us). Cluster mode will add followers, ISR tracking and a high watermark that
// waits for them; handlers already ask this class, not the log, for the high watermark.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { AppendResult, PartitionLog } from '../storage/log.js';
import type { LogConfig } from '../storage/log-config.js';
import type { LogManager } from '../storage/log-manager.js';
import type {
  PartitionAssignment,
  TopicChange,
  TopicMetadata,
  TopicRegistry,
} from './topic-registry.js';

export class Partition {
  constructor(
    readonly topic: string,
    readonly topicId: string,
    readonly partition: number,
    readonly log: PartitionLog,
    public assignment: PartitionAssignment,
    private readonly nodeId: number,
  ) {}

  get leaderEpoch(): number {
    return this.assignment.leaderEpoch;
  }
  get isLeader(): boolean {
    return this.assignment.leader === this.nodeId;
  }
  /** The offset below which records are committed: visible to consumers. */
  get highWatermark(): number {
    return this.log.logEndOffset;
  }
  get logStartOffset(): number {
    return this.log.logStartOffset;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }
}

type AppendListener = (partition: Partition) => void;

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly appendListeners = new Set<AppendListener>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly nodeId: number,
    private readonly topics: TopicRegistry,
    private readonly logManager: LogManager,
    private readonly configFor: (topic: TopicMetadata) => LogConfig,
  ) {
    for (const topic of topics.topics()) this.ensureLogs(topic);
    this.removeStrayLogs();
    this.unsubscribe = topics.onChange((change) => this.onTopicChange(change));
  }

  close(): void {
    this.unsubscribe();
    this.appendListeners.clear();
  }

  /** The partition if this broker holds a replica of it. */
  partition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(`${topic}\0${partition}`);
  }

  /**
   * The partition for a request that must be served by its leader: UNKNOWN_TOPIC_OR_PARTITION
   * when it does not exist, NOT_LEADER_OR_FOLLOWER when another broker leads it.
   */
  leaderPartition(topic: string, partition: number): Partition {
    const p = this.partition(topic, partition);
    if (!p) {
      const known = this.topics.topic(topic);
      if (known && partition >= 0 && partition < known.partitions.length) {
        throw new KafkaError(
          ErrorCode.NOT_LEADER_OR_FOLLOWER,
          `${topic}-${partition} is not led by broker ${this.nodeId}`,
        );
      }
      throw new KafkaError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `${topic}-${partition} does not exist`,
      );
    }
    if (!p.isLeader) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `${topic}-${partition} is led by broker ${p.assignment.leader}`,
      );
    }
    return p;
  }

  /**
   * leaderPartition with the fencing of a request that names the leader epoch it knows
   * (-1: none): FENCED_LEADER_EPOCH when it is older than ours, UNKNOWN_LEADER_EPOCH when newer.
   * As in Kafka, the epoch is checked before leadership.
   */
  leaderPartitionForEpoch(topic: string, partition: number, currentLeaderEpoch: number): Partition {
    const p = this.partition(topic, partition);
    if (p && currentLeaderEpoch >= 0 && currentLeaderEpoch !== p.leaderEpoch) {
      throw new KafkaError(
        currentLeaderEpoch < p.leaderEpoch
          ? ErrorCode.FENCED_LEADER_EPOCH
          : ErrorCode.UNKNOWN_LEADER_EPOCH,
        `${topic}-${partition} is at leader epoch ${p.leaderEpoch}, the request knows ${currentLeaderEpoch}`,
      );
    }
    return this.leaderPartition(topic, partition);
  }

  /**
   * Appends a producer's batch to a partition led here and wakes the fetches waiting for it.
   * acks=-1 needs min.insync.replicas in the ISR before anything is written (Kafka answers
   * NOT_ENOUGH_REPLICAS then; with acks 0 or 1 the setting does not apply).
   */
  appendRecordsToLeader(partition: Partition, records: Buffer, requiredAcks: number): AppendResult {
    const minIsr = partition.log.config.minInsyncReplicas;
    const isrSize = partition.assignment.isr.length;
    if (requiredAcks === -1 && isrSize < minIsr) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `${partition.topic}-${partition.partition} has ${isrSize} in-sync replica(s), min.insync.replicas is ${minIsr}`,
      );
    }
    const result = partition.log.append(records, {
      origin: 'client',
      leaderEpoch: partition.leaderEpoch,
    });
    if (!result.duplicate) this.notifyAppend(partition);
    return result;
  }

  allPartitions(): Partition[] {
    return [...this.partitions.values()];
  }

  /** Tells listeners (delayed fetches) that records were appended to a partition. */
  notifyAppend(partition: Partition): void {
    for (const l of this.appendListeners) l(partition);
  }

  onAppend(listener: AppendListener): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  private onTopicChange(change: TopicChange): void {
    const { topic } = change;
    if (change.type === 'deleted') {
      for (const a of topic.partitions) {
        this.partitions.delete(`${topic.name}\0${a.partition}`);
        this.logManager.deleteLog(topic.name, a.partition);
      }
      return;
    }
    if (change.type === 'updated' && change.previous) {
      if (JSON.stringify(change.previous.configs) !== JSON.stringify(topic.configs)) {
        this.logManager.updateTopicConfig(topic.name, this.configFor(topic));
      }
    }
    this.ensureLogs(topic);
  }

  private ensureLogs(topic: TopicMetadata): void {
    for (const a of topic.partitions) {
      const key = `${topic.name}\0${a.partition}`;
      const existing = this.partitions.get(key);
      if (!a.replicas.includes(this.nodeId)) {
        if (existing) {
          this.partitions.delete(key);
          this.logManager.deleteLog(topic.name, a.partition);
        }
        continue;
      }
      if (existing && existing.topicId === topic.topicId) {
        existing.assignment = a;
        continue;
      }
      const log = this.logManager.getOrCreateLog(topic.name, a.partition, this.configFor(topic));
      this.partitions.set(
        key,
        new Partition(topic.name, topic.topicId, a.partition, log, a, this.nodeId),
      );
    }
  }

  /** Logs left on disk for topics that no longer exist (deleted while this broker was down). */
  private removeStrayLogs(): void {
    for (const [tp] of [...this.logManager.allLogs()]) {
      if (!this.partitions.has(`${tp.topic}\0${tp.partition}`))
        this.logManager.deleteLog(tp.topic, tp.partition);
    }
  }
}

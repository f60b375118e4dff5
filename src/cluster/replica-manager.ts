// Which partitions this broker holds, and their state as a replica: the log, the leader epoch
// and the high watermark. It follows the TopicRegistry: a partition assigned to this broker
// gets a log, a deleted topic loses its logs, a config change reaches the logs.
//
// A partition with one replica (every partition of a single node) has the log end offset as its
// high watermark. With more replicas the leader tracks each follower's log end offset from its
// fetches, moves the high watermark to the smallest one in the ISR (never backwards), grows and
// shrinks the ISR (replica.lag.time.max.ms) by compare-and-swap through the TopicRegistry, and
// completes acks=all produces once the high watermark passes them. Followers fetch through
// replica-fetcher.ts and take the leader's high watermark.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { RecordBatchHeader } from '../protocol/records/batch-header.js';
import type { AppendResult } from '../storage/log.js';
import type { LogConfig } from '../storage/log-config.js';
import type { LogManager } from '../storage/log-manager.js';
import type { AppendOrigin } from '../storage/producer-state.js';
import { CommitWaiters } from './commit-waiters.js';
import type { HighWatermarkCheckpoints } from './high-watermark-checkpoints.js';
import { alterIsr, laggingFollowers } from './isr-changes.js';
import { moveLeadershipAway, reclaimLeadership } from './leadership-handover.js';
import { Partition } from './partition.js';
import type { TopicChange, TopicMetadata, TopicRegistry } from './topic-registry.js';

export type { FollowerState } from './partition.js';
export { Partition };

type AppendListener = (partition: Partition) => void;

export interface ReplicaManagerOptions {
  /** A follower behind the leader for this long leaves the ISR. Default 30000. */
  replicaLagTimeMaxMs?: number;
  /**
   * Cluster mode: partitions this broker led before it (re)started are not led again until
   * reclaimLeadership() or the controller moves them to a newer epoch.
   */
  fenceStartupLeadership?: boolean;
  /**
   * Start-up high watermarks (replication-offset-checkpoint), kept current every
   * `highWatermarkCheckpointIntervalMs` and written a last time by close().
   */
  highWatermarkCheckpoints?: HighWatermarkCheckpoints;
  /** replica.high.watermark.checkpoint.interval.ms; default 5000. */
  highWatermarkCheckpointIntervalMs?: number;
  logger?: { info(m: string): void; warn(m: string): void };
  clock?: () => number;
}

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly appendListeners = new Set<AppendListener>();
  private readonly leadershipListeners = new Set<() => void>();
  private readonly commitWaiters = new CommitWaiters((p) => this.partition(p.topic, p.partition));
  private readonly unsubscribe: () => void;
  private readonly lagMaxMs: number;
  private readonly clock: () => number;
  private isrTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nodeId: number,
    private readonly topics: TopicRegistry,
    private readonly logManager: LogManager,
    private readonly configFor: (topic: TopicMetadata) => LogConfig,
    private readonly options: ReplicaManagerOptions = {},
  ) {
    this.lagMaxMs = options.replicaLagTimeMaxMs ?? 30_000;
    this.clock = options.clock ?? Date.now;
    for (const topic of topics.topics()) this.ensureLogs(topic);
    const checkpoints = options.highWatermarkCheckpoints;
    if (checkpoints) {
      for (const p of this.partitions.values()) {
        const hw = checkpoints.checkpointed(p.topic, p.partition);
        if (hw === undefined) continue;
        // A log recovered shorter than the checkpoint (or started over) wins, as in Kafka.
        p.hw = hw;
        p.clampHighWatermarkToLog();
      }
      checkpoints.start(options.highWatermarkCheckpointIntervalMs ?? 5000, () =>
        this.partitions.values(),
      );
    }
    if (options.fenceStartupLeadership) {
      for (const p of this.partitions.values()) {
        if (p.isReplicated && p.assignment.leader === nodeId) p.staleLeaderEpoch = p.leaderEpoch;
      }
    }
    this.removeStrayLogs();
    this.unsubscribe = topics.onChange((change) => this.onTopicChange(change));
  }

  close(): void {
    this.unsubscribe();
    this.options.highWatermarkCheckpoints?.stop();
    this.options.highWatermarkCheckpoints?.write(this.partitions.values());
    clearInterval(this.isrTimer);
    this.appendListeners.clear();
    this.leadershipListeners.clear();
    this.commitWaiters.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  /** Starts shrinking the ISR of partitions led here whose followers lag (cluster mode). */
  startIsrMaintenance(): void {
    clearInterval(this.isrTimer);
    this.isrTimer = setInterval(() => this.shrinkIsrs(), Math.max(100, this.lagMaxMs / 2));
    this.isrTimer.unref();
  }

  /** Called after any change of leader, epoch or replicas of a partition held here. */
  onLeadershipChange(listener: () => void): () => void {
    this.leadershipListeners.add(listener);
    return () => this.leadershipListeners.delete(listener);
  }

  /**
   * Controlled shutdown: each replicated partition led here moves to its first other live ISR
   * member under a newer epoch (compare-and-swap; the ISR members have every committed record),
   * so clients and followers switch over before this broker stops serving. Returns how many
   * moved.
   */
  moveLeadershipAway(live: ReadonlySet<number>): Promise<number> {
    return moveLeadershipAway(this.handoverContext(), live);
  }

  /**
   * This broker's session ended: others may already lead its partitions, so it stops leading
   * replicated ones (acks=all waits fail, fetches are refused) until it is re-elected or
   * reclaims them under a newer epoch (reclaimLeadership, once registered again).
   */
  fenceLeadership(): void {
    for (const p of this.partitions.values()) {
      if (!p.isReplicated || p.assignment.leader !== this.nodeId) continue;
      p.staleLeaderEpoch = p.leaderEpoch;
      this.leadershipChanged(p);
    }
  }

  /**
   * Partitions this broker led before it restarted: leads them again under a newer epoch if
   * nobody moved them meanwhile (compare-and-swap on the topic). Call once registered.
   */
  reclaimLeadership(): Promise<void> {
    return reclaimLeadership(this.handoverContext());
  }

  private handoverContext() {
    return {
      nodeId: this.nodeId,
      topics: this.topics,
      partitions: this.partitions.values(),
      logger: this.options.logger,
    };
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
   * NOT_ENOUGH_REPLICAS then; with acks 0 or 1 the setting does not apply). Like Kafka 3.9
   * (Partition.effectiveMinIsr), the setting is capped at the replication factor, so a
   * single-replica partition always accepts acks=-1. The group coordinator appends its own
   * records here too (origin 'coordinator', acks=-1, as Kafka writes __consumer_offsets).
   */
  appendRecordsToLeader(
    partition: Partition,
    records: Buffer,
    requiredAcks: number,
    origin: AppendOrigin = 'client',
    checkedBatch?: RecordBatchHeader,
  ): AppendResult {
    const minIsr = Math.min(
      partition.log.config.minInsyncReplicas,
      partition.assignment.replicas.length,
    );
    const isrSize = partition.assignment.isr.length;
    if (requiredAcks === -1 && isrSize < minIsr) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `${partition.topic}-${partition.partition} has ${isrSize} in-sync replica(s), min.insync.replicas is ${minIsr}`,
      );
    }
    const result = partition.log.append(records, {
      origin,
      leaderEpoch: partition.leaderEpoch,
      checkedBatch,
    });
    if (!result.duplicate) {
      if (partition.isReplicated) this.maybeAdvanceHighWatermark(partition);
      this.notifyAppend(partition);
    }
    return result;
  }

  /**
   * acks=all: resolves with NONE once the high watermark passes `offset` with the ISR at least
   * min.insync.replicas, NOT_ENOUGH_REPLICAS_AFTER_APPEND when it passes with fewer,
   * NOT_LEADER_OR_FOLLOWER when leadership moves, REQUEST_TIMED_OUT after `timeoutMs`.
   */
  waitForCommit(partition: Partition, offset: number, timeoutMs: number): Promise<number> {
    return this.commitWaiters.wait(partition, offset, timeoutMs);
  }

  /**
   * Leader side of a follower's fetch at `fetchOffset` (its log end offset): records its
   * position, adds it to the ISR once caught up, and moves the high watermark.
   */
  recordFollowerFetch(partition: Partition, replicaId: number, fetchOffset: number): void {
    if (!partition.isLeader || !partition.assignment.replicas.includes(replicaId)) return;
    const now = this.clock();
    const leaderEnd = partition.logEndOffset;
    let f = partition.followers.get(replicaId);
    if (!f) {
      f = {
        logEndOffset: -1,
        lastCaughtUpTimeMs: now,
        lastFetchTimeMs: now,
        lastFetchLeaderLogEndOffset: -1,
      };
      partition.followers.set(replicaId, f);
    }
    if (fetchOffset >= leaderEnd) f.lastCaughtUpTimeMs = now;
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset) f.lastCaughtUpTimeMs = f.lastFetchTimeMs;
    f.logEndOffset = Math.min(fetchOffset, leaderEnd);
    f.lastFetchTimeMs = now;
    f.lastFetchLeaderLogEndOffset = leaderEnd;
    if (!partition.assignment.isr.includes(replicaId) && f.logEndOffset >= partition.hw) {
      this.alterIsr(partition, [...partition.assignment.isr, replicaId], 'caught up');
    }
    this.maybeAdvanceHighWatermark(partition);
  }

  /** Follower side: the leader's high watermark, from a fetch answer. */
  updateFollowerHighWatermark(partition: Partition, leaderHighWatermark: number): void {
    const hw = Math.min(leaderHighWatermark, partition.logEndOffset);
    if (hw > partition.hw) partition.hw = hw;
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

  /** Leader: the smallest log end offset in the ISR, if that moves the high watermark up. */
  private maybeAdvanceHighWatermark(p: Partition): void {
    if (!p.isLeader) return;
    let hw = p.logEndOffset;
    for (const r of p.assignment.isr) {
      if (r === this.nodeId) continue;
      hw = Math.min(hw, p.followers.get(r)?.logEndOffset ?? -1);
    }
    if (hw <= p.hw) return;
    p.hw = hw;
    this.notifyAppend(p);
    this.commitWaiters.checkPartition(p);
  }

  /** Removes followers that have not caught up for replica.lag.time.max.ms from the ISR. */
  private shrinkIsrs(): void {
    const now = this.clock();
    for (const p of this.partitions.values()) {
      if (!p.isLeader || !p.isReplicated || p.isrChangeInFlight) continue;
      const lagging = laggingFollowers(p, this.nodeId, now, this.lagMaxMs);
      if (lagging.length === 0) continue;
      this.alterIsr(
        p,
        p.assignment.isr.filter((r) => !lagging.includes(r)),
        `broker(s) ${lagging.join(',')} lagging over ${this.lagMaxMs} ms`,
      );
    }
  }

  private alterIsr(p: Partition, isr: number[], why: string): void {
    alterIsr(
      { nodeId: this.nodeId, topics: this.topics, logger: this.options.logger },
      p,
      isr,
      why,
    );
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
          // Reassigned away: the fetcher stops following it before its log goes.
          this.partitions.delete(key);
          this.commitWaiters.checkPartition(existing);
          for (const l of this.leadershipListeners) l();
          this.notifyAppend(existing);
          this.logManager.deleteLog(topic.name, a.partition);
          this.options.logger?.info(
            `${topic.name}-${a.partition}: replica removed from this broker (replicas now [${a.replicas.join(',')}])`,
          );
        }
        continue;
      }
      if (existing && existing.topicId === topic.topicId) {
        const before = existing.assignment;
        existing.assignment = a;
        if (
          before.leader !== a.leader ||
          before.leaderEpoch !== a.leaderEpoch ||
          before.replicas.join() !== a.replicas.join()
        ) {
          this.leadershipChanged(existing);
        } else if (before.isr.join() !== a.isr.join()) {
          this.maybeAdvanceHighWatermark(existing);
          this.commitWaiters.checkPartition(existing);
        }
        continue;
      }
      const log = this.logManager.getOrCreateLog(topic.name, a.partition, this.configFor(topic));
      const created = new Partition(topic.name, topic.topicId, a.partition, log, a, this.nodeId);
      this.partitions.set(key, created);
      this.leadershipChanged(created);
    }
  }

  private leadershipChanged(p: Partition): void {
    p.followers.clear();
    if (p.isLeader) {
      const now = this.clock();
      for (const r of p.assignment.replicas) {
        if (r === this.nodeId) continue;
        p.followers.set(r, {
          logEndOffset: -1,
          lastCaughtUpTimeMs: now,
          lastFetchTimeMs: now,
          lastFetchLeaderLogEndOffset: -1,
        });
      }
      this.maybeAdvanceHighWatermark(p);
    }
    this.commitWaiters.checkPartition(p);
    for (const l of this.leadershipListeners) l();
    // Fetches waiting on this partition answer now (with NOT_LEADER_OR_FOLLOWER if so).
    this.notifyAppend(p);
  }

  /** Logs left on disk for topics that no longer exist (deleted while this broker was down). */
  private removeStrayLogs(): void {
    for (const [tp] of [...this.logManager.allLogs()]) {
      if (!this.partitions.has(`${tp.topic}\0${tp.partition}`))
        this.logManager.deleteLog(tp.topic, tp.partition);
    }
  }
}

// A partition as one of its replicas sees it: the local log, the assignment (leader, leader
// epoch, replicas, ISR) and the high watermark; as leader, also what it knows of each follower.
// The ReplicaManager owns these and changes them; handlers read them.
import type { PartitionLog } from '../storage/log.js';
import type { PartitionAssignment } from './topic-registry.js';

/** What the leader knows of a follower, from its fetches (Kafka's Replica state). */
export interface FollowerState {
  /** -1 until the follower fetched under the current leader epoch. */
  logEndOffset: number;
  lastCaughtUpTimeMs: number;
  lastFetchTimeMs: number;
  lastFetchLeaderLogEndOffset: number;
}

export class Partition {
  /** Leader: followers by broker id; reset on every leader epoch. */
  readonly followers = new Map<number, FollowerState>();
  /** Replicated partitions only: the committed offset as this replica knows it. */
  hw = 0;
  /**
   * A leader epoch this broker held before it restarted: it does not lead under it again (the
   * others may have moved on without it) until it is re-elected under a newer epoch.
   */
  staleLeaderEpoch: number | undefined;
  /** An ISR change of ours is being written. */
  isrChangeInFlight = false;

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
    return this.assignment.leader === this.nodeId && this.staleLeaderEpoch !== this.leaderEpoch;
  }
  /** This broker holds a replica that another (live or not yet elected) broker leads. */
  get isFollower(): boolean {
    return this.assignment.leader !== this.nodeId;
  }
  get isReplicated(): boolean {
    return this.assignment.replicas.length > 1;
  }
  /** The offset below which records are committed: visible to consumers. */
  get highWatermark(): number {
    if (!this.isReplicated) return this.log.logEndOffset;
    return Math.min(this.hw, this.log.logEndOffset);
  }
  /**
   * Keeps the stored high watermark within the log after it shrank or started over (truncation,
   * a recovered log shorter than a checkpoint): never above the log end, never below the start.
   */
  clampHighWatermarkToLog(): void {
    this.hw = Math.max(this.log.logStartOffset, Math.min(this.hw, this.log.logEndOffset));
  }
  get logStartOffset(): number {
    return this.log.logStartOffset;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }
}

// acks=all produces waiting for the high watermark of the partition they were appended to (the
// leader's side of Kafka's DelayedProduce). Each wait is settled exactly once: when the high
// watermark passes its offset, when leadership moves, or when its timeout fires.
import { ErrorCode } from '../protocol/errors.js';
import type { Partition } from './partition.js';

interface CommitWaiter {
  partition: Partition;
  leaderEpoch: number;
  offset: number;
  resolve: (errorCode: number) => void;
  timer: NodeJS.Timeout;
}

export class CommitWaiters {
  private readonly waiters = new Set<CommitWaiter>();

  /** `current` names the Partition object held now for a topic-partition (it is replaced on re-creation). */
  constructor(private readonly current: (p: Partition) => Partition | undefined) {}

  /**
   * Resolves with NONE once the high watermark passes `offset` with the ISR at least
   * min.insync.replicas, NOT_ENOUGH_REPLICAS_AFTER_APPEND when it passes with fewer,
   * NOT_LEADER_OR_FOLLOWER when leadership moves, REQUEST_TIMED_OUT after `timeoutMs`.
   */
  wait(partition: Partition, offset: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      const waiter: CommitWaiter = {
        partition,
        leaderEpoch: partition.leaderEpoch,
        offset,
        resolve,
        timer: setTimeout(
          () => this.finish(waiter, ErrorCode.REQUEST_TIMED_OUT),
          Math.max(0, timeoutMs),
        ),
      };
      this.waiters.add(waiter);
      this.check(waiter);
    });
  }

  /** Settles the waits on `partition` that its high watermark or leadership now decides. */
  checkPartition(partition: Partition): void {
    for (const w of [...this.waiters]) if (w.partition === partition) this.check(w);
  }

  /** Settles every wait with `errorCode` (the broker is shutting down). */
  failAll(errorCode: number): void {
    for (const w of [...this.waiters]) this.finish(w, errorCode);
  }

  private check(w: CommitWaiter): void {
    const p = w.partition;
    if (this.current(p) !== p || !p.isLeader || p.leaderEpoch !== w.leaderEpoch) {
      this.finish(w, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      return;
    }
    if (p.highWatermark < w.offset) return;
    // Kafka's effective min ISR: never more than the replicas there are.
    const minIsr = Math.min(p.log.config.minInsyncReplicas, p.assignment.replicas.length);
    const enough = p.assignment.isr.length >= minIsr;
    this.finish(w, enough ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
  }

  private finish(w: CommitWaiter, errorCode: number): void {
    if (!this.waiters.delete(w)) return;
    clearTimeout(w.timer);
    w.resolve(errorCode);
  }
}

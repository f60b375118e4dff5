// The fetch long-poll (Kafka's DelayedFetch in its fetch purgatory). A fetch that found fewer
// than min_bytes waits here until enough bytes are readable, max_wait_ms passes, or its
// connection closes; the other connections carry on, since waiting is only a pending promise.
//
// Appends wake the fetches watching that partition (ReplicaManager.onAppend). Whether enough has
// arrived is decided from positions, without reading: the bytes between where the fetch's read
// stopped and the high watermark, in the same segment, capped by the partition's max bytes. A
// high watermark in a newer segment, a partition gone, recreated or no longer led here complete
// the fetch at once (it is re-read and answered with what the log says now).
import type { Partition, ReplicaManager } from '../cluster/replica-manager.js';
import type { LogOffsetMetadata } from '../storage/log.js';

export interface DelayedFetchPartition {
  /** The replica that was read; another object under the same name means it was recreated. */
  readonly partition: Partition;
  /** Where the read stopped: the fetch offset's position in its segment. */
  readonly fetchOffsetMetadata: LogOffsetMetadata;
  readonly maxBytes: number;
  /** A follower's fetch waits for the log end offset, not the high watermark. */
  readonly followerFetch?: boolean;
}

export type DelayedFetchOutcome = 'satisfied' | 'expired' | 'aborted';

export interface DelayedFetchOptions {
  readonly partitions: readonly DelayedFetchPartition[];
  readonly minBytes: number;
  readonly maxWaitMs: number;
  /** The connection closing: nobody will read the answer. */
  readonly signal?: AbortSignal;
}

class DelayedFetch {
  private timer: NodeJS.Timeout | undefined;
  private onAbort: (() => void) | undefined;
  done = false;

  constructor(
    readonly options: DelayedFetchOptions,
    private readonly replicaManager: ReplicaManager,
    private readonly finish: (op: DelayedFetch, outcome: DelayedFetchOutcome) => void,
    readonly resolve: (outcome: DelayedFetchOutcome) => void,
  ) {}

  start(): void {
    this.timer = setTimeout(() => this.finish(this, 'expired'), this.options.maxWaitMs);
    this.timer.unref();
    const signal = this.options.signal;
    if (signal) {
      this.onAbort = () => this.finish(this, 'aborted');
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  stop(): void {
    this.done = true;
    clearTimeout(this.timer);
    if (this.onAbort) this.options.signal?.removeEventListener('abort', this.onAbort);
  }

  /** Kafka's DelayedFetch.tryComplete conditions, for a consumer reading up to the high watermark. */
  canComplete(): boolean {
    let accumulated = 0;
    for (const p of this.options.partitions) {
      const { partition } = p;
      const current = this.replicaManager.partition(partition.topic, partition.partition);
      if (current !== partition || !current.isLeader) return true;
      const end = current.log.offsetMetadata(
        p.followerFetch ? current.logEndOffset : current.highWatermark,
      );
      if (!end) return true;
      const from = p.fetchOffsetMetadata;
      if (end.messageOffset === from.messageOffset) continue;
      if (
        end.segmentBaseOffset !== from.segmentBaseOffset ||
        end.messageOffset < from.messageOffset
      )
        return true;
      accumulated += Math.min(
        end.relativePositionInSegment - from.relativePositionInSegment,
        p.maxBytes,
      );
    }
    return accumulated >= this.options.minBytes;
  }
}

export class DelayedFetchPurgatory {
  private readonly watchers = new Map<Partition, Set<DelayedFetch>>();
  private readonly unsubscribe: () => void;

  constructor(private readonly replicaManager: ReplicaManager) {
    this.unsubscribe = replicaManager.onAppend((p) => this.checkAndComplete(p));
  }

  /** Number of fetches waiting, for tests and metrics. */
  get size(): number {
    const all = new Set<DelayedFetch>();
    for (const set of this.watchers.values()) for (const op of set) all.add(op);
    return all.size;
  }

  /**
   * Waits until the fetch can complete. Checks once more before watching, since an append may
   * have landed between the caller's read and now.
   */
  wait(options: DelayedFetchOptions): Promise<DelayedFetchOutcome> {
    if (options.signal?.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const op = new DelayedFetch(
        options,
        this.replicaManager,
        (o, why) => this.finish(o, why),
        resolve,
      );
      if (op.canComplete()) {
        resolve('satisfied');
        return;
      }
      for (const p of options.partitions) {
        let set = this.watchers.get(p.partition);
        if (!set) this.watchers.set(p.partition, (set = new Set()));
        set.add(op);
      }
      op.start();
    });
  }

  close(): void {
    this.unsubscribe();
    for (const set of [...this.watchers.values()]) {
      for (const op of [...set]) this.finish(op, 'aborted');
    }
  }

  private checkAndComplete(partition: Partition): void {
    const set = this.watchers.get(partition);
    if (!set) return;
    for (const op of [...set]) {
      if (!op.done && op.canComplete()) this.finish(op, 'satisfied');
    }
  }

  private finish(op: DelayedFetch, outcome: DelayedFetchOutcome): void {
    if (op.done) return;
    op.stop();
    for (const p of op.options.partitions) {
      const set = this.watchers.get(p.partition);
      if (!set) continue;
      set.delete(op);
      if (set.size === 0) this.watchers.delete(p.partition);
    }
    op.resolve(outcome);
  }
}

const purgatories = new WeakMap<ReplicaManager, DelayedFetchPurgatory>();

/** The broker's purgatory, created on first use (one per replica manager). */
export function delayedFetchPurgatory(replicaManager: ReplicaManager): DelayedFetchPurgatory {
  let p = purgatories.get(replicaManager);
  if (!p) purgatories.set(replicaManager, (p = new DelayedFetchPurgatory(replicaManager)));
  return p;
}

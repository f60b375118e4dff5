// The controller's duties, run by whichever broker holds the controller election: when a broker
// leaves (its session lease ended, or it shut down and deregistered), each partition it led gets
// a new leader from the live part of its ISR under a bumped leader epoch, and departed brokers
// leave ISRs; a partition with no live ISR member stays leaderless (leader -1) until one comes
// back, unless unclean.leader.election.enable allows a live replica outside the ISR.
//
// It also carries reassignments forward (reassignment.ts): once every target replica of a
// partition being moved is in the ISR, the replicas being removed are dropped in one write.
// With auto.leader.rebalance.enable it gives leadership back to preferred replicas, as Kafka's
// controller does every leader.imbalance.check.interval.seconds.
//
// Every write is a compare-and-swap on the topic's revision fenced by the controller's election
// key, so a controller that lost its election cannot overwrite its successor. A write that loses
// a race is not retried blindly: the topic watch brings the newer state and the controller
// decides again from it (it re-checks on every topic or broker change, and every few seconds).
import type { ControllerElection } from './controller-election.js';
import type { BrokerMembership } from './membership.js';
import type { StoreLogger } from './metadata-store.js';
import { completeReassignment, electForAdmin, isReassigning } from './reassignment.js';
import type { PartitionAssignment, TopicMetadata, TopicRegistry } from './topic-registry.js';

export interface ControllerOptions {
  topics: TopicRegistry;
  membership: BrokerMembership;
  election: ControllerElection;
  /** unclean.leader.election.enable of a topic (its override, else the broker default). */
  uncleanLeaderElection: (topic: TopicMetadata) => boolean;
  logger: StoreLogger;
  /** Safety net for missed changes. Default 3000. */
  recheckIntervalMs?: number;
  /** auto.leader.rebalance.enable with its interval and leader.imbalance.per.broker.percentage. */
  autoLeaderRebalance?: { intervalMs: number; imbalancePercentage: number };
}

/**
 * What the controller writes for a partition given the live brokers, or undefined when nothing
 * changes. Pure, so that the election rules are tested without a store.
 */
export function electLeader(
  a: PartitionAssignment,
  live: ReadonlySet<number>,
  unclean: boolean,
): PartitionAssignment | undefined {
  const liveIsr = a.isr.filter((r) => live.has(r));
  if (a.leader >= 0 && live.has(a.leader)) {
    // A dead follower leaves the ISR at once rather than after replica.lag.time.max.ms.
    if (liveIsr.length === a.isr.length) return undefined;
    return { ...a, isr: liveIsr };
  }
  const clean = a.replicas.find((r) => liveIsr.includes(r));
  if (clean !== undefined) {
    return { ...a, leader: clean, leaderEpoch: a.leaderEpoch + 1, isr: liveIsr };
  }
  const anyLive = unclean ? a.replicas.find((r) => live.has(r)) : undefined;
  if (anyLive !== undefined) {
    return { ...a, leader: anyLive, leaderEpoch: a.leaderEpoch + 1, isr: [anyLive] };
  }
  // Offline: keep the ISR (its last members are the only clean candidates when they return).
  if (a.leader === -1) return undefined;
  return { ...a, leader: -1, leaderEpoch: a.leaderEpoch + 1 };
}

/** Everything the controller would change for a partition now: a leader, the ISR, a move. */
export function controllerDecision(
  a: PartitionAssignment,
  live: ReadonlySet<number>,
  unclean: boolean,
): PartitionAssignment | undefined {
  const elected = electLeader(a, live, unclean);
  return completeReassignment(elected ?? a, live) ?? elected;
}

/**
 * Kafka's auto leader rebalance: for each broker, the partitions whose preferred (first) replica
 * it is; when more than `imbalancePercentage` % of them are led by another broker, those whose
 * preferred replica is live and in the ISR (and that are not being moved) get it back.
 */
export function rebalanceCandidates(
  topics: readonly TopicMetadata[],
  live: ReadonlySet<number>,
  imbalancePercentage: number,
): { topic: string; partition: number }[] {
  const byPreferred = new Map<number, { topic: string; a: PartitionAssignment }[]>();
  for (const t of topics) {
    for (const a of t.partitions) {
      const preferred = a.replicas[0];
      if (preferred === undefined) continue;
      let list = byPreferred.get(preferred);
      if (!list) byPreferred.set(preferred, (list = []));
      list.push({ topic: t.name, a });
    }
  }
  const out: { topic: string; partition: number }[] = [];
  for (const [broker, list] of byPreferred) {
    if (!live.has(broker)) continue;
    const elsewhere = list.filter(({ a }) => a.leader !== broker);
    if (elsewhere.length * 100 <= imbalancePercentage * list.length) continue;
    for (const { topic, a } of elsewhere) {
      if (a.isr.includes(broker) && !isReassigning(a)) out.push({ topic, partition: a.partition });
    }
  }
  return out;
}

export class Controller {
  private readonly unsubscribe: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private rebalanceTimer: NodeJS.Timeout | undefined;
  private rebalanceDue = false;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly o: ControllerOptions) {
    this.unsubscribe.push(
      o.election.onChange((state) => {
        if (state.isController) this.schedule();
      }),
      o.membership.onChange((e) => {
        if (e.type === 'brokerLeft' || e.type === 'brokerJoined') this.schedule();
      }),
      o.topics.onChange(() => this.schedule()),
    );
    this.timer = setInterval(() => this.schedule(), o.recheckIntervalMs ?? 3000);
    this.timer.unref();
    if (o.autoLeaderRebalance) {
      this.rebalanceTimer = setInterval(
        () => {
          this.rebalanceDue = true;
          this.schedule();
        },
        Math.min(o.autoLeaderRebalance.intervalMs, 2 ** 31 - 1),
      );
      this.rebalanceTimer.unref();
    }
    this.schedule();
  }

  /** Waits for a pass in progress; no more passes after this. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.rebalanceTimer);
    for (const u of this.unsubscribe) u();
    await this.running;
  }

  private schedule(): void {
    if (this.closed || !this.o.election.isController) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.reconcile()
      .catch((err: Error) => this.o.logger.warn(`controller: ${err.message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
  }

  private async reconcile(): Promise<void> {
    const live = new Set(this.o.membership.liveBrokerIds());
    for (const topic of this.o.topics.topics()) {
      for (const a of topic.partitions) {
        const fence = this.o.election.fence;
        if (this.closed || !fence) return;
        const unclean = this.o.uncleanLeaderElection(topic);
        const decided = controllerDecision(a, live, unclean);
        if (!decided) continue;
        const done = await this.o.topics.updatePartition(
          topic.name,
          a.partition,
          (current) => controllerDecision(current, live, unclean),
          { fence },
        );
        if (!done) continue;
        const cur = this.o.topics.topic(topic.name)?.partitions[a.partition];
        if (!cur) continue;
        const what = `${topic.name}-${a.partition}`;
        if (isReassigning(a) && !isReassigning(cur)) {
          this.o.logger.info(
            `controller: ${what} reassignment done: replicas [${cur.replicas.join(',')}], leader ${cur.leader} at epoch ${cur.leaderEpoch}, ISR [${cur.isr.join(',')}]`,
          );
        } else if (cur.leader !== a.leader) {
          const how =
            cur.leader === -1
              ? 'offline: no live replica in the ISR'
              : a.isr.includes(cur.leader)
                ? 'elected from the ISR'
                : 'UNCLEAN election outside the ISR';
          this.o.logger.info(
            `controller: ${what} leader ${a.leader} -> ${cur.leader} at epoch ${cur.leaderEpoch} (${how}), ISR [${cur.isr.join(',')}]`,
          );
        } else {
          this.o.logger.info(
            `controller: ${what} ISR [${a.isr.join(',')}] -> [${cur.isr.join(',')}]`,
          );
        }
      }
    }
    if (this.rebalanceDue && this.o.autoLeaderRebalance) {
      this.rebalanceDue = false;
      await this.rebalanceLeaders(live, this.o.autoLeaderRebalance.imbalancePercentage);
    }
  }

  /** One auto leader rebalance: preferred replicas lead again where a broker is imbalanced. */
  private async rebalanceLeaders(live: ReadonlySet<number>, percentage: number): Promise<void> {
    for (const { topic, partition } of rebalanceCandidates(
      this.o.topics.topics(),
      live,
      percentage,
    )) {
      const fence = this.o.election.fence;
      if (this.closed || !fence) return;
      const done = await this.o.topics.updatePartition(
        topic,
        partition,
        (a) => {
          try {
            return electForAdmin(a, 'preferred', live);
          } catch {
            return undefined; // no longer needed, or the preferred replica left the ISR
          }
        },
        { fence },
      );
      if (done) {
        const cur = this.o.topics.topic(topic)?.partitions[partition];
        this.o.logger.info(
          `controller: ${topic}-${partition} leader back to its preferred replica ${cur?.leader} at epoch ${cur?.leaderEpoch} (auto leader rebalance)`,
        );
      }
    }
  }
}

// How a leader changes the ISR of a partition it leads (Kafka's AlterPartition, here a
// compare-and-swap on the topic): which followers lag too long to stay in it, and the write of a
// new ISR that only lands while the leadership it was decided under still holds.
import type { Partition } from './partition.js';
import type { TopicRegistry } from './topic-registry.js';

/** ISR members (other than the leader) that have not caught up for more than `lagMaxMs`. */
export function laggingFollowers(
  p: Partition,
  leaderId: number,
  now: number,
  lagMaxMs: number,
): number[] {
  return p.assignment.isr.filter((r) => {
    if (r === leaderId) return false;
    const f = p.followers.get(r);
    return !f || now - f.lastCaughtUpTimeMs > lagMaxMs;
  });
}

export interface IsrChangeContext {
  nodeId: number;
  topics: TopicRegistry;
  logger?: { info(m: string): void; warn(m: string): void };
}

/**
 * Writes a new ISR for a partition led here, if its leadership is unchanged meanwhile. One change
 * per partition is in flight at a time; the result comes back through the registry's watch.
 */
export function alterIsr(ctx: IsrChangeContext, p: Partition, isr: number[], why: string): void {
  if (p.isrChangeInFlight) return;
  p.isrChangeInFlight = true;
  const { leaderEpoch } = p;
  const sorted = [...new Set(isr)].sort((a, b) => a - b);
  ctx.topics
    .updatePartition(p.topic, p.partition, (a) =>
      a.leader === ctx.nodeId && a.leaderEpoch === leaderEpoch ? { ...a, isr: sorted } : undefined,
    )
    .then(
      (done) => {
        if (done) {
          ctx.logger?.info(`${p.topic}-${p.partition}: ISR is now [${sorted.join(',')}] (${why})`);
        }
      },
      (err: Error) =>
        ctx.logger?.warn(
          `${p.topic}-${p.partition}: cannot change the ISR to [${sorted.join(',')}]: ${err.message}`,
        ),
    )
    .finally(() => {
      p.isrChangeInFlight = false;
    });
}

// Leadership changes a broker makes for itself, by compare-and-swap on the topic (not through the
// controller): handing partitions away at controlled shutdown, and claiming back under a newer
// leader epoch the partitions it led before a restart or a lost session.
import type { Partition } from './partition.js';
import type { TopicRegistry } from './topic-registry.js';

export interface HandoverContext {
  nodeId: number;
  topics: TopicRegistry;
  partitions: Iterable<Partition>;
  logger?: { info(m: string): void; warn(m: string): void };
}

/**
 * Controlled shutdown: each replicated partition led here moves to its first other live ISR
 * member under a newer epoch (the ISR members have every committed record), so clients and
 * followers switch over before this broker stops serving. Returns how many moved.
 */
export async function moveLeadershipAway(
  ctx: HandoverContext,
  live: ReadonlySet<number>,
): Promise<number> {
  const { nodeId } = ctx;
  let moved = 0;
  for (const p of [...ctx.partitions]) {
    if (!p.isReplicated || !p.isLeader) continue;
    const epoch = p.leaderEpoch;
    const done = await ctx.topics
      .updatePartition(p.topic, p.partition, (a) => {
        const next = a.replicas.find((r) => r !== nodeId && a.isr.includes(r) && live.has(r));
        if (a.leader !== nodeId || a.leaderEpoch !== epoch || next === undefined) {
          return undefined;
        }
        const isr = a.isr.filter((r) => r !== nodeId);
        return { ...a, leader: next, leaderEpoch: epoch + 1, isr };
      })
      .catch(() => false);
    if (done) moved++;
  }
  return moved;
}

/**
 * Partitions this broker led before it restarted (or lost its session): leads them again under a
 * newer epoch if nobody moved them meanwhile. Call once registered.
 */
export async function reclaimLeadership(ctx: HandoverContext): Promise<void> {
  const { nodeId, logger } = ctx;
  for (const p of [...ctx.partitions]) {
    const stale = p.staleLeaderEpoch;
    if (stale === undefined || p.assignment.leader !== nodeId || p.leaderEpoch !== stale) {
      continue;
    }
    const done = await ctx.topics
      .updatePartition(p.topic, p.partition, (a) =>
        a.leader === nodeId && a.leaderEpoch === stale
          ? { ...a, leaderEpoch: a.leaderEpoch + 1 }
          : undefined,
      )
      .catch((err: Error) => {
        logger?.warn(`cannot lead ${p.topic}-${p.partition} again after restart: ${err.message}`);
        return false;
      });
    if (done)
      logger?.info(`leading ${p.topic}-${p.partition} again at epoch ${stale + 1} after restart`);
  }
}

// Reassignment plans for `samsa cluster reassign|decommission|add-broker`: reading Kafka's plan
// JSON (kafka-reassign-partitions' {"version":1,"partitions":[{topic,partition,replicas}]}), and
// computing the moves that empty a broker or give a new one its fair share. Pure functions of the
// current placement, so the spreading rules are tested without a cluster.
import { CliError, UsageError } from './cli-error.js';

export interface PlacedPartition {
  topic: string;
  partition: number;
  replicas: number[];
}

/** Partitions in a stable order: topic name, then partition. */
function ordered(partitions: readonly PlacedPartition[]): PlacedPartition[] {
  return [...partitions].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
}

/** Reads a plan in kafka-reassign-partitions' format; `source` names it in messages. */
export function parsePlan(text: string, source: string): PlacedPartition[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not JSON: ${(err as Error).message}`);
  }
  const partitions = (doc as { partitions?: unknown } | null)?.partitions;
  if (!Array.isArray(partitions)) {
    throw new UsageError(
      `${source} needs {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}, ...]}`,
    );
  }
  const seen = new Set<string>();
  return partitions.map((p: unknown, i: number) => {
    const { topic, partition, replicas } = (p ?? {}) as Record<string, unknown>;
    const where = `${source}: partitions[${i}]`;
    if (typeof topic !== 'string' || topic === '') throw new UsageError(`${where} has no topic`);
    if (!Number.isInteger(partition) || (partition as number) < 0) {
      throw new UsageError(`${where} needs a partition number`);
    }
    if (
      !Array.isArray(replicas) ||
      replicas.length === 0 ||
      !replicas.every((r) => Number.isInteger(r) && r >= 0)
    ) {
      throw new UsageError(`${where} needs replicas: a non-empty list of broker ids`);
    }
    const key = `${topic}/${partition}`;
    if (seen.has(key)) throw new UsageError(`${where}: ${key} is in the plan twice`);
    seen.add(key);
    return { topic, partition: partition as number, replicas: replicas as number[] };
  });
}

/** The plan JSON for partitions, as kafka-reassign-partitions writes it. */
export function formatPlan(partitions: readonly PlacedPartition[]): string {
  return JSON.stringify({
    version: 1,
    partitions: partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      replicas: p.replicas,
    })),
  });
}

function replicaCounts(partitions: readonly PlacedPartition[], brokers: readonly number[]) {
  const counts = new Map<number, number>(brokers.map((b) => [b, 0]));
  for (const p of partitions) for (const r of p.replicas) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/**
 * Moves every replica off `broker`, keeping each partition's replication factor: each replica
 * goes, in its place in the list, to the live broker holding the fewest replicas so far that the
 * partition is not already on (ties: the lower id). Only partitions on `broker` are in the plan.
 */
export function decommissionPlan(
  partitions: readonly PlacedPartition[],
  broker: number,
  liveBrokers: readonly number[],
): PlacedPartition[] {
  const others = liveBrokers.filter((b) => b !== broker).sort((a, b) => a - b);
  const counts = replicaCounts(partitions, others);
  const plan: PlacedPartition[] = [];
  for (const p of ordered(partitions)) {
    if (!p.replicas.includes(broker)) continue;
    const candidates = others.filter((b) => !p.replicas.includes(b));
    if (candidates.length === 0) {
      throw new CliError(
        `cannot move ${p.topic}/${p.partition} off broker ${broker}: its replication factor ${p.replicas.length} needs ${p.replicas.length} live brokers besides broker ${broker}, and only ${others.length} are live`,
      );
    }
    const to = candidates.reduce((best, b) => (counts.get(b)! < counts.get(best)! ? b : best));
    counts.set(to, counts.get(to)! + 1);
    plan.push({ ...p, replicas: p.replicas.map((r) => (r === broker ? to : r)) });
  }
  return plan;
}

/**
 * Gives `broker` (new, usually empty) a fair share of replicas and of preferred leaderships.
 * Replicas: partitions are taken in order and the busiest of their replicas hands its place to
 * `broker` while that broker holds more than its share and `broker` less than its share. Leaders:
 * where `broker` is a replica but not first, it moves to the front while it prefers fewer
 * partitions than its share and the replica it displaces prefers more. Only changed partitions
 * are in the plan.
 */
export function addBrokerPlan(
  partitions: readonly PlacedPartition[],
  broker: number,
  liveBrokers: readonly number[],
): PlacedPartition[] {
  const brokers = [...new Set([...liveBrokers, broker])].sort((a, b) => a - b);
  const counts = replicaCounts(partitions, brokers);
  const total = partitions.reduce((n, p) => n + p.replicas.length, 0);
  const fair = Math.floor(total / brokers.length);
  const next = new Map<string, PlacedPartition>();
  const key = (p: PlacedPartition) => `${p.topic}\0${p.partition}`;
  for (const p of ordered(partitions)) {
    if (counts.get(broker)! >= fair) break;
    if (p.replicas.includes(broker)) continue;
    // Ties go to the last replica: the preferred leader is balanced separately below.
    const busiest = [...p.replicas]
      .reverse()
      .reduce((best, r) => (counts.get(r)! > counts.get(best)! ? r : best));
    if (counts.get(busiest)! <= fair) continue;
    counts.set(busiest, counts.get(busiest)! - 1);
    counts.set(broker, counts.get(broker)! + 1);
    next.set(key(p), { ...p, replicas: p.replicas.map((r) => (r === busiest ? broker : r)) });
  }
  const current = ordered(partitions).map((p) => next.get(key(p)) ?? p);
  const leaders = new Map<number, number>(brokers.map((b) => [b, 0]));
  for (const p of current) leaders.set(p.replicas[0]!, (leaders.get(p.replicas[0]!) ?? 0) + 1);
  const fairLeaders = Math.floor(current.length / brokers.length);
  for (const p of current) {
    if (leaders.get(broker)! >= fairLeaders) break;
    const first = p.replicas[0]!;
    if (first === broker || !p.replicas.includes(broker) || leaders.get(first)! <= fairLeaders) {
      continue;
    }
    leaders.set(first, leaders.get(first)! - 1);
    leaders.set(broker, leaders.get(broker)! + 1);
    next.set(key(p), { ...p, replicas: [broker, ...p.replicas.filter((r) => r !== broker)] });
  }
  return ordered([...next.values()]);
}

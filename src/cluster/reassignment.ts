// Partition reassignment and admin-requested leader elections, as Kafka's controller does them.
// A reassignment is recorded in the partition's own state (addingReplicas, removingReplicas) so
// that whichever controller comes next resumes it: while it runs, `replicas` is the union of
// the target and the replicas being removed, new replicas fetch from the leader like any
// follower, and once every target replica is in the ISR the controller drops the removed ones in
// one write (moving leadership first if the leader is being removed, under a bumped leader
// epoch so removed replicas are fenced). Cancelling reverts to the replicas before the move.
//
// The functions here are pure (current state in, next state out) so the rules are tested without
// a store; the caller writes the result by compare-and-swap through the TopicRegistry.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { PartitionAssignment, TopicRegistry } from './topic-registry.js';

/** A partition is being reassigned while it has replicas to add or to remove. */
export function isReassigning(a: PartitionAssignment): boolean {
  return (a.addingReplicas?.length ?? 0) > 0 || (a.removingReplicas?.length ?? 0) > 0;
}

/** The replicas the partition will have once its reassignment completes. */
export function targetReplicas(a: PartitionAssignment): number[] {
  const removing = new Set(a.removingReplicas ?? []);
  return a.replicas.filter((r) => !removing.has(r));
}

/** The replicas the partition had before its reassignment began. */
export function originalReplicas(a: PartitionAssignment): number[] {
  const adding = new Set(a.addingReplicas ?? []);
  return a.replicas.filter((r) => !adding.has(r));
}

function withoutReassignment(a: PartitionAssignment): PartitionAssignment {
  const { addingReplicas: _adding, removingReplicas: _removing, ...rest } = a;
  return rest;
}

/**
 * Kafka's checks of a requested replica list: not empty, no broker twice, every broker
 * registered (INVALID_REPLICA_ASSIGNMENT otherwise).
 */
export function validateTarget(target: readonly number[], registered: ReadonlySet<number>): void {
  const fail = (why: string) => {
    throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, why);
  };
  if (target.length === 0) fail('the replica list is empty');
  const seen = new Set<number>();
  for (const b of target) {
    if (seen.has(b)) fail(`broker ${b} is named more than once`);
    seen.add(b);
    if (!registered.has(b)) fail(`broker ${b} is not registered`);
  }
}

/**
 * Starts (or redirects) a reassignment to `target`. Replicas already in the target stay; a move
 * already under way is redirected from the replicas it started from, so that cancelling later
 * still returns there. Undefined when nothing changes.
 */
export function startReassignment(
  a: PartitionAssignment,
  target: readonly number[],
): PartitionAssignment | undefined {
  const original = originalReplicas(a);
  const targetSet = new Set(target);
  // Everything held now and not wanted must go, including replicas added by an earlier target.
  const removing = a.replicas.filter((r) => !targetSet.has(r));
  // Replicas an earlier target added count as added until the move ends, so that a cancel
  // drops them too (they may then be both added and being removed).
  const replicas = [...target, ...removing];
  const adding = replicas.filter((r) => !original.includes(r));
  if (removing.length === 0 && adding.every((r) => a.isr.includes(r))) {
    // Nothing to copy: only the order (the preferred leader) may change.
    const next = withoutReassignment({ ...a, replicas: [...target] });
    if (!isReassigning(a) && a.replicas.join() === target.join()) return undefined;
    return next;
  }
  return {
    ...a,
    replicas,
    addingReplicas: adding,
    removingReplicas: removing,
  };
}

/**
 * Cancels a reassignment: back to the replicas it started from. NO_REASSIGNMENT_IN_PROGRESS when
 * there is none; ELIGIBLE_LEADERS_NOT_AVAILABLE when a new replica leads and none of the
 * original ones is live and in the ISR to take over.
 */
export function cancelReassignment(
  a: PartitionAssignment,
  live: ReadonlySet<number>,
): PartitionAssignment {
  if (!isReassigning(a)) {
    throw new KafkaError(
      ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
      `partition ${a.partition} has no reassignment in progress`,
    );
  }
  const reverted = finish(a, originalReplicas(a), live);
  if (!reverted) {
    throw new KafkaError(
      ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
      `partition ${a.partition}: no original replica is live and in the ISR to lead again`,
    );
  }
  return reverted;
}

/**
 * The controller's step for a partition being reassigned: once every target replica is in the
 * ISR, the removed replicas go. Undefined while it must wait (a target replica still catching
 * up, or no live target replica in the ISR to take over leadership).
 */
export function completeReassignment(
  a: PartitionAssignment,
  live: ReadonlySet<number>,
): PartitionAssignment | undefined {
  if (!isReassigning(a)) return undefined;
  const target = targetReplicas(a);
  if (!target.every((r) => a.isr.includes(r))) return undefined;
  return finish(a, target, live);
}

/** The partition on `replicas` alone, its leader moved into them if it is not already. */
function finish(
  a: PartitionAssignment,
  replicas: number[],
  live: ReadonlySet<number>,
): PartitionAssignment | undefined {
  const isr = a.isr.filter((r) => replicas.includes(r));
  let leader = a.leader;
  if (!replicas.includes(leader)) {
    const next = replicas.find((r) => isr.includes(r) && live.has(r));
    if (next === undefined) return undefined;
    leader = next;
  }
  return withoutReassignment({
    ...a,
    replicas,
    isr,
    leader,
    leaderEpoch: a.leaderEpoch + 1,
  });
}

export type ElectionType = 'preferred' | 'unclean';

/**
 * ElectLeaders for one partition. Preferred: the first replica leads if it is live and in the
 * ISR (PREFERRED_LEADER_NOT_AVAILABLE otherwise, ELECTION_NOT_NEEDED if it already leads).
 * Unclean: only for a partition without a leader: a live ISR member if there is one, else any
 * live replica, which then is the whole ISR (ELIGIBLE_LEADERS_NOT_AVAILABLE when none is live).
 */
export function electForAdmin(
  a: PartitionAssignment,
  type: ElectionType,
  live: ReadonlySet<number>,
): PartitionAssignment {
  const where = `partition ${a.partition}`;
  if (type === 'preferred') {
    const preferred = a.replicas[0]!;
    if (a.leader === preferred) {
      throw new KafkaError(
        ErrorCode.ELECTION_NOT_NEEDED,
        `${where}: broker ${preferred} already leads`,
      );
    }
    if (!live.has(preferred) || !a.isr.includes(preferred)) {
      throw new KafkaError(
        ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
        `${where}: the preferred leader ${preferred} is ${live.has(preferred) ? 'not in the ISR' : 'not live'}`,
      );
    }
    return { ...a, leader: preferred, leaderEpoch: a.leaderEpoch + 1 };
  }
  if (a.leader >= 0 && live.has(a.leader)) {
    throw new KafkaError(ErrorCode.ELECTION_NOT_NEEDED, `${where}: broker ${a.leader} leads`);
  }
  const clean = a.replicas.find((r) => live.has(r) && a.isr.includes(r));
  if (clean !== undefined) {
    return {
      ...a,
      leader: clean,
      leaderEpoch: a.leaderEpoch + 1,
      isr: a.isr.filter((r) => live.has(r)),
    };
  }
  const anyLive = a.replicas.find((r) => live.has(r));
  if (anyLive === undefined) {
    throw new KafkaError(
      ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
      `${where}: none of replicas ${a.replicas.join(',')} is live`,
    );
  }
  return { ...a, leader: anyLive, leaderEpoch: a.leaderEpoch + 1, isr: [anyLive] };
}

/**
 * Applies `decide` to a partition's current state and writes the result by compare-and-swap,
 * deciding again from the newer state when another writer (the controller, a leader changing
 * its ISR) got there first. Errors thrown by `decide` reach the caller; undefined means nothing
 * to write. UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist.
 */
export async function changePartition(
  topics: TopicRegistry,
  name: string,
  partition: number,
  decide: (current: PartitionAssignment) => PartitionAssignment | undefined,
  options: { deadlineMs?: number } = {},
): Promise<PartitionAssignment> {
  const deadline = Date.now() + (options.deadlineMs ?? 10_000);
  for (;;) {
    const current = topics.topic(name)?.partitions[partition];
    if (!current) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `${name}-${partition} does not exist`,
      );
    }
    if (decide(current) === undefined) return current;
    let decided: PartitionAssignment | undefined;
    const written = await topics.updatePartition(name, partition, (a) => {
      decided = decide(a);
      return decided;
    });
    if (written && decided) return decided;
    if (Date.now() > deadline) {
      throw new KafkaError(
        ErrorCode.REQUEST_TIMED_OUT,
        `${name}-${partition} kept changing under concurrent writers; try again`,
      );
    }
    // Lost a race: the store's watch brings the newer state shortly.
    await new Promise((r) => setTimeout(r, 50));
  }
}

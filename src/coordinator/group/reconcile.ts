// Moves a member from its current assignment towards the group's target, one safe step at a
// time (Kafka's CurrentAssignmentBuilder): partitions it must give up are revoked first (it
// keeps its epoch until it confirms), and partitions still owned by another member are held
// back (UNRELEASED_PARTITIONS) until that member lets them go. No partition is ever owned by
// two members at once.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { type Assignment, type ConsumerGroupMember, MemberState } from './consumer-group.js';
import type { TopicPartitionsById } from './types.js';

export interface ReconcileInput {
  member: ConsumerGroupMember;
  targetEpoch: number;
  target: Assignment;
  /** -1 when no member owns the partition. */
  partitionEpoch(topicId: string, partition: number): number;
  /** What the member says it owns; null when its heartbeat did not say. */
  owned: readonly TopicPartitionsById[] | null;
}

export function reconcile(input: ReconcileInput): ConsumerGroupMember {
  const { member } = input;
  switch (member.state) {
    case MemberState.Stable:
      if (member.memberEpoch === input.targetEpoch) return member;
      return computeNext(input, member.memberEpoch);
    case MemberState.UnrevokedPartitions:
      if (ownsAny(input.owned, member.partitionsPendingRevocation)) return member;
      return computeNext(input, member.memberEpoch + 1);
    case MemberState.UnreleasedPartitions:
      return computeNext(input, member.memberEpoch);
    default:
      if (input.owned === null || input.owned.length > 0) {
        throw new KafkaError(
          ErrorCode.FENCED_MEMBER_EPOCH,
          'The consumer group member is in an unknown state; it must give up its partitions and rejoin.',
        );
      }
      return computeNext(input, input.targetEpoch);
  }
}

/** A member that did not list what it owns is assumed to still own everything. */
function ownsAny(owned: readonly TopicPartitionsById[] | null, partitions: Assignment): boolean {
  if (owned === null) return true;
  for (const t of owned) {
    const pending = partitions.get(t.topicId);
    if (pending && t.partitions.some((p) => pending.has(p))) return true;
  }
  return false;
}

function computeNext(input: ReconcileInput, memberEpoch: number): ConsumerGroupMember {
  const { member, target, targetEpoch } = input;
  const assigned = new Map<string, Set<number>>();
  const revoking = new Map<string, Set<number>>();
  const pendingAssignment = new Map<string, Set<number>>();
  let unreleased = false;
  const topicIds = new Set([...target.keys(), ...member.assignedPartitions.keys()]);
  for (const topicId of topicIds) {
    const want = target.get(topicId) ?? new Set<number>();
    const have = member.assignedPartitions.get(topicId) ?? new Set<number>();
    const keep = [...have].filter((p) => want.has(p));
    const revoke = [...have].filter((p) => !want.has(p));
    const add: number[] = [];
    for (const p of want) {
      if (have.has(p)) continue;
      if (input.partitionEpoch(topicId, p) !== -1) unreleased = true;
      else add.push(p);
    }
    if (keep.length) assigned.set(topicId, new Set(keep));
    if (revoke.length) revoking.set(topicId, new Set(revoke));
    if (add.length) pendingAssignment.set(topicId, new Set(add));
  }
  const bumped = (epoch: number) => ({
    memberEpoch: epoch,
    previousMemberEpoch: member.memberEpoch,
  });
  if (revoking.size > 0 && ownsAny(input.owned, revoking)) {
    return {
      ...member,
      ...bumped(memberEpoch),
      state: MemberState.UnrevokedPartitions,
      assignedPartitions: assigned,
      partitionsPendingRevocation: revoking,
    };
  }
  for (const [topicId, ps] of pendingAssignment) {
    let s = assigned.get(topicId);
    if (!s) assigned.set(topicId, (s = new Set()));
    for (const p of ps) s.add(p);
  }
  return {
    ...member,
    ...bumped(targetEpoch),
    state: unreleased ? MemberState.UnreleasedPartitions : MemberState.Stable,
    assignedPartitions: assigned,
    partitionsPendingRevocation: new Map(),
  };
}

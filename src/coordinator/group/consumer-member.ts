// A KIP-848 consumer group member's checks and timers.
// Member epoch fencing (the previous epoch is accepted when the answer that bumped it may have
// been lost), the member checks of OffsetCommit and OffsetFetch, fencing a member out of the
// group, and its session and rebalance timeouts (scheduled again when a partition is loaded).
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import {
  type Assignment,
  type ConsumerGroup,
  type ConsumerGroupMember,
  groupEpochRecord,
  MemberState,
  memberTombstones,
  subscriptionMetadataRecord,
} from './consumer-group.js';
import { sameMetadata, subscriptionMetadata } from './consumer-subscription.js';
import type { GroupRecord } from './records.js';
import { result } from './result.js';
import type { GroupShard } from './shard.js';
import type { TopicPartitionsById } from './types.js';

export const sessionKey = (groupId: string, memberId: string) =>
  `session-timeout-${groupId}-${memberId}`;
export const rebalanceKey = (groupId: string, memberId: string) =>
  `rebalance-timeout-${groupId}-${memberId}`;

export function isSubset(
  owned: readonly TopicPartitionsById[] | null,
  target: Assignment,
): boolean {
  if (owned === null) return false;
  return owned.every((t) => {
    const ps = target.get(t.topicId);
    return t.partitions.every((p) => ps?.has(p) === true);
  });
}

export function checkMemberEpoch(
  member: ConsumerGroupMember,
  received: number,
  owned: readonly TopicPartitionsById[] | null,
): void {
  if (received > member.memberEpoch) {
    throw new KafkaError(
      ErrorCode.FENCED_MEMBER_EPOCH,
      `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
    );
  }
  // The previous epoch is accepted when the answer that bumped it may have been lost.
  if (
    received < member.memberEpoch &&
    (received !== member.previousMemberEpoch || !isSubset(owned, member.assignedPartitions))
  ) {
    throw new KafkaError(
      ErrorCode.FENCED_MEMBER_EPOCH,
      `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
    );
  }
}

export function unknownMember(memberId: string, groupId: string): KafkaError {
  return new KafkaError(
    ErrorCode.UNKNOWN_MEMBER_ID,
    `Member ${memberId} is not a member of group ${groupId}.`,
  );
}

/** The records removing a member: its own records, the group's new metadata and epoch. */
export function fenceMember(
  s: GroupShard,
  group: ConsumerGroup,
  member: ConsumerGroupMember,
): GroupRecord[] {
  const records = memberTombstones(group.groupId, member.memberId);
  const rest = [...group.members.values()].filter((m) => m.memberId !== member.memberId);
  const metadata = subscriptionMetadata(rest, s.topics);
  if (!sameMetadata(metadata, group.subscriptionMetadata))
    records.push(subscriptionMetadataRecord(group.groupId, metadata));
  records.push(groupEpochRecord(group.groupId, group.groupEpoch + 1));
  cancelTimers(s, group.groupId, member.memberId);
  return records;
}

export function cancelTimers(s: GroupShard, groupId: string, memberId: string): void {
  s.cancel(sessionKey(groupId, memberId));
  s.cancel(rebalanceKey(groupId, memberId));
}

export function scheduleSessionTimeout(s: GroupShard, groupId: string, memberId: string): void {
  s.schedule(sessionKey(groupId, memberId), s.config.consumerSessionTimeoutMs, () => {
    const group = s.consumerGroup(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return result(undefined);
    s.log.info(`member ${memberId} of consumer group ${groupId} fenced: its session expired`);
    return result(undefined, fenceMember(s, group, member));
  });
}

export function scheduleRebalanceTimeout(
  s: GroupShard,
  groupId: string,
  memberId: string,
  epoch: number,
  timeoutMs: number,
): void {
  s.schedule(rebalanceKey(groupId, memberId), Math.max(timeoutMs, 0), () => {
    const group = s.consumerGroup(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member || member.memberEpoch !== epoch) return result(undefined);
    s.log.info(
      `member ${memberId} of consumer group ${groupId} fenced: it did not revoke partitions within ${timeoutMs} ms`,
    );
    return result(undefined, fenceMember(s, group, member));
  });
}

/** After a load, members must heartbeat again within their session. */
export function onConsumerGroupLoaded(s: GroupShard, group: ConsumerGroup): void {
  for (const m of group.members.values()) {
    scheduleSessionTimeout(s, group.groupId, m.memberId);
    if (m.state === MemberState.UnrevokedPartitions) {
      scheduleRebalanceTimeout(s, group.groupId, m.memberId, m.memberEpoch, m.rebalanceTimeoutMs);
    }
  }
}

/** OffsetCommit's member check for consumer groups: member id and epoch must be current. */
export function commitMemberError(
  group: ConsumerGroup,
  memberId: string,
  memberEpoch: number,
  apiVersion: number,
): KafkaError | undefined {
  // A commit outside group management (epoch -1) is accepted while the group is empty.
  if (memberEpoch < 0 && group.isEmpty) return undefined;
  const member = group.members.get(memberId);
  if (!member) return unknownMember(memberId, group.groupId);
  if (apiVersion < 9) {
    return new KafkaError(
      ErrorCode.UNSUPPORTED_VERSION,
      'OffsetCommit version 9 or above must be used by members using the consumer group protocol',
    );
  }
  return epochError(member, memberEpoch);
}

/** OffsetFetch v9+ names the member: then its epoch must be current. */
export function fetchMemberError(
  group: ConsumerGroup,
  memberId: string | null,
  memberEpoch: number,
): KafkaError | undefined {
  if (memberId === null && memberEpoch < 0) return undefined;
  const member = memberId === null ? undefined : group.members.get(memberId);
  if (!member) return unknownMember(memberId ?? '', group.groupId);
  return epochError(member, memberEpoch);
}

export function epochError(
  member: ConsumerGroupMember,
  memberEpoch: number,
): KafkaError | undefined {
  if (memberEpoch === member.memberEpoch) return undefined;
  return new KafkaError(
    ErrorCode.STALE_MEMBER_EPOCH,
    `The received member epoch ${memberEpoch} does not match the expected member epoch ${member.memberEpoch}.`,
  );
}

// The KIP-848 consumer group protocol: ConsumerGroupHeartbeat (join, heartbeat, leave) with
// server-side assignment, and ConsumerGroupDescribe. Each heartbeat computes, against the
// current state, the records of what changed (member subscription, subscribed topics' metadata,
// group epoch, target assignment, the member's next assignment step); replaying those records is
// what changes the group. Subscriptions and the assignor run are in consumer-subscription.ts,
// member fencing and timers in consumer-member.ts.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { randomUuid } from '../../protocol/primitives/uuid.js';
import { ClassicGroup } from './classic-group.js';
import {
  type Assignment,
  assignmentsEqual,
  ConsumerGroup,
  type ConsumerGroupMember,
  currentAssignmentRecord,
  EMPTY,
  groupEpochRecord,
  isReconciledTo,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  MemberState,
  memberMetadataRecord,
  memberTombstones,
  newMember,
  subscriptionMetadataRecord,
  targetAssignmentEpochRecord,
  targetAssignmentRecord,
  toTopicPartitions,
} from './consumer-group.js';
import {
  cancelTimers,
  checkMemberEpoch,
  fenceMember,
  rebalanceKey,
  scheduleRebalanceTimeout,
  scheduleSessionTimeout,
  unknownMember,
} from './consumer-member.js';
import {
  compileRegex,
  computeTargetAssignment,
  preferredAssignor,
  sameAssignmentState,
  sameMemberMetadata,
  sameMetadata,
  sameSubscription,
  subscriptionMetadata,
} from './consumer-subscription.js';
import { reconcile } from './reconcile.js';
import type { GroupRecord } from './records.js';
import { groupMetadataTombstone } from './records.js';
import { type CoordinatorResult, result } from './result.js';
import type { GroupShard, TopicsView } from './shard.js';
import type {
  ConsumerGroupHeartbeatInput,
  ConsumerGroupHeartbeatResult,
  DescribedAssignment,
  DescribedConsumerGroup,
  RequestOrigin,
} from './types.js';

const invalid = (message: string) => new KafkaError(ErrorCode.INVALID_REQUEST, message);

function validate(s: GroupShard, r: ConsumerGroupHeartbeatInput): void {
  if (r.groupId === '') throw invalid("GroupId can't be empty.");
  if (r.instanceId === '') throw invalid("InstanceId can't be empty.");
  if (r.rackId === '') throw invalid("RackId can't be empty.");
  if (r.memberEpoch > 0 || r.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
    if (r.memberId === '') throw invalid("MemberId can't be empty.");
  } else if (r.memberEpoch === 0) {
    if (r.rebalanceTimeoutMs === -1)
      throw invalid('RebalanceTimeoutMs must be provided in first request.');
    if (r.topicPartitions === null || r.topicPartitions.length > 0) {
      throw invalid('TopicPartitions must be empty when (re-)joining.');
    }
    const names = r.subscribedTopicNames !== null && r.subscribedTopicNames.length > 0;
    if (!names && !r.subscribedTopicRegex) {
      throw invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
    }
  } else if (r.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (r.memberId === '') throw invalid("MemberId can't be empty.");
    if (r.instanceId === null) throw invalid("InstanceId can't be null.");
  } else {
    throw invalid('MemberEpoch is invalid.');
  }
  if (r.subscribedTopicRegex) compileRegex(r.subscribedTopicRegex);
  if (r.serverAssignor !== null && !s.config.consumerAssignors.includes(r.serverAssignor)) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_ASSIGNOR,
      `ServerAssignor ${r.serverAssignor} is not supported. Supported assignors: ${s.config.consumerAssignors.join(', ')}.`,
    );
  }
}

/** The group to work on; a new one is not registered here: replaying its records creates it. */
function groupFor(
  s: GroupShard,
  groupId: string,
  create: boolean,
  records: GroupRecord[],
): ConsumerGroup {
  const g = s.groups.get(groupId);
  if (g instanceof ConsumerGroup) return g;
  if (!g && !create)
    throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
  if (g instanceof ClassicGroup) {
    if (!create || !g.isEmpty)
      throw new KafkaError(
        ErrorCode.GROUP_ID_NOT_FOUND,
        `Group ${groupId} is not a consumer group.`,
      );
    records.push(groupMetadataTombstone(groupId));
  }
  return new ConsumerGroup(groupId);
}

export function consumerGroupHeartbeat(
  s: GroupShard,
  r: ConsumerGroupHeartbeatInput,
  origin: RequestOrigin,
): CoordinatorResult<ConsumerGroupHeartbeatResult> {
  validate(s, r);
  if (
    r.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH ||
    r.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH
  ) {
    return leave(s, r);
  }
  const records: GroupRecord[] = [];
  const joining = r.memberEpoch === 0;
  const group = groupFor(s, r.groupId, joining, records);
  const memberId = r.memberId || randomUuid();
  if (group.members.size >= s.config.consumerMaxSize && !group.members.has(memberId)) {
    throw new KafkaError(
      ErrorCode.GROUP_MAX_SIZE_REACHED,
      `The consumer group has reached its maximum capacity of ${s.config.consumerMaxSize} members.`,
    );
  }
  let member: ConsumerGroupMember;
  let replaced: ConsumerGroupMember | undefined;
  if (r.instanceId === null) {
    const existing = group.members.get(memberId);
    if (!existing && !joining) throw unknownMember(memberId, r.groupId);
    member = existing ?? newMember(memberId);
    if (existing) checkMemberEpoch(existing, r.memberEpoch, r.topicPartitions);
  } else {
    const existing = group.staticMember(r.instanceId);
    if (joining) {
      if (!existing || existing.memberId === memberId) {
        member = existing ?? newMember(memberId);
        if (existing) checkMemberEpoch(existing, r.memberEpoch, r.topicPartitions);
      } else {
        if (existing.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
          throw new KafkaError(
            ErrorCode.UNRELEASED_INSTANCE_ID,
            `Static member ${existing.memberId} with instance id ${r.instanceId} cannot be replaced because it has not left the group.`,
          );
        }
        // The instance comes back under a new member id: it takes over the old member's place.
        member = { ...existing, memberId, memberEpoch: 0, previousMemberEpoch: 0 };
        replaced = existing;
        records.push(...memberTombstones(r.groupId, existing.memberId));
        records.push(
          targetAssignmentRecord(
            r.groupId,
            memberId,
            group.targetAssignment.get(existing.memberId) ?? EMPTY,
          ),
        );
      }
    } else {
      if (!existing)
        throw new KafkaError(
          ErrorCode.UNKNOWN_MEMBER_ID,
          `Instance id ${r.instanceId} is unknown.`,
        );
      if (existing.memberId !== memberId) {
        throw new KafkaError(
          ErrorCode.FENCED_INSTANCE_ID,
          `Static member ${memberId} with instance id ${r.instanceId} is fenced by ${existing.memberId}.`,
        );
      }
      checkMemberEpoch(existing, r.memberEpoch, r.topicPartitions);
      member = existing;
    }
  }

  // 1. The member's subscription; a change of topics bumps the group epoch.
  const regex =
    r.subscribedTopicRegex === null ? member.subscribedTopicRegex : r.subscribedTopicRegex || null;
  let updated: ConsumerGroupMember = {
    ...member,
    instanceId: r.instanceId ?? member.instanceId,
    rackId: r.rackId ?? member.rackId,
    rebalanceTimeoutMs:
      r.rebalanceTimeoutMs === -1 ? member.rebalanceTimeoutMs : r.rebalanceTimeoutMs,
    serverAssignor: r.serverAssignor ?? member.serverAssignor,
    subscribedTopicNames: r.subscribedTopicNames ?? member.subscribedTopicNames,
    subscribedTopicRegex: regex,
    clientId: origin.clientId,
    clientHost: origin.clientHost,
  };
  // A replaced static member keeps its subscription: new records, but no new epoch for that.
  const hasNewId = !group.members.has(memberId);
  const isNew = hasNewId && !replaced;
  if (hasNewId || !sameMemberMetadata(member, updated))
    records.push(memberMetadataRecord(r.groupId, updated));
  let bumpEpoch = isNew || !sameSubscription(member, updated);
  const others = [...group.members.values()].filter(
    (m) => m.memberId !== memberId && m.memberId !== replaced?.memberId,
  );
  const metadata = subscriptionMetadata([...others, updated], s.topics);
  if (!sameMetadata(metadata, group.subscriptionMetadata)) {
    records.push(subscriptionMetadataRecord(r.groupId, metadata));
    bumpEpoch = true;
  }
  let groupEpoch = group.groupEpoch;
  if (bumpEpoch) {
    groupEpoch++;
    records.push(groupEpochRecord(r.groupId, groupEpoch));
  }

  // 2. A new target assignment when the group epoch moved past the last one.
  let targetEpoch = group.assignmentEpoch;
  let target: Assignment;
  if (groupEpoch > group.assignmentEpoch) {
    target =
      computeTargetAssignment(s, group, [...others, updated], metadata, records).get(memberId) ??
      EMPTY;
    records.push(targetAssignmentEpochRecord(r.groupId, groupEpoch));
    targetEpoch = groupEpoch;
  } else {
    target =
      group.targetAssignment.get(memberId) ??
      (replaced && group.targetAssignment.get(replaced.memberId)) ??
      EMPTY;
  }

  // 3. One reconciliation step of the member towards its target.
  if (!isReconciledTo(updated, targetEpoch)) {
    const next = reconcile({
      member: updated,
      targetEpoch,
      target,
      partitionEpoch: (t, p) => group.currentPartitionEpoch(t, p),
      owned: r.topicPartitions,
    });
    if (hasNewId || !sameAssignmentState(next, updated)) {
      records.push(currentAssignmentRecord(r.groupId, next));
      if (next.state === MemberState.UnrevokedPartitions) {
        scheduleRebalanceTimeout(s, r.groupId, memberId, next.memberEpoch, next.rebalanceTimeoutMs);
      } else {
        s.cancel(rebalanceKey(r.groupId, memberId));
      }
    }
    updated = next;
  } else if (hasNewId) {
    records.push(currentAssignmentRecord(r.groupId, updated));
  }
  if (replaced) cancelTimers(s, r.groupId, replaced.memberId);
  scheduleSessionTimeout(s, r.groupId, memberId);

  const full =
    joining ||
    (r.rebalanceTimeoutMs !== -1 && r.subscribedTopicNames !== null && r.topicPartitions !== null);
  const changed = !assignmentsEqual(member.assignedPartitions, updated.assignedPartitions);
  return result(
    {
      errorCode: 0,
      errorMessage: null,
      memberId,
      memberEpoch: updated.memberEpoch,
      heartbeatIntervalMs: s.config.consumerHeartbeatIntervalMs,
      assignment: full || changed ? toTopicPartitions(updated.assignedPartitions) : null,
    },
    records,
  );
}

function leave(
  s: GroupShard,
  r: ConsumerGroupHeartbeatInput,
): CoordinatorResult<ConsumerGroupHeartbeatResult> {
  const group = s.consumerGroup(r.groupId);
  if (!group)
    throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${r.groupId} not found.`);
  let member: ConsumerGroupMember | undefined;
  if (r.instanceId === null) {
    member = group.members.get(r.memberId);
    if (!member) throw unknownMember(r.memberId, r.groupId);
  } else {
    member = group.staticMember(r.instanceId);
    if (!member)
      throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${r.instanceId} is unknown.`);
    if (member.memberId !== r.memberId) {
      throw new KafkaError(
        ErrorCode.FENCED_INSTANCE_ID,
        `Static member ${r.memberId} with instance id ${r.instanceId} is fenced by ${member.memberId}.`,
      );
    }
  }
  const response: ConsumerGroupHeartbeatResult = {
    errorCode: 0,
    errorMessage: null,
    memberId: member.memberId,
    memberEpoch: r.memberEpoch,
    heartbeatIntervalMs: 0,
    assignment: null,
  };
  if (r.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    // A static member that will come back keeps its place (and partitions) until its session ends.
    const leaving = {
      ...member,
      memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH,
      partitionsPendingRevocation: EMPTY,
    };
    return result(response, [currentAssignmentRecord(r.groupId, leaving)]);
  }
  s.log.info(`member ${member.memberId} left consumer group ${r.groupId}`);
  return result(response, fenceMember(s, group, member));
}

// --- ConsumerGroupDescribe ---------------------------------------------------------------------

function describeAssignment(a: Assignment, topics: TopicsView): DescribedAssignment[] {
  const out: DescribedAssignment[] = [];
  for (const { topicId, partitions } of toTopicPartitions(a)) {
    const t = topics.byId(topicId);
    if (t) out.push({ topicId, topicName: t.name, partitions });
  }
  return out;
}

export function describeConsumerGroup(s: GroupShard, groupId: string): DescribedConsumerGroup {
  const empty = {
    groupId,
    groupState: '',
    groupEpoch: 0,
    assignmentEpoch: 0,
    assignorName: '',
    members: [],
  };
  if (groupId === '')
    return { ...empty, errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: null };
  const group = s.groups.get(groupId);
  if (!(group instanceof ConsumerGroup)) {
    const message = group
      ? `Group ${groupId} is not a consumer group.`
      : `Group ${groupId} not found.`;
    return { ...empty, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: message };
  }
  return {
    errorCode: 0,
    errorMessage: null,
    groupId,
    groupState: group.state,
    groupEpoch: group.groupEpoch,
    assignmentEpoch: group.assignmentEpoch,
    assignorName: preferredAssignor(s, group.members.values()),
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: [...m.subscribedTopicNames],
      subscribedTopicRegex: m.subscribedTopicRegex,
      assignment: describeAssignment(m.assignedPartitions, s.topics),
      targetAssignment: describeAssignment(
        group.targetAssignment.get(m.memberId) ?? EMPTY,
        s.topics,
      ),
    })),
  };
}

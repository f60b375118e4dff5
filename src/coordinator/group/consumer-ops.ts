// The KIP-848 consumer group protocol: ConsumerGroupHeartbeat (join, heartbeat, leave) with
// server-side assignment, and ConsumerGroupDescribe. Each heartbeat computes, against the
// current state, the records of what changed (member subscription, subscribed topics' metadata,
// group epoch, target assignment, the member's next assignment step); replaying those records is
// what changes the group.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { randomUuid } from '../../protocol/primitives/uuid.js';
import { ASSIGNORS, type AssignmentMember } from './assignors.js';
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
  type SubscribedTopic,
  subscriptionMetadataRecord,
  targetAssignmentEpochRecord,
  targetAssignmentRecord,
  toTopicPartitions,
} from './consumer-group.js';
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
  TopicPartitionsById,
} from './types.js';

const sessionKey = (groupId: string, memberId: string) => `session-timeout-${groupId}-${memberId}`;
const rebalanceKey = (groupId: string, memberId: string) =>
  `rebalance-timeout-${groupId}-${memberId}`;

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

const regexCache = new Map<string, RegExp>();

/** Kafka matches the whole topic name (RE2 syntax, which JS RegExp covers for common use). */
function compileRegex(source: string): RegExp {
  let re = regexCache.get(source);
  if (re) return re;
  try {
    re = new RegExp(`^(?:${source})$`);
  } catch (err) {
    throw new KafkaError(
      ErrorCode.INVALID_REGULAR_EXPRESSION,
      `Invalid regular expression ${source}: ${(err as Error).message}`,
    );
  }
  if (regexCache.size > 1000) regexCache.clear();
  regexCache.set(source, re);
  return re;
}

/** Topic names a member subscribes to, its regex resolved against the existing topics. */
function memberTopics(m: ConsumerGroupMember, topics: TopicsView): Set<string> {
  const out = new Set(m.subscribedTopicNames);
  if (m.subscribedTopicRegex) {
    const re = compileRegex(m.subscribedTopicRegex);
    for (const name of topics.names()) if (!name.startsWith('__') && re.test(name)) out.add(name);
  }
  return out;
}

function subscriptionMetadata(
  members: Iterable<ConsumerGroupMember>,
  topics: TopicsView,
): Map<string, SubscribedTopic> {
  const out = new Map<string, SubscribedTopic>();
  for (const m of members) {
    for (const name of memberTopics(m, topics)) {
      const t = topics.byName(name);
      if (t && !out.has(name))
        out.set(name, { topicId: t.topicId, name, numPartitions: t.numPartitions });
    }
  }
  return out;
}

function sameMetadata(
  a: ReadonlyMap<string, SubscribedTopic>,
  b: ReadonlyMap<string, SubscribedTopic>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [name, t] of a) {
    const o = b.get(name);
    if (!o || o.topicId !== t.topicId || o.numPartitions !== t.numPartitions) return false;
  }
  return true;
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

function sameSubscription(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    sameList(a.subscribedTopicNames, b.subscribedTopicNames) &&
    a.subscribedTopicRegex === b.subscribedTopicRegex
  );
}

function sameMemberMetadata(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    sameSubscription(a, b) &&
    a.instanceId === b.instanceId &&
    a.rackId === b.rackId &&
    a.clientId === b.clientId &&
    a.clientHost === b.clientHost &&
    a.rebalanceTimeoutMs === b.rebalanceTimeoutMs &&
    a.serverAssignor === b.serverAssignor
  );
}

function sameAssignmentState(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.memberEpoch === b.memberEpoch &&
    a.previousMemberEpoch === b.previousMemberEpoch &&
    a.state === b.state &&
    assignmentsEqual(a.assignedPartitions, b.assignedPartitions) &&
    assignmentsEqual(a.partitionsPendingRevocation, b.partitionsPendingRevocation)
  );
}

function isSubset(owned: readonly TopicPartitionsById[] | null, target: Assignment): boolean {
  if (owned === null) return false;
  return owned.every((t) => {
    const ps = target.get(t.topicId);
    return t.partitions.every((p) => ps?.has(p) === true);
  });
}

function checkMemberEpoch(
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

function unknownMember(memberId: string, groupId: string): KafkaError {
  return new KafkaError(
    ErrorCode.UNKNOWN_MEMBER_ID,
    `Member ${memberId} is not a member of group ${groupId}.`,
  );
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

function computeTargetAssignment(
  s: GroupShard,
  group: ConsumerGroup,
  members: ConsumerGroupMember[],
  metadata: ReadonlyMap<string, SubscribedTopic>,
  records: GroupRecord[],
): Map<string, Assignment> {
  const topics = new Map<string, number>();
  for (const t of metadata.values()) topics.set(t.topicId, t.numPartitions);
  const specMembers = new Map<string, AssignmentMember>();
  for (const m of members) {
    const ids = new Set<string>();
    for (const name of memberTopics(m, s.topics)) {
      const t = metadata.get(name);
      if (t) ids.add(t.topicId);
    }
    specMembers.set(m.memberId, {
      subscribedTopicIds: ids,
      current: group.targetAssignment.get(m.memberId) ?? EMPTY,
    });
  }
  const assignor = ASSIGNORS.get(preferredAssignor(s, members)) ?? ASSIGNORS.get('uniform')!;
  const assignment = assignor.assign({ members: specMembers, topics });
  for (const [memberId, a] of assignment) {
    const previous = group.targetAssignment.get(memberId);
    if (!previous || !assignmentsEqual(previous, a))
      records.push(targetAssignmentRecord(group.groupId, memberId, a));
  }
  return assignment;
}

/** The assignor most members ask for, else the first configured one (Kafka's rule). */
function preferredAssignor(s: GroupShard, members: Iterable<ConsumerGroupMember>): string {
  const counts = new Map<string, number>();
  for (const m of members)
    if (m.serverAssignor) counts.set(m.serverAssignor, (counts.get(m.serverAssignor) ?? 0) + 1);
  let best = s.config.consumerAssignors[0] ?? 'uniform';
  let bestCount = 0;
  for (const [name, n] of counts) {
    if (n > bestCount) {
      best = name;
      bestCount = n;
    }
  }
  return best;
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

/** The records removing a member: its own records, the group's new metadata and epoch. */
function fenceMember(
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

function cancelTimers(s: GroupShard, groupId: string, memberId: string): void {
  s.cancel(sessionKey(groupId, memberId));
  s.cancel(rebalanceKey(groupId, memberId));
}

function scheduleSessionTimeout(s: GroupShard, groupId: string, memberId: string): void {
  s.schedule(sessionKey(groupId, memberId), s.config.consumerSessionTimeoutMs, () => {
    const group = s.consumerGroup(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return result(undefined);
    s.log.info(`member ${memberId} of consumer group ${groupId} fenced: its session expired`);
    return result(undefined, fenceMember(s, group, member));
  });
}

function scheduleRebalanceTimeout(
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

function epochError(member: ConsumerGroupMember, memberEpoch: number): KafkaError | undefined {
  if (memberEpoch === member.memberEpoch) return undefined;
  return new KafkaError(
    ErrorCode.STALE_MEMBER_EPOCH,
    `The received member epoch ${memberEpoch} does not match the expected member epoch ${member.memberEpoch}.`,
  );
}

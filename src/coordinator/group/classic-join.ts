// JoinGroup of the classic protocol, following Kafka's GroupMetadataManager state by state.
// New members are told their id first (v4+), known members rejoin, static members take their
// place back (a new member id, the same assignment when the protocol is unchanged), and
// group.max.size is enforced. The request is parked (a Deferred) until the join phase ends.
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.js';
import {
  type ClassicGroup,
  type ClassicGroupMember,
  emptyJoinResult,
  ClassicGroupMember as Member,
  ClassicGroupState as S,
} from './classic-group.js';
import {
  asResult,
  currentGeneration,
  type Effects,
  expireHeartbeat,
  heartbeatKey,
  maybeCompleteJoinPhase,
  maybePrepareRebalanceOrCompleteJoin,
  none,
  prepareRebalance,
  rescheduleHeartbeat,
} from './classic-rebalance.js';
import { ConsumerGroup } from './consumer-group.js';
import type { GroupRecord } from './records.js';
import { type CoordinatorResult, Deferred } from './result.js';
import type { GroupShard } from './shard.js';
import type { JoinGroupInput, JoinGroupResult, RequestOrigin } from './types.js';

// JoinGroup v4+ requires a known member id: a new member is told its id and rejoins with it.
const requiresKnownMemberId = (apiVersion: number) => apiVersion >= 4;
const supportsSkippingAssignment = (apiVersion: number) => apiVersion >= 9;

// --- JoinGroup ---------------------------------------------------------------------------------

export function joinGroup(
  s: GroupShard,
  input: JoinGroupInput,
  origin: RequestOrigin,
): CoordinatorResult<Promise<JoinGroupResult>> {
  const future = new Deferred<JoinGroupResult>();
  const fail = (code: number, memberId = input.memberId) => {
    future.resolve(emptyJoinResult(memberId, code));
    return asResult(none(), future.promise);
  };
  if (input.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
  if (
    input.sessionTimeoutMs < s.config.groupMinSessionTimeoutMs ||
    input.sessionTimeoutMs > s.config.groupMaxSessionTimeoutMs
  ) {
    return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
  }
  const records: GroupRecord[] = [];
  const existing = s.groups.get(input.groupId);
  if (existing instanceof ConsumerGroup) {
    // Kafka can convert a live consumer group to classic; Samsa only takes over empty ones.
    if (!existing.isEmpty) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, '');
    records.push(...existing.tombstones());
    s.groups.delete(input.groupId);
  }
  const isUnknownMember = input.memberId === '';
  let group = s.classicGroup(input.groupId);
  const isNewGroup = !group;
  if (!group) {
    if (!isUnknownMember) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    group = s.getOrCreateClassicGroup(input.groupId);
  }
  let effects: Effects;
  if (!acceptJoiningMember(s, group, input.memberId)) {
    group.remove(input.memberId);
    future.resolve(emptyJoinResult('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    effects = none();
  } else if (isUnknownMember) {
    effects = joinNewMember(s, group, input, origin, future);
  } else {
    effects = joinExistingMember(s, group, input, origin, future);
  }
  if (isNewGroup && effects.records.length === 0) {
    // Persist the new group so it survives a restart, as Kafka does.
    const g = group;
    effects = {
      records: [
        { type: 'GroupMetadata', key: { group: g.groupId }, value: g.toRecordValue(new Map()) },
      ],
      onAppended: (err) => {
        if (!err) return;
        s.groups.delete(g.groupId);
        future.resolve(emptyJoinResult(input.memberId, err.code));
      },
    };
  }
  return asResult(
    { records: [...records, ...effects.records], onAppended: effects.onAppended },
    future.promise,
  );
}

function acceptJoiningMember(s: GroupShard, group: ClassicGroup, memberId: string): boolean {
  const max = s.config.groupMaxSize;
  switch (group.state) {
    case S.Empty:
    case S.Dead:
      return true;
    case S.PreparingRebalance:
      // Count members already waiting: the last ones to rejoin an over-full group are refused.
      return group.member(memberId)?.awaitingJoin != null || group.numAwaitingJoin < max;
    default:
      return group.hasMember(memberId) || group.numMembers < max;
  }
}

function joinNewMember(
  s: GroupShard,
  group: ClassicGroup,
  input: JoinGroupInput,
  origin: RequestOrigin,
  future: Deferred<JoinGroupResult>,
): Effects {
  if (group.is(S.Dead)) {
    future.resolve(emptyJoinResult('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
    return none();
  }
  if (!group.supportsProtocols(input.protocolType, input.protocols)) {
    future.resolve(emptyJoinResult('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    return none();
  }
  const newMemberId = `${input.groupInstanceId ?? origin.clientId}-${randomUUID()}`;
  if (input.groupInstanceId !== null) {
    const existingId = group.staticMemberId(input.groupInstanceId);
    if (existingId !== undefined) {
      s.log.info(
        `static member ${input.groupInstanceId} of group ${group.groupId} rejoins: member ${existingId} is replaced by ${newMemberId}`,
      );
      return updateStaticMember(s, group, input, origin, existingId, newMemberId, future);
    }
    return addMemberThenRebalance(s, group, input, origin, newMemberId, future);
  }
  if (requiresKnownMemberId(origin.apiVersion)) {
    group.addPendingMember(newMemberId);
    const groupId = group.groupId;
    s.schedule(heartbeatKey(groupId, newMemberId), input.sessionTimeoutMs, () =>
      asResult(expireHeartbeat(s, groupId, newMemberId), undefined),
    );
    future.resolve(emptyJoinResult(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    return none();
  }
  return addMemberThenRebalance(s, group, input, origin, newMemberId, future);
}

function joinExistingMember(
  s: GroupShard,
  group: ClassicGroup,
  input: JoinGroupInput,
  origin: RequestOrigin,
  future: Deferred<JoinGroupResult>,
): Effects {
  const { memberId } = input;
  if (group.is(S.Dead)) {
    future.resolve(emptyJoinResult(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    return none();
  }
  if (!group.supportsProtocols(input.protocolType, input.protocols)) {
    future.resolve(emptyJoinResult(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    return none();
  }
  if (group.isPendingMember(memberId)) {
    return addMemberThenRebalance(s, group, input, origin, memberId, future);
  }
  const error = group.memberError(memberId, input.groupInstanceId);
  if (error !== 0) {
    future.resolve(emptyJoinResult(memberId, error));
    return none();
  }
  const member = group.member(memberId)!;
  const reason = `member ${memberId} rejoins (${input.reason ?? 'no reason given'})`;
  switch (group.state) {
    case S.PreparingRebalance:
      return updateMemberThenRebalance(s, group, member, input, reason, future);
    case S.CompletingRebalance:
      if (member.matches(input.protocols)) {
        // It missed its JoinGroup answer: give it the current generation again.
        future.resolve(currentGeneration(group, memberId, group.isLeader(memberId)));
        return none();
      }
      return updateMemberThenRebalance(s, group, member, input, reason, future);
    case S.Stable:
      // The leader rejoining means its assignor saw a change (e.g. new partitions): rebalance.
      if (group.isLeader(memberId) || !member.matches(input.protocols)) {
        return updateMemberThenRebalance(s, group, member, input, reason, future);
      }
      future.resolve(currentGeneration(group, memberId, false));
      return none();
    default:
      future.resolve(emptyJoinResult(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return none();
  }
}

function updateMemberThenRebalance(
  s: GroupShard,
  group: ClassicGroup,
  member: ClassicGroupMember,
  input: JoinGroupInput,
  reason: string,
  future: Deferred<JoinGroupResult>,
): Effects {
  group.updateMember(
    member,
    input.protocols,
    input.rebalanceTimeoutMs,
    input.sessionTimeoutMs,
    future,
  );
  return maybePrepareRebalanceOrCompleteJoin(s, group, reason);
}

function addMemberThenRebalance(
  s: GroupShard,
  group: ClassicGroup,
  input: JoinGroupInput,
  origin: RequestOrigin,
  memberId: string,
  future: Deferred<JoinGroupResult>,
): Effects {
  const member = new Member(
    memberId,
    input.groupInstanceId,
    origin.clientId,
    origin.clientHost,
    input.rebalanceTimeoutMs,
    input.sessionTimeoutMs,
    input.protocolType,
    input.protocols,
  );
  member.isNew = true;
  if (group.is(S.PreparingRebalance) && group.previousState === S.Empty)
    group.newMemberAdded = true;
  group.add(member, future);
  // A parked JoinGroup cannot heartbeat; a new member that vanished must not hold the
  // rebalance forever, so it gets the new-member join timeout instead of its session.
  rescheduleHeartbeat(s, group, member, s.config.classicNewMemberJoinTimeoutMs);
  return maybePrepareRebalanceOrCompleteJoin(s, group, `new member ${memberId} joins`);
}

function updateStaticMember(
  s: GroupShard,
  group: ClassicGroup,
  input: JoinGroupInput,
  origin: RequestOrigin,
  oldMemberId: string,
  newMemberId: string,
  future: Deferred<JoinGroupResult>,
): Effects {
  const instanceId = input.groupInstanceId!;
  const currentLeader = group.leaderId;
  const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
  rescheduleHeartbeat(s, group, member);
  const old = {
    protocols: member.supportedProtocols,
    rebalanceTimeoutMs: member.rebalanceTimeoutMs,
    sessionTimeoutMs: member.sessionTimeoutMs,
  };
  group.updateMember(
    member,
    input.protocols,
    input.rebalanceTimeoutMs,
    input.sessionTimeoutMs,
    future,
  );
  if (group.is(S.Stable)) {
    if (group.protocolName === group.selectProtocol()) {
      // Same protocol for the next generation: no rebalance, just persist the new member id.
      const assignments = new Map(
        [...group.members.values()].map((m) => [m.memberId, m.assignment]),
      );
      return {
        records: [
          {
            type: 'GroupMetadata',
            key: { group: group.groupId },
            value: group.toRecordValue(assignments),
          },
        ],
        onAppended: (err) => {
          if (err) {
            group.updateMember(
              member,
              old.protocols,
              old.rebalanceTimeoutMs,
              old.sessionTimeoutMs,
              null,
            );
            const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
            rescheduleHeartbeat(s, group, restored);
            future.resolve({
              ...currentGeneration(group, '', false),
              errorCode: err.code,
              leader: currentLeader ?? '',
            });
            return;
          }
          if (supportsSkippingAssignment(origin.apiVersion)) {
            const isLeader = group.isLeader(newMemberId);
            group.completeJoin(member, {
              ...currentGeneration(group, newMemberId, isLeader),
              skipAssignment: isLeader,
            });
          } else {
            group.completeJoin(member, {
              ...currentGeneration(group, newMemberId, false),
              leader: currentLeader ?? '',
            });
          }
        },
      };
    }
    return maybePrepareRebalanceOrCompleteJoin(
      s,
      group,
      `static member ${instanceId} changed its protocols`,
    );
  }
  if (group.is(S.CompletingRebalance)) {
    // The leader may already be assigning with the old member id: start over.
    return prepareRebalance(
      s,
      group,
      `static member ${instanceId} rejoined during CompletingRebalance`,
    );
  }
  return maybeCompleteJoinPhase(s, group);
}

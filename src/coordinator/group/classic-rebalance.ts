// The classic group's rebalance steps and timeouts, shared by its operations.
// Preparing a rebalance, the initial delay, completing the join phase into a new generation,
// propagating assignments, the session, join and sync timeouts, and what loading or unloading
// the partition does to a group. Each step returns the records (a GroupMetadata) it produced;
// the rebalance bookkeeping itself lives in memory, as in Kafka.
import { ErrorCode, type KafkaError } from '../../protocol/errors.js';
import {
  type ClassicGroup,
  type ClassicGroupMember,
  EMPTY_ASSIGNMENT,
  emptyJoinResult,
  ClassicGroupState as S,
} from './classic-group.js';
import type { GroupRecord } from './records.js';
import type { CoordinatorResult } from './result.js';
import type { GroupShard } from './shard.js';
import type { JoinGroupResult, SyncGroupResult } from './types.js';

/** Records (GroupMetadata) a step produced and what to do once they are written. */
export interface Effects {
  records: GroupRecord[];
  onAppended?: (error: KafkaError | undefined) => void;
}
export const none = (): Effects => ({ records: [] });

export const heartbeatKey = (groupId: string, memberId: string) =>
  `heartbeat-${groupId}-${memberId}`;
export const joinKey = (groupId: string) => `join-${groupId}`;
export const syncKey = (groupId: string) => `sync-${groupId}`;

export function asResult<T>(effects: Effects, response: T): CoordinatorResult<T> {
  return { records: effects.records, response, replay: false, onAppended: effects.onAppended };
}

export function currentGeneration(
  group: ClassicGroup,
  memberId: string,
  withMembers: boolean,
): JoinGroupResult {
  return {
    errorCode: 0,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? '',
    skipAssignment: false,
    memberId,
    members: withMembers ? group.currentMembersForLeader() : [],
  };
}

export function syncError(code: number): SyncGroupResult {
  return { errorCode: code, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT };
}

// --- rebalance steps ---------------------------------------------------------------------------

export function maybePrepareRebalanceOrCompleteJoin(
  s: GroupShard,
  group: ClassicGroup,
  reason: string,
): Effects {
  return group.canRebalance()
    ? prepareRebalance(s, group, reason)
    : maybeCompleteJoinPhase(s, group);
}

export function maybeCompleteJoinPhase(s: GroupShard, group: ClassicGroup): Effects {
  if (!group.is(S.PreparingRebalance)) return none();
  if (group.previousState === S.Empty) return none(); // the initial delay decides
  if (!group.hasAllMembersJoined()) return none();
  return completeJoin(s, group);
}

export function prepareRebalance(s: GroupShard, group: ClassicGroup, reason: string): Effects {
  if (group.is(S.CompletingRebalance)) {
    resetAndPropagateAssignment(s, group, ErrorCode.REBALANCE_IN_PROGRESS);
  }
  group.pendingSyncMembers.clear();
  s.cancel(syncKey(group.groupId));
  const isInitialRebalance = group.is(S.Empty);
  if (isInitialRebalance) {
    // A new group waits a little for more members, so it does not rebalance once per member.
    const delay = s.config.groupInitialRebalanceDelayMs;
    const remaining = Math.max(group.rebalanceTimeoutMs() - delay, 0);
    const groupId = group.groupId;
    s.schedule(joinKey(groupId), delay, () =>
      asResult(completeInitialRebalance(s, groupId, delay, remaining), undefined),
    );
  }
  group.transitionTo(S.PreparingRebalance);
  s.log.info(
    `preparing to rebalance group ${group.groupId} (generation ${group.generationId}): ${reason}`,
  );
  return isInitialRebalance ? none() : maybeCompleteJoinElseSchedule(s, group);
}

function maybeCompleteJoinElseSchedule(s: GroupShard, group: ClassicGroup): Effects {
  if (group.hasAllMembersJoined()) return completeJoin(s, group);
  scheduleCompleteJoin(s, group.groupId, group.rebalanceTimeoutMs());
  return none();
}

function scheduleCompleteJoin(s: GroupShard, groupId: string, delayMs: number): void {
  s.schedule(joinKey(groupId), delayMs, () => {
    const g = s.classicGroup(groupId);
    return asResult(g ? completeJoin(s, g) : none(), undefined);
  });
}

function completeInitialRebalance(
  s: GroupShard,
  groupId: string,
  delay: number,
  remaining: number,
): Effects {
  const group = s.classicGroup(groupId);
  if (!group) return none();
  if (group.newMemberAdded && remaining !== 0) {
    group.newMemberAdded = false;
    const nextDelay = Math.min(s.config.groupInitialRebalanceDelayMs, remaining);
    const nextRemaining = Math.max(remaining - delay, 0);
    s.schedule(joinKey(groupId), nextDelay, () =>
      asResult(completeInitialRebalance(s, groupId, nextDelay, nextRemaining), undefined),
    );
    return none();
  }
  return completeJoin(s, group);
}

/** Ends the join phase: drops members that did not rejoin, starts the next generation. */
export function completeJoin(s: GroupShard, group: ClassicGroup): Effects {
  const groupId = group.groupId;
  s.cancel(joinKey(groupId));
  for (const m of [...group.members.values()]) {
    if (!m.awaitingJoin && !m.isStatic) {
      group.remove(m.memberId);
      s.cancel(heartbeatKey(groupId, m.memberId));
    }
  }
  if (group.is(S.Dead)) return none();
  if (!group.maybeElectNewJoinedLeader() && group.numMembers > 0) {
    // Nobody rejoined: wait for the session timeouts to remove the silent members.
    scheduleCompleteJoin(s, groupId, group.rebalanceTimeoutMs());
    return none();
  }
  group.initNextGeneration();
  if (group.is(S.Empty)) {
    s.log.info(`group ${groupId} with generation ${group.generationId} is now empty`);
    return {
      records: [
        { type: 'GroupMetadata', key: { group: groupId }, value: group.toRecordValue(new Map()) },
      ],
    };
  }
  s.log.info(`group ${groupId} generation ${group.generationId} has ${group.numMembers} members`);
  for (const member of group.members.values()) {
    group.completeJoin(
      member,
      currentGeneration(group, member.memberId, group.isLeader(member.memberId)),
    );
    rescheduleHeartbeat(s, group, member);
    member.isNew = false;
    group.pendingSyncMembers.add(member.memberId);
  }
  const generation = group.generationId;
  s.schedule(syncKey(groupId), group.rebalanceTimeoutMs(), () =>
    asResult(expirePendingSync(s, groupId, generation), undefined),
  );
  return none();
}

function expirePendingSync(s: GroupShard, groupId: string, generationId: number): Effects {
  const group = s.classicGroup(groupId);
  if (!group || group.generationId !== generationId) return none();
  if (!group.is(S.CompletingRebalance) && !group.is(S.Stable)) return none();
  if (group.pendingSyncMembers.size === 0) return none();
  const missing = [...group.pendingSyncMembers];
  for (const memberId of missing) {
    group.remove(memberId);
    s.cancel(heartbeatKey(groupId, memberId));
  }
  return prepareRebalance(s, group, `members ${missing.join(', ')} did not send SyncGroup in time`);
}

export function rescheduleHeartbeat(
  s: GroupShard,
  group: ClassicGroup,
  member: ClassicGroupMember,
  timeoutMs = member.sessionTimeoutMs,
): void {
  const { groupId } = group;
  const { memberId } = member;
  s.schedule(heartbeatKey(groupId, memberId), timeoutMs, () =>
    asResult(expireHeartbeat(s, groupId, memberId), undefined),
  );
}

export function expireHeartbeat(s: GroupShard, groupId: string, memberId: string): Effects {
  const group = s.classicGroup(groupId);
  if (!group || group.is(S.Dead)) return none();
  if (group.isPendingMember(memberId)) {
    group.remove(memberId);
    if (group.is(S.PreparingRebalance) && group.hasAllMembersJoined())
      return completeJoin(s, group);
    return none();
  }
  const member = group.member(memberId);
  if (!member || member.hasSatisfiedHeartbeat()) return none();
  s.log.info(`member ${memberId} of group ${groupId} failed its session timeout; removing it`);
  return removeMemberAndUpdateGroup(s, group, member, `member ${memberId} session expired`);
}

function removeMemberAndUpdateGroup(
  s: GroupShard,
  group: ClassicGroup,
  member: ClassicGroupMember,
  reason: string,
): Effects {
  // A member timing out while parked in JoinGroup is told so, and will retry if still alive.
  group.completeJoin(member, emptyJoinResult('', ErrorCode.UNKNOWN_MEMBER_ID));
  group.remove(member.memberId);
  if (group.is(S.Stable) || group.is(S.CompletingRebalance)) {
    return maybePrepareRebalanceOrCompleteJoin(s, group, reason);
  }
  if (group.is(S.PreparingRebalance) && group.hasAllMembersJoined()) return completeJoin(s, group);
  return none();
}

export function resetAndPropagateAssignment(
  s: GroupShard,
  group: ClassicGroup,
  errorCode: number,
): void {
  for (const m of group.members.values()) m.assignment = EMPTY_ASSIGNMENT;
  propagateAssignment(s, group, errorCode);
}

export function propagateAssignment(s: GroupShard, group: ClassicGroup, errorCode: number): void {
  for (const member of group.members.values()) {
    const answered = group.completeSync(member, {
      errorCode,
      protocolType: errorCode === 0 ? group.protocolType : null,
      protocolName: errorCode === 0 ? group.protocolName : null,
      assignment: member.assignment,
    });
    // The session restarts once a member has its assignment.
    if (answered) rescheduleHeartbeat(s, group, member);
  }
}

// --- load / unload -----------------------------------------------------------------------------

/** After a load, every stored member must heartbeat within its session again. */
export function onClassicGroupLoaded(s: GroupShard, group: ClassicGroup): void {
  for (const m of group.members.values()) rescheduleHeartbeat(s, group, m);
  if (group.numMembers > s.config.groupMaxSize) {
    prepareRebalance(s, group, `loaded with ${group.numMembers} members, over group.max.size`);
  }
}

/** The partition moved away: parked requests learn to look for the new coordinator. */
export function onClassicGroupUnloaded(group: ClassicGroup): void {
  const previous = group.state;
  group.state = S.Dead;
  for (const m of group.members.values()) {
    if (previous === S.PreparingRebalance)
      group.completeJoin(m, emptyJoinResult(m.memberId, ErrorCode.NOT_COORDINATOR));
    group.completeSync(m, syncError(ErrorCode.NOT_COORDINATOR));
  }
}

// The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup and their timeouts),
// following Kafka's GroupMetadataManager state by state, error by error. The join and sync
// phases park each member's request (a Deferred) until the group moves on; the outcome of a
// rebalance is persisted as a GroupMetadata record, which is what a reload replays.
import { randomUUID } from 'node:crypto';
import { ErrorCode, type KafkaError } from '../../protocol/errors.js';
import {
  ClassicGroup,
  type ClassicGroupMember,
  EMPTY_ASSIGNMENT,
  emptyJoinResult,
  ClassicGroupMember as Member,
  ClassicGroupState as S,
} from './classic-group.js';
import { ConsumerGroup } from './consumer-group.js';
import type { GroupRecord } from './records.js';
import { type CoordinatorResult, Deferred } from './result.js';
import type { GroupShard } from './shard.js';
import type {
  HeartbeatInput,
  JoinGroupInput,
  JoinGroupResult,
  LeaveGroupInput,
  LeaveGroupResult,
  RequestOrigin,
  SyncGroupInput,
  SyncGroupResult,
} from './types.js';

/** Records (GroupMetadata) a step produced and what to do once they are written. */
interface Effects {
  records: GroupRecord[];
  onAppended?: (error: KafkaError | undefined) => void;
}
const none = (): Effects => ({ records: [] });

export const heartbeatKey = (groupId: string, memberId: string) =>
  `heartbeat-${groupId}-${memberId}`;
const joinKey = (groupId: string) => `join-${groupId}`;
const syncKey = (groupId: string) => `sync-${groupId}`;

// JoinGroup v4+ requires a known member id: a new member is told its id and rejoins with it.
const requiresKnownMemberId = (apiVersion: number) => apiVersion >= 4;
const supportsSkippingAssignment = (apiVersion: number) => apiVersion >= 9;

function asResult<T>(effects: Effects, response: T): CoordinatorResult<T> {
  return { records: effects.records, response, replay: false, onAppended: effects.onAppended };
}

function currentGeneration(
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

// --- rebalance steps ---------------------------------------------------------------------------

function maybePrepareRebalanceOrCompleteJoin(
  s: GroupShard,
  group: ClassicGroup,
  reason: string,
): Effects {
  return group.canRebalance()
    ? prepareRebalance(s, group, reason)
    : maybeCompleteJoinPhase(s, group);
}

function maybeCompleteJoinPhase(s: GroupShard, group: ClassicGroup): Effects {
  if (!group.is(S.PreparingRebalance)) return none();
  if (group.previousState === S.Empty) return none(); // the initial delay decides
  if (!group.hasAllMembersJoined()) return none();
  return completeJoin(s, group);
}

function prepareRebalance(s: GroupShard, group: ClassicGroup, reason: string): Effects {
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
function completeJoin(s: GroupShard, group: ClassicGroup): Effects {
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

function expireHeartbeat(s: GroupShard, groupId: string, memberId: string): Effects {
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

function resetAndPropagateAssignment(s: GroupShard, group: ClassicGroup, errorCode: number): void {
  for (const m of group.members.values()) m.assignment = EMPTY_ASSIGNMENT;
  propagateAssignment(s, group, errorCode);
}

function propagateAssignment(s: GroupShard, group: ClassicGroup, errorCode: number): void {
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

// --- SyncGroup ---------------------------------------------------------------------------------

function syncError(code: number): SyncGroupResult {
  return { errorCode: code, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT };
}

const inconsistent = (requested: string | null, current: string | null) =>
  requested !== null && current !== null && requested !== current;

export function syncGroup(
  s: GroupShard,
  input: SyncGroupInput,
): CoordinatorResult<Promise<SyncGroupResult>> {
  const done = (code: number) => asResult(none(), Promise.resolve(syncError(code)));
  if (input.groupId === '') return done(ErrorCode.INVALID_GROUP_ID);
  const group = s.groups.get(input.groupId);
  if (!(group instanceof ClassicGroup) || group.isEmpty) return done(ErrorCode.UNKNOWN_MEMBER_ID);
  if (group.is(S.Dead)) return done(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const memberError = group.memberError(input.memberId, input.groupInstanceId);
  if (memberError !== 0) return done(memberError);
  if (input.generationId !== group.generationId) return done(ErrorCode.ILLEGAL_GENERATION);
  if (
    inconsistent(input.protocolType, group.protocolType) ||
    inconsistent(input.protocolName, group.protocolName)
  ) {
    return done(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  }
  const member = group.member(input.memberId)!;
  if (group.is(S.PreparingRebalance)) return done(ErrorCode.REBALANCE_IN_PROGRESS);
  if (group.is(S.Stable)) {
    removePendingSyncMember(s, group, input.memberId);
    return asResult(
      none(),
      Promise.resolve({
        errorCode: 0,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: member.assignment,
      }),
    );
  }
  // CompletingRebalance: park until the leader's assignment is stored.
  const future = new Deferred<SyncGroupResult>();
  member.awaitingSync = future;
  removePendingSyncMember(s, group, input.memberId);
  if (!group.isLeader(input.memberId)) return asResult(none(), future.promise);
  const assignments = new Map<string, Buffer>();
  for (const a of input.assignments) assignments.set(a.memberId, a.assignment);
  for (const id of group.members.keys())
    if (!assignments.has(id)) assignments.set(id, EMPTY_ASSIGNMENT);
  const generation = input.generationId;
  return asResult(
    {
      records: [
        {
          type: 'GroupMetadata',
          key: { group: group.groupId },
          value: group.toRecordValue(assignments),
        },
      ],
      onAppended: (err) => {
        // Another member may have started a new rebalance meanwhile: then nothing to do.
        if (!group.is(S.CompletingRebalance) || group.generationId !== generation) return;
        if (err) {
          resetAndPropagateAssignment(s, group, err.code);
          maybePrepareRebalanceOrCompleteJoin(
            s,
            group,
            `storing the assignment failed: ${err.message}`,
          );
          return;
        }
        for (const m of group.members.values())
          m.assignment = assignments.get(m.memberId) ?? EMPTY_ASSIGNMENT;
        propagateAssignment(s, group, 0);
        group.transitionTo(S.Stable);
      },
    },
    future.promise,
  );
}

function removePendingSyncMember(s: GroupShard, group: ClassicGroup, memberId: string): void {
  group.pendingSyncMembers.delete(memberId);
  const done =
    !(group.is(S.CompletingRebalance) || group.is(S.Stable)) || group.pendingSyncMembers.size === 0;
  if (done) s.cancel(syncKey(group.groupId));
}

// --- Heartbeat ---------------------------------------------------------------------------------

export function heartbeat(s: GroupShard, input: HeartbeatInput): CoordinatorResult<number> {
  const done = (code: number) => asResult(none(), code);
  if (input.groupId === '') return done(ErrorCode.INVALID_GROUP_ID);
  const group = s.groups.get(input.groupId);
  if (!(group instanceof ClassicGroup)) return done(ErrorCode.UNKNOWN_MEMBER_ID);
  if (group.is(S.Dead)) return done(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const memberError = group.memberError(input.memberId, input.groupInstanceId);
  if (memberError !== 0) return done(memberError);
  if (input.generationId !== group.generationId) return done(ErrorCode.ILLEGAL_GENERATION);
  const member = group.member(input.memberId)!;
  switch (group.state) {
    case S.Empty:
      return done(ErrorCode.UNKNOWN_MEMBER_ID);
    case S.PreparingRebalance:
      rescheduleHeartbeat(s, group, member);
      return done(ErrorCode.REBALANCE_IN_PROGRESS);
    default:
      // Heartbeats may start right after the JoinGroup answer (CompletingRebalance).
      rescheduleHeartbeat(s, group, member);
      return done(0);
  }
}

// --- LeaveGroup --------------------------------------------------------------------------------

export function leaveGroup(
  s: GroupShard,
  input: LeaveGroupInput,
): CoordinatorResult<LeaveGroupResult> {
  const perMember = (code: number): LeaveGroupResult => ({
    errorCode: 0,
    members: input.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode: code,
    })),
  });
  if (input.groupId === '')
    return asResult(none(), { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] });
  const group = s.groups.get(input.groupId);
  if (!(group instanceof ClassicGroup))
    return asResult(none(), perMember(ErrorCode.UNKNOWN_MEMBER_ID));
  if (group.is(S.Dead))
    return asResult(none(), { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] });
  const responses: LeaveGroupResult['members'] = [];
  let removed = 0;
  for (const m of input.members) {
    const answer = (errorCode: number) =>
      responses.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    if (m.memberId === '') {
      // Admin removal of a static member by its instance id alone.
      const id = group.staticMemberId(m.groupInstanceId);
      if (id === undefined) {
        answer(ErrorCode.UNKNOWN_MEMBER_ID);
        continue;
      }
      removeLeavingMember(s, group, id);
    } else if (group.isPendingMember(m.memberId)) {
      group.remove(m.memberId);
      s.cancel(heartbeatKey(group.groupId, m.memberId));
    } else {
      const error = group.memberError(m.memberId, m.groupInstanceId);
      if (error !== 0) {
        answer(error);
        continue;
      }
      removeLeavingMember(s, group, m.memberId);
    }
    s.log.info(
      `member ${m.memberId || m.groupInstanceId} left group ${group.groupId} (${m.reason ?? 'no reason given'})`,
    );
    answer(0);
    removed++;
  }
  let effects = none();
  if (removed > 0) {
    if (group.is(S.Stable) || group.is(S.CompletingRebalance)) {
      effects = maybePrepareRebalanceOrCompleteJoin(s, group, 'members left the group');
    } else if (group.is(S.PreparingRebalance)) {
      effects = maybeCompleteJoinPhase(s, group);
    }
  }
  return asResult(effects, { errorCode: 0, members: responses });
}

function removeLeavingMember(s: GroupShard, group: ClassicGroup, memberId: string): void {
  const member = group.member(memberId)!;
  s.cancel(heartbeatKey(group.groupId, memberId));
  group.completeJoin(member, emptyJoinResult('', ErrorCode.UNKNOWN_MEMBER_ID));
  group.remove(memberId);
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

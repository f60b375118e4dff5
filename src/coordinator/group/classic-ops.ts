// SyncGroup, Heartbeat and LeaveGroup of the classic protocol (JoinGroup: classic-join.ts).
// They follow Kafka's GroupMetadataManager error by error; the rebalance steps and timeouts they
// trigger are in classic-rebalance.ts. The leader's SyncGroup persists the generation's
// assignments as a GroupMetadata record, which is what a reload replays; the other members'
// SyncGroup is parked until then.
import { ErrorCode } from '../../protocol/errors.js';
import {
  ClassicGroup,
  EMPTY_ASSIGNMENT,
  emptyJoinResult,
  ClassicGroupState as S,
} from './classic-group.js';
import {
  asResult,
  heartbeatKey,
  maybeCompleteJoinPhase,
  maybePrepareRebalanceOrCompleteJoin,
  none,
  propagateAssignment,
  rescheduleHeartbeat,
  resetAndPropagateAssignment,
  syncError,
  syncKey,
} from './classic-rebalance.js';
import { type CoordinatorResult, Deferred } from './result.js';
import type { GroupShard } from './shard.js';
import type {
  HeartbeatInput,
  LeaveGroupInput,
  LeaveGroupResult,
  SyncGroupInput,
  SyncGroupResult,
} from './types.js';

export { joinGroup } from './classic-join.js';
export {
  onClassicGroupLoaded,
  onClassicGroupUnloaded,
  rescheduleHeartbeat,
} from './classic-rebalance.js';

// --- SyncGroup ---------------------------------------------------------------------------------

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

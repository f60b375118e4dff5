// DescribeGroups, ListGroups and DeleteGroups over the groups of one partition.
import { ErrorCode } from '../../protocol/errors.js';
import { ClassicGroup, ClassicGroupState as S } from './classic-group.js';
import { deleteAllOffsets } from './offset-ops.js';
import type { GroupRecord } from './records.js';
import { groupMetadataTombstone } from './records.js';
import { type CoordinatorResult, result } from './result.js';
import type { GroupShard } from './shard.js';
import type { DescribedClassicGroup, ListedGroup } from './types.js';

/** Classic view of a group; unknown (or non-classic) groups are reported Dead, as Kafka does. */
export function describeClassicGroup(s: GroupShard, groupId: string): DescribedClassicGroup {
  const group = s.groups.get(groupId);
  if (!(group instanceof ClassicGroup)) {
    return {
      errorCode: 0,
      groupId,
      groupState: S.Dead,
      protocolType: '',
      protocolData: '',
      members: [],
    };
  }
  const stable = group.is(S.Stable);
  return {
    errorCode: 0,
    groupId,
    groupState: group.state,
    protocolType: group.protocolType ?? '',
    protocolData: stable ? (group.protocolName ?? '') : '',
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: stable ? m.metadata(group.protocolName) : Buffer.alloc(0),
      memberAssignment: m.assignment,
    })),
  };
}

export function listGroups(
  s: GroupShard,
  statesFilter: readonly string[],
  typesFilter: readonly string[],
): ListedGroup[] {
  const states = new Set(statesFilter.map((x) => x.trim().toLowerCase()));
  const types = new Set(typesFilter.map((x) => x.trim().toLowerCase()));
  const out: ListedGroup[] = [];
  for (const group of s.groups.values()) {
    const state = group instanceof ClassicGroup ? group.state : group.state;
    if (states.size > 0 && !states.has(state.toLowerCase())) continue;
    if (types.size > 0 && !types.has(group.type)) continue;
    out.push({
      groupId: group instanceof ClassicGroup ? group.groupId : group.groupId,
      protocolType: group instanceof ClassicGroup ? (group.protocolType ?? '') : 'consumer',
      groupState: state,
      groupType: group.type,
    });
  }
  return out;
}

export function deleteGroups(
  s: GroupShard,
  groupIds: readonly string[],
): CoordinatorResult<{ groupId: string; errorCode: number }[]> {
  const records: GroupRecord[] = [];
  const results = groupIds.map((groupId) => {
    const group = s.groups.get(groupId);
    if (!group || (group instanceof ClassicGroup && group.is(S.Dead))) {
      return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
    }
    if (!group.isEmpty) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
    records.push(...deleteAllOffsets(s, groupId));
    records.push(
      ...(group instanceof ClassicGroup ? [groupMetadataTombstone(groupId)] : group.tombstones()),
    );
    return { groupId, errorCode: 0 };
  });
  return result(results, records);
}

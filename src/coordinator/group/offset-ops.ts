// OffsetCommit, OffsetFetch, OffsetDelete and the retention of committed offsets, as Kafka's
// OffsetMetadataManager: who may commit (members of the current generation, or anyone while
// the group is empty), what is kept, and when empty groups' offsets expire.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { ClassicGroup, ClassicGroupState as S } from './classic-group.js';
import { rescheduleHeartbeat } from './classic-ops.js';
import { ConsumerGroup } from './consumer-group.js';
import { commitMemberError, fetchMemberError } from './consumer-member.js';
import type { OffsetAndMetadata } from './offsets.js';
import {
  type GroupRecord,
  groupMetadataTombstone,
  offsetCommitRecord,
  offsetCommitTombstone,
} from './records.js';
import { type CoordinatorResult, result } from './result.js';
import type { GroupShard } from './shard.js';
import type {
  FetchedOffset,
  OffsetCommitInput,
  OffsetDeleteInput,
  OffsetDeleteResult,
  OffsetFetchGroupInput,
  OffsetFetchGroupResult,
  TopicPartitionErrors,
} from './types.js';

type PartitionError = { partitionIndex: number; errorCode: number };

function validateCommit(
  s: GroupShard,
  r: OffsetCommitInput,
  apiVersion: number,
): KafkaError | undefined {
  const group = s.groups.get(r.groupId);
  const epoch = r.generationIdOrMemberEpoch;
  if (!group) {
    // A commit outside group management creates a "simple" group; others name a group that is gone.
    if (epoch < 0) return undefined;
    return apiVersion >= 9
      ? new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${r.groupId} not found.`)
      : new KafkaError(ErrorCode.ILLEGAL_GENERATION, `Group ${r.groupId} not found.`);
  }
  if (group instanceof ConsumerGroup)
    return commitMemberError(group, r.memberId, epoch, apiVersion);
  if (group.is(S.Dead)) return new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (epoch < 0 && group.isEmpty) return undefined;
  if (epoch >= 0 || r.memberId !== '' || r.groupInstanceId !== null) {
    const error = group.memberError(r.memberId, r.groupInstanceId);
    if (error !== 0) return new KafkaError(error);
    if (epoch !== group.generationId) return new KafkaError(ErrorCode.ILLEGAL_GENERATION);
  } else if (!group.isEmpty) {
    // No member id nor generation: only allowed while nobody consumes in the group.
    return new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID);
  }
  // Its generation is right but the group has not finished rebalancing: let it retry.
  if (group.is(S.CompletingRebalance)) return new KafkaError(ErrorCode.REBALANCE_IN_PROGRESS);
  return undefined;
}

export function commitOffsets(
  s: GroupShard,
  r: OffsetCommitInput,
  apiVersion: number,
): CoordinatorResult<TopicPartitionErrors[]> {
  const error = validateCommit(s, r, apiVersion);
  const records: GroupRecord[] = [];
  const now = s.now();
  const expireTimestamp = r.retentionTimeMs === -1 ? undefined : now + r.retentionTimeMs;
  if (!error) {
    const group = s.groups.get(r.groupId);
    // Committing keeps a classic member's session alive, as a heartbeat would.
    if (group instanceof ClassicGroup && (group.is(S.Stable) || group.is(S.PreparingRebalance))) {
      const member = group.member(r.memberId);
      if (member) rescheduleHeartbeat(s, group, member);
    }
  }
  // As Kafka's response builder: one entry per topic name (first appearance), the partitions
  // refused for an unknown topic or partition first, then the others in request order.
  const byTopic = new Map<string, { unknown: PartitionError[]; rest: PartitionError[] }>();
  for (const t of r.topics) {
    const topic = s.topics.byName(t.name);
    let entry = byTopic.get(t.name);
    if (!entry) byTopic.set(t.name, (entry = { unknown: [], rest: [] }));
    for (const p of t.partitions) {
      const answer = (code: number) => ({ partitionIndex: p.partitionIndex, errorCode: code });
      if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.numPartitions) {
        entry.unknown.push(answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        continue;
      }
      if (error) {
        entry.rest.push(answer(error.code));
        continue;
      }
      const metadata = p.committedMetadata ?? '';
      if (metadata.length > s.config.offsetMetadataMaxBytes) {
        entry.rest.push(answer(ErrorCode.OFFSET_METADATA_TOO_LARGE));
        continue;
      }
      records.push(
        offsetCommitRecord(r.groupId, t.name, p.partitionIndex, {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata,
          commitTimestamp: now,
          expireTimestamp,
        }),
      );
      entry.rest.push(answer(0));
    }
  }
  const response = [...byTopic].map(([name, e]) => ({
    name,
    partitions: [...e.unknown, ...e.rest],
  }));
  return result(response, records);
}

function fetched(partitionIndex: number, o: OffsetAndMetadata | undefined): FetchedOffset {
  return o
    ? {
        partitionIndex,
        committedOffset: o.offset,
        committedLeaderEpoch: o.leaderEpoch,
        metadata: o.metadata,
        errorCode: 0,
      }
    : { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 };
}

/**
 * Committed offsets of one group. Nothing is ever pending here (transactional offset commits
 * are not served yet), so require_stable changes nothing.
 */
export function fetchOffsets(s: GroupShard, r: OffsetFetchGroupInput): OffsetFetchGroupResult {
  const group = s.groups.get(r.groupId);
  let known = group !== undefined;
  if (group instanceof ClassicGroup && group.is(S.Dead)) known = false;
  if (group instanceof ConsumerGroup) {
    const error = fetchMemberError(group, r.memberId, r.memberEpoch);
    if (error) return { groupId: r.groupId, errorCode: error.code, topics: [] };
  }
  const offsets = known ? s.offsets.ofGroup(r.groupId) : undefined;
  if (r.topics === null) {
    const topics = [...(offsets ?? [])].map(([name, partitions]) => ({
      name,
      partitions: [...partitions].map(([p, o]) => fetched(p, o)),
    }));
    return { groupId: r.groupId, errorCode: 0, topics };
  }
  return {
    groupId: r.groupId,
    errorCode: 0,
    topics: r.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) => fetched(p, offsets?.get(t.name)?.get(p))),
    })),
  };
}

export function deleteOffsets(
  s: GroupShard,
  r: OffsetDeleteInput,
): CoordinatorResult<OffsetDeleteResult> {
  const fail = (code: number) => result<OffsetDeleteResult>({ errorCode: code, topics: [] });
  if (r.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
  const group = s.groups.get(r.groupId);
  if (!group) return fail(ErrorCode.GROUP_ID_NOT_FOUND);
  if (group instanceof ClassicGroup) {
    if (group.is(S.Dead)) return fail(ErrorCode.GROUP_ID_NOT_FOUND);
    if (!group.isEmpty && !group.usesConsumerProtocol()) return fail(ErrorCode.NON_EMPTY_GROUP);
  }
  const records: GroupRecord[] = [];
  const topics = r.topics.map((t) => {
    const topic = s.topics.byName(t.name);
    const subscribed = group.isSubscribedToTopic(t.name);
    return {
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (!topic || p < 0 || p >= topic.numPartitions) {
          return { partitionIndex: p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        }
        if (subscribed)
          return { partitionIndex: p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        if (s.offsets.get(r.groupId, t.name, p))
          records.push(offsetCommitTombstone(r.groupId, t.name, p));
        return { partitionIndex: p, errorCode: 0 };
      }),
    };
  });
  return result({ errorCode: 0, topics }, records);
}

/** Every offset of a group, as tombstones (DeleteGroups). */
export function deleteAllOffsets(s: GroupShard, groupId: string): GroupRecord[] {
  const out: GroupRecord[] = [];
  for (const [topic, partitions] of s.offsets.ofGroup(groupId) ?? []) {
    for (const p of partitions.keys()) out.push(offsetCommitTombstone(groupId, topic, p));
  }
  return out;
}

/** What an offset's age is measured from, or undefined when the group keeps its offsets. */
function expiryBase(
  group: ClassicGroup | ConsumerGroup,
): ((o: OffsetAndMetadata) => number) | undefined {
  if (group instanceof ConsumerGroup) return (o) => o.commitTimestamp;
  if (group.protocolType === null) return (o) => o.commitTimestamp; // a simple group
  if (group.isEmpty) {
    const since = group.currentStateTimestamp;
    return (o) => since ?? o.commitTimestamp;
  }
  if (group.usesConsumerProtocol() && group.subscribedTopics !== null && group.is(S.Stable)) {
    return (o) => o.commitTimestamp;
  }
  return undefined;
}

/**
 * offsets.retention.minutes: offsets of topics a group no longer uses expire that long after
 * the group became empty (or after their commit for simple groups and unsubscribed topics);
 * an empty group left without offsets is deleted.
 */
export function cleanupGroupMetadata(s: GroupShard): GroupRecord[] {
  const records: GroupRecord[] = [];
  const now = s.now();
  const retention = s.config.offsetsRetentionMs;
  for (const [groupId, group] of s.groups) {
    let allExpired = true;
    const offsets = s.offsets.ofGroup(groupId);
    if (offsets) {
      const base = expiryBase(group);
      if (!base) continue;
      for (const [topic, partitions] of offsets) {
        if (group.isSubscribedToTopic(topic)) {
          allExpired = false;
          continue;
        }
        for (const [p, o] of partitions) {
          const expired =
            o.expireTimestamp !== undefined ? now >= o.expireTimestamp : now - base(o) >= retention;
          if (expired) records.push(offsetCommitTombstone(groupId, topic, p));
          else allExpired = false;
        }
      }
    }
    if (allExpired && group.isEmpty) {
      records.push(
        ...(group instanceof ClassicGroup ? [groupMetadataTombstone(groupId)] : group.tombstones()),
      );
    }
  }
  return records;
}

/** A deleted topic's committed offsets go with it. */
export function onTopicDeleted(s: GroupShard, topic: string): GroupRecord[] {
  return [...s.offsets.partitionsOfTopic(topic)].map(({ group, partition }) =>
    offsetCommitTombstone(group, topic, partition),
  );
}

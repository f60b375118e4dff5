// What a KIP-848 consumer group subscribes to, and its target assignment.
// Members' topic names and regexes resolved against the cluster's topics, the subscribed topics'
// metadata (ids, partition counts) whose change bumps the group epoch, the comparisons of member
// state that decide which records a heartbeat writes, and the server-side assignor run.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { ASSIGNORS, type AssignmentMember } from './assignors.js';
import {
  type Assignment,
  assignmentsEqual,
  type ConsumerGroup,
  type ConsumerGroupMember,
  EMPTY,
  type SubscribedTopic,
  targetAssignmentRecord,
} from './consumer-group.js';
import type { GroupRecord } from './records.js';
import type { GroupShard, TopicsView } from './shard.js';

export const regexCache = new Map<string, RegExp>();

/** Kafka matches the whole topic name (RE2 syntax, which JS RegExp covers for common use). */
export function compileRegex(source: string): RegExp {
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
export function memberTopics(m: ConsumerGroupMember, topics: TopicsView): Set<string> {
  const out = new Set(m.subscribedTopicNames);
  if (m.subscribedTopicRegex) {
    const re = compileRegex(m.subscribedTopicRegex);
    for (const name of topics.names()) if (!name.startsWith('__') && re.test(name)) out.add(name);
  }
  return out;
}

export function subscriptionMetadata(
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

export function sameMetadata(
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

export const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

export function sameSubscription(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    sameList(a.subscribedTopicNames, b.subscribedTopicNames) &&
    a.subscribedTopicRegex === b.subscribedTopicRegex
  );
}

export function sameMemberMetadata(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
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

export function sameAssignmentState(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.memberEpoch === b.memberEpoch &&
    a.previousMemberEpoch === b.previousMemberEpoch &&
    a.state === b.state &&
    assignmentsEqual(a.assignedPartitions, b.assignedPartitions) &&
    assignmentsEqual(a.partitionsPendingRevocation, b.partitionsPendingRevocation)
  );
}

export function computeTargetAssignment(
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
export function preferredAssignor(s: GroupShard, members: Iterable<ConsumerGroupMember>): string {
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

// The consumer protocol inside JoinGroup/SyncGroup: what a member tells the group (its
// subscription) and what the leader computes for everyone (the assignment).
import type { JoinGroupResponseMember } from '../protocol/messages/join-group.js';
import {
  type Assignor,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type MemberSubscription,
  type TopicPartition,
} from './assignors.js';
import type { Cluster } from './cluster.js';

/** A member's JoinGroup metadata: its topics, and what it owns (for sticky assignors). */
export function subscriptionMetadata(
  topics: readonly string[],
  owned: readonly TopicPartition[],
  generationId: number,
): Buffer {
  return encodeSubscription({
    topics: [...topics],
    userData: null,
    ownedPartitions: groupByTopic(owned),
    generationId,
    rackId: null,
  });
}

/** The leader's part: run the assignor over every member's subscription. */
export async function leaderAssign(
  cluster: Cluster,
  groupId: string,
  protocol: Assignor,
  joined: readonly JoinGroupResponseMember[],
): Promise<{ memberId: string; assignment: Buffer }[]> {
  const members: MemberSubscription[] = joined.map((m) => {
    const s = decodeSubscription(m.metadata);
    return {
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? null,
      topics: s.topics,
      ownedPartitions: (s.ownedPartitions ?? []).flatMap((t) =>
        t.partitions.map((partition) => ({ topic: t.topic, partition })),
      ),
      generationId: s.generationId ?? -1,
      userData: s.userData,
    };
  });
  const topics = [...new Set(members.flatMap((m) => m.topics))];
  await cluster.refreshMetadata(topics).catch(() => undefined);
  const counts = new Map<string, number>();
  for (const t of topics) {
    const info = cluster.topic(t);
    if (info) counts.set(t, info.partitions.length);
    else cluster.logger.warn(`group ${groupId}: topic '${t}' has no metadata; not assigned`);
  }
  const result = protocol.assign(members, counts);
  return members.map((m) => ({
    memberId: m.memberId,
    assignment: encodeAssignment(result.get(m.memberId) ?? []),
  }));
}

function groupByTopic(tps: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const m = new Map<string, number[]>();
  for (const tp of tps) {
    let l = m.get(tp.topic);
    if (!l) m.set(tp.topic, (l = []));
    l.push(tp.partition);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}

export interface GroupOptions {
  /** The coordinator drops a member silent for this long. Default 45 s. */
  sessionTimeoutMs?: number;
  /** How long the group waits for members to rejoin in a rebalance. Default 60 s. */
  rebalanceTimeoutMs?: number;
  /** Default 3 s. */
  heartbeatIntervalMs?: number;
  /** In order of preference. Default ['range', 'cooperative-sticky'] (Kafka's default). */
  assignors?: (string | Assignor)[];
  /** Commit consumed positions periodically and on rebalance/close. Default true. */
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  /** Static membership: a restart with the same id keeps the assignment without a rebalance. */
  groupInstanceId?: string;
  onPartitionsAssigned?: (partitions: TopicPartition[]) => void | Promise<void>;
  onPartitionsRevoked?: (partitions: TopicPartition[]) => void | Promise<void>;
}

export interface GroupHooks {
  /** Positions of the assigned partitions, for commits. */
  positions(): (TopicPartition & { offset: number })[];
  /** New partitions and their committed offsets. */
  assigned(partitions: TopicPartition[], committed: Map<string, number>): Promise<void>;
  /** Partitions taken away (after the commit, if any). */
  revoked(partitions: TopicPartition[]): void;
  /** Wakes a consumer waiting for records (to see a fatal error). */
  wake(): void;
}

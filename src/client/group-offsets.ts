// A group's committed offsets: OffsetCommit and OffsetFetch against the group coordinator,
// shared by the consumer and the admin client.
import { ErrorCode } from '../protocol/errors.js';
import { FindCoordinatorApi } from '../protocol/messages/find-coordinator.js';
import {
  OffsetCommitApi,
  type OffsetCommitRequestTopic,
} from '../protocol/messages/offset-commit.js';
import { OffsetFetchApi } from '../protocol/messages/offset-fetch.js';
import type { TopicPartition } from './assignors.js';
import type { Cluster } from './cluster.js';
import type { Connection } from './connection.js';
import { brokerError } from './errors.js';

/** The node id of a group's coordinator (FindCoordinator, key type 0 = group). */
export async function findGroupCoordinator(cluster: Cluster, groupId: string): Promise<number> {
  const c = await cluster.anyConnection();
  const r = await c.send(FindCoordinatorApi, {
    key: groupId,
    keyType: 0,
    coordinatorKeys: [groupId],
  });
  const found = r.coordinators?.[0] ?? {
    errorCode: r.errorCode ?? 0,
    nodeId: r.nodeId ?? -1,
    host: r.host ?? '',
    port: r.port ?? 0,
    errorMessage: r.errorMessage ?? null,
  };
  if (found.errorCode !== ErrorCode.NONE) {
    throw brokerError(found.errorCode, `FindCoordinator for group ${groupId}`, found.errorMessage);
  }
  cluster.rememberBroker({ nodeId: found.nodeId, host: found.host, port: found.port, rack: null });
  return found.nodeId;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Commits offsets. generationId -1 and memberId '' commit outside group membership (allowed
 * while the group has no active members, e.g. a manually assigned consumer or an admin reset).
 */
export async function commitOffsets(
  connection: Connection,
  groupId: string,
  generationId: number,
  memberId: string,
  groupInstanceId: string | null,
  offsets: readonly (TopicPartition & { offset: number; metadata?: string | null })[],
): Promise<void> {
  const topics = new Map<string, OffsetCommitRequestTopic>();
  for (const o of offsets) {
    let t = topics.get(o.topic);
    if (!t) topics.set(o.topic, (t = { name: o.topic, partitions: [] }));
    t.partitions.push({
      partitionIndex: o.partition,
      committedOffset: BigInt(o.offset),
      committedLeaderEpoch: -1,
      commitTimestamp: -1n,
      committedMetadata: o.metadata ?? null,
    });
  }
  const response = await connection.send(OffsetCommitApi, {
    groupId,
    generationIdOrMemberEpoch: generationId,
    memberId,
    groupInstanceId,
    retentionTimeMs: -1n,
    topics: [...topics.values()],
  });
  for (const t of response.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) {
        throw brokerError(
          p.errorCode,
          `committing ${t.name}/${p.partitionIndex} for group ${groupId}`,
        );
      }
    }
  }
}

/** Committed offsets by `topic\0partition`; partitions without a commit are absent. */
export async function fetchCommittedOffsets(
  connection: Connection,
  groupId: string,
  partitions: readonly TopicPartition[] | null,
): Promise<Map<string, number>> {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions ?? []) {
    let l = byTopic.get(tp.topic);
    if (!l) byTopic.set(tp.topic, (l = []));
    l.push(tp.partition);
  }
  const topics =
    partitions === null
      ? null
      : [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  const response = await connection.send(OffsetFetchApi, {
    groupId,
    topics,
    groups: [{ groupId, memberId: null, memberEpoch: -1, topics }],
    requireStable: true,
  });
  const out = new Map<string, number>();
  const group = response.groups?.[0];
  const errorCode = group ? group.errorCode : (response.errorCode ?? ErrorCode.NONE);
  if (errorCode !== ErrorCode.NONE)
    throw brokerError(errorCode, `fetching offsets of group ${groupId}`);
  const list = group ? group.topics : (response.topics ?? []);
  for (const t of list) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) {
        throw brokerError(
          p.errorCode,
          `fetching the offset of ${t.name}/${p.partitionIndex} for group ${groupId}`,
        );
      }
      if (p.committedOffset >= 0n)
        out.set(key(t.name, p.partitionIndex), Number(p.committedOffset));
    }
  }
  return out;
}

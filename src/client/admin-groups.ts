// The admin client's consumer-group calls: list, describe, delete, and a group's committed
// offsets (read and reset). Group requests go to the group's coordinator.
import { ErrorCode } from '../protocol/errors.js';
import { DeleteGroupsApi } from '../protocol/messages/delete-groups.js';
import { DescribeGroupsApi } from '../protocol/messages/describe-groups.js';
import { ListGroupsApi } from '../protocol/messages/list-groups.js';
import { decodeAssignment, decodeSubscription, type TopicPartition } from './assignors.js';
import type { Cluster } from './cluster.js';
import { brokerError, KafkaError } from './errors.js';
import { commitOffsets, fetchCommittedOffsets, findGroupCoordinator } from './group-offsets.js';
import { listOffsets, OffsetSpec } from './list-offsets.js';
import { withRetry } from './retry.js';

export interface GroupListing {
  groupId: string;
  /** 'consumer' for consumer groups; '' for groups of the new protocol types. */
  protocolType: string;
  /** Stable, Empty, PreparingRebalance, ... (brokers of ListGroups v4+). */
  state?: string;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** For consumer groups: the subscribed topics and the partitions assigned. */
  subscribedTopics?: string[];
  assignment?: TopicPartition[];
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  /** The assignor in use, for consumer groups. */
  protocol: string;
  members: GroupMemberDescription[];
}

export interface GroupOffset extends TopicPartition {
  offset: number;
}

/** Runs `fn` against the group's coordinator, finding it again if it moved. */
export function atCoordinator<T>(
  cluster: Cluster,
  groupId: string,
  fn: (nodeId: number) => Promise<T>,
): Promise<T> {
  return withRetry(cluster.retry, async () => fn(await findGroupCoordinator(cluster, groupId)));
}

/** Every group known to any broker. */
export async function listGroups(cluster: Cluster): Promise<GroupListing[]> {
  await cluster.refreshMetadata();
  const out = new Map<string, GroupListing>();
  await Promise.all(
    [...cluster.brokers.keys()].map(async (nodeId) => {
      const c = await cluster.connection(nodeId);
      const r = await c.send(ListGroupsApi, { statesFilter: [], typesFilter: [] });
      if (r.errorCode !== ErrorCode.NONE)
        throw brokerError(r.errorCode, `ListGroups at broker ${nodeId}`);
      for (const g of r.groups) {
        const listing: GroupListing = { groupId: g.groupId, protocolType: g.protocolType };
        if (g.groupState !== undefined && g.groupState !== '') listing.state = g.groupState;
        out.set(g.groupId, listing);
      }
    }),
  );
  return [...out.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
}

/** Members, state and assignments of groups. */
export async function describeGroups(
  cluster: Cluster,
  groupIds: readonly string[],
): Promise<GroupDescription[]> {
  return Promise.all(
    groupIds.map((groupId) =>
      atCoordinator(cluster, groupId, async (node) => {
        const c = await cluster.connection(node);
        const r = await c.send(DescribeGroupsApi, {
          groups: [groupId],
          includeAuthorizedOperations: false,
        });
        const g = r.groups[0];
        if (!g) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `group ${groupId}`);
        if (g.errorCode !== ErrorCode.NONE)
          throw brokerError(g.errorCode, `DescribeGroups ${groupId}`);
        return {
          groupId: g.groupId,
          state: g.groupState,
          protocolType: g.protocolType,
          protocol: g.protocolData,
          members: g.members.map((m) => {
            const d: GroupMemberDescription = {
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId ?? null,
              clientId: m.clientId,
              clientHost: m.clientHost,
              memberMetadata: m.memberMetadata,
              memberAssignment: m.memberAssignment,
            };
            if (g.protocolType === 'consumer') {
              try {
                if (m.memberMetadata.length > 0)
                  d.subscribedTopics = decodeSubscription(m.memberMetadata).topics;
                d.assignment = decodeAssignment(m.memberAssignment);
              } catch {
                // Not the standard consumer protocol (a custom assignor's format): leave raw.
              }
            }
            return d;
          }),
        };
      }),
    ),
  );
}

/** Deletes groups (they must have no active members). */
export async function deleteGroups(cluster: Cluster, groupIds: readonly string[]): Promise<void> {
  await Promise.all(
    groupIds.map((groupId) =>
      atCoordinator(cluster, groupId, async (node) => {
        const c = await cluster.connection(node);
        const r = await c.send(DeleteGroupsApi, { groupsNames: [groupId] });
        for (const res of r.results) {
          if (res.errorCode !== ErrorCode.NONE) {
            throw brokerError(res.errorCode, `DeleteGroups ${res.groupId}`);
          }
        }
      }),
    ),
  );
}

/** A group's committed offsets, for some topics or all it has. */
export async function fetchGroupOffsets(
  cluster: Cluster,
  groupId: string,
  topics?: readonly string[],
): Promise<GroupOffset[]> {
  let partitions: TopicPartition[] | null = null;
  if (topics) {
    const info = await cluster.topicMetadata(topics);
    partitions = [...info.values()].flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partition })),
    );
  }
  const got = await atCoordinator(cluster, groupId, async (node) =>
    fetchCommittedOffsets(await cluster.connection(node), groupId, partitions),
  );
  const out: GroupOffset[] = [];
  for (const [k, offset] of got) {
    const [topic, partition] = k.split('\u0000') as [string, string];
    out.push({ topic, partition: Number(partition), offset });
  }
  return out.sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
}

/**
 * Sets a group's offsets for a topic: to explicit offsets, or to the earliest/latest offset of
 * every partition. The group must have no active members (as with Kafka's tools).
 */
export async function resetGroupOffsets(
  cluster: Cluster,
  options: {
    groupId: string;
    topic: string;
    to?: 'earliest' | 'latest';
    offsets?: { partition: number; offset: number }[];
  },
): Promise<GroupOffset[]> {
  let offsets: GroupOffset[];
  if (options.offsets) {
    offsets = options.offsets.map((o) => ({ topic: options.topic, ...o }));
  } else {
    const info = (await cluster.topicMetadata([options.topic])).get(options.topic)!;
    const spec = options.to === 'latest' ? OffsetSpec.latest : OffsetSpec.earliest;
    const answers = await listOffsets(
      cluster,
      info.partitions.map((p) => ({
        topic: options.topic,
        partition: p.partition,
        timestamp: spec,
      })),
    );
    offsets = answers.map((a) => ({ topic: a.topic, partition: a.partition, offset: a.offset }));
  }
  await atCoordinator(cluster, options.groupId, async (node) =>
    commitOffsets(await cluster.connection(node), options.groupId, -1, '', null, offsets),
  );
  return offsets;
}

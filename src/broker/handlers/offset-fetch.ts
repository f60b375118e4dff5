// OffsetFetch: committed offsets of a group (v8+: of several groups), all of them when topics
// is null (v2+). v9 names the member, whose epoch must then be current. v0 (ZooKeeper) is
// not served, as in Kafka 4.

import type { OffsetFetchGroupResult } from '../../coordinator/group/types.js';
import {
  OffsetFetchApi,
  type OffsetFetchResponse,
  type OffsetFetchResponsePartition,
} from '../../protocol/messages/offset-fetch.js';
import { defineHandler } from '../handler.js';

export default defineHandler({
  api: OffsetFetchApi,
  minVersion: 1,
  maxVersion: 9,
  async handle(request, ctx): Promise<OffsetFetchResponse> {
    const version = ctx.header.apiVersion;
    const coordinator = ctx.broker.groupCoordinator;
    if (version >= 8) {
      const groups = await Promise.all(
        (request.groups ?? []).map((g) =>
          coordinator.fetchOffsets({
            groupId: g.groupId,
            memberId: g.memberId ?? null,
            memberEpoch: g.memberEpoch ?? -1,
            topics: g.topics,
          }),
        ),
      );
      return {
        throttleTimeMs: 0,
        groups: groups.map((g) => ({
          groupId: g.groupId,
          errorCode: g.errorCode,
          topics: g.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({
              ...p,
              committedOffset: BigInt(p.committedOffset),
            })),
          })),
        })),
      };
    }
    const topics = version >= 2 ? (request.topics ?? null) : (request.topics ?? []);
    const g: OffsetFetchGroupResult = await coordinator.fetchOffsets({
      groupId: request.groupId ?? '',
      memberId: null,
      memberEpoch: -1,
      topics,
    });
    // v1 has no group-level error code: the error goes to every partition asked for.
    const partitionError = version < 2 ? g.errorCode : 0;
    const answered =
      g.errorCode !== 0 && topics !== null
        ? topics.map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({
              partitionIndex,
              committedOffset: -1,
              committedLeaderEpoch: -1,
              metadata: '',
              errorCode: partitionError,
            })),
          }))
        : g.topics;
    return {
      throttleTimeMs: 0,
      errorCode: g.errorCode,
      topics: answered.map((t) => ({
        name: t.name,
        partitions: t.partitions.map(
          (p): OffsetFetchResponsePartition => ({
            partitionIndex: p.partitionIndex,
            committedOffset: BigInt(p.committedOffset),
            committedLeaderEpoch: p.committedLeaderEpoch,
            metadata: p.metadata,
            errorCode: p.errorCode,
          }),
        ),
      })),
    };
  },
});

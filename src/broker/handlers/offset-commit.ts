// OffsetCommit: stores consumed positions in __consumer_offsets. Members commit with their
// generation (classic) or member epoch (consumer groups, v9+); anyone may commit for a group
// nobody consumes in (generation -1, empty member id). v0-1 (ZooKeeper era) are not served,
// as in Kafka 4.
import {
  OffsetCommitApi,
  type OffsetCommitResponse,
} from '../../protocol/messages/offset-commit.js';
import { defineHandler } from '../handler.js';

export default defineHandler({
  api: OffsetCommitApi,
  minVersion: 2,
  maxVersion: 9,
  async handle(request, ctx): Promise<OffsetCommitResponse> {
    const version = ctx.header.apiVersion;
    const retention = version <= 4 ? Number(request.retentionTimeMs ?? -1n) : -1;
    const topics = await ctx.broker.groupCoordinator.commitOffsets(
      {
        groupId: request.groupId,
        generationIdOrMemberEpoch: request.generationIdOrMemberEpoch ?? -1,
        memberId: request.memberId ?? '',
        groupInstanceId: request.groupInstanceId ?? null,
        retentionTimeMs: retention < 0 ? -1 : retention,
        topics: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            committedOffset: Number(p.committedOffset),
            committedLeaderEpoch: p.committedLeaderEpoch ?? -1,
            committedMetadata: p.committedMetadata,
          })),
        })),
      },
      version,
    );
    return { throttleTimeMs: 0, topics };
  },
});

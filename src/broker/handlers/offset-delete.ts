// OffsetDelete: removes committed offsets of topics a group no longer consumes.
import {
  OffsetDeleteApi,
  type OffsetDeleteResponse,
} from '../../protocol/messages/offset-delete.js';
import { defineHandler } from '../handler.js';

export default defineHandler({
  api: OffsetDeleteApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx): Promise<OffsetDeleteResponse> {
    const r = await ctx.broker.groupCoordinator.deleteOffsets({
      groupId: request.groupId,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => p.partitionIndex),
      })),
    });
    return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
  },
});

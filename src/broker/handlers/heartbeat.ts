// Heartbeat: keeps a classic member's session alive and tells it when to rejoin
// (REBALANCE_IN_PROGRESS) or that it was fenced (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, ...).
import { HeartbeatApi, type HeartbeatResponse } from '../../protocol/messages/heartbeat.js';
import { defineHandler } from '../handler.js';

export default defineHandler({
  api: HeartbeatApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx): Promise<HeartbeatResponse> {
    const errorCode = await ctx.broker.groupCoordinator.heartbeat({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId ?? null,
    });
    return { throttleTimeMs: 0, errorCode };
  },
});

// SyncGroup: the leader hands in the assignment its assignor computed; every member waits for
// its own share. The coordinator stores and relays the bytes without reading them.
import { ErrorCode } from '../../protocol/errors.js';
import { SyncGroupApi, type SyncGroupResponse } from '../../protocol/messages/sync-group.js';
import { defineHandler } from '../handler.js';

export default defineHandler({
  api: SyncGroupApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx): Promise<SyncGroupResponse> {
    if (
      ctx.header.apiVersion >= 5 &&
      (request.protocolType == null || request.protocolName == null)
    ) {
      // From v5 both are mandatory; Kafka refuses before looking at the group.
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
        protocolType: null,
        protocolName: null,
        assignment: Buffer.alloc(0),
      };
    }
    const r = await ctx.broker.groupCoordinator.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId ?? null,
      protocolType: request.protocolType ?? null,
      protocolName: request.protocolName ?? null,
      assignments: request.assignments.map((a) => ({
        memberId: a.memberId,
        assignment: a.assignment,
      })),
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      protocolType: r.protocolType,
      protocolName: r.protocolName,
      assignment: r.assignment,
    };
  },
});

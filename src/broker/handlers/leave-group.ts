// LeaveGroup: members leave a classic group (v3+ several at once, static members by instance
// id alone, which is how admins remove them). v0-2 carry one member id and one error code.
import { LeaveGroupApi, type LeaveGroupResponse } from '../../protocol/messages/leave-group.js';
import { defineHandler } from '../handler.js';

export default defineHandler({
  api: LeaveGroupApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx): Promise<LeaveGroupResponse> {
    const version = ctx.header.apiVersion;
    const members =
      version >= 3
        ? (request.members ?? []).map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            reason: m.reason ?? null,
          }))
        : [{ memberId: request.memberId ?? '', groupInstanceId: null, reason: null }];
    const r = await ctx.broker.groupCoordinator.leaveGroup({ groupId: request.groupId, members });
    if (version >= 3) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
    return { throttleTimeMs: 0, errorCode: r.errorCode || (r.members[0]?.errorCode ?? 0) };
  },
});

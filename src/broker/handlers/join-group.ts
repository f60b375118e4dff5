// JoinGroup: a member joins (or rejoins) a classic group. The request stays parked until the
// group's join phase ends, like Kafka's muted channel; other connections carry on.
import { JoinGroupApi, type JoinGroupResponse } from '../../protocol/messages/join-group.js';
import { defineHandler, type RequestContext } from '../handler.js';

/** Kafka reports member hosts as InetAddress.toString(): "/127.0.0.1". */
export function clientHost(ctx: RequestContext): string {
  const at = ctx.clientAddress.lastIndexOf(':');
  return `/${at > 0 ? ctx.clientAddress.slice(0, at) : ctx.clientAddress}`;
}

export default defineHandler({
  api: JoinGroupApi,
  minVersion: 0,
  maxVersion: 9,
  async handle(request, ctx): Promise<JoinGroupResponse> {
    const version = ctx.header.apiVersion;
    const r = await ctx.broker.groupCoordinator.joinGroup(
      {
        groupId: request.groupId,
        sessionTimeoutMs: request.sessionTimeoutMs,
        // v0 has no rebalance timeout: Kafka uses the session timeout for both.
        rebalanceTimeoutMs:
          version >= 1
            ? (request.rebalanceTimeoutMs ?? request.sessionTimeoutMs)
            : request.sessionTimeoutMs,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId ?? null,
        protocolType: request.protocolType,
        protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
        reason: request.reason ?? null,
      },
      { clientId: ctx.header.clientId ?? '', clientHost: clientHost(ctx), apiVersion: version },
    );
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      // Before v7 the protocol name cannot be null: Kafka sends "".
      protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
      leader: r.leader,
      skipAssignment: r.skipAssignment,
      memberId: r.memberId,
      members: r.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        metadata: m.metadata,
      })),
    };
  },
});

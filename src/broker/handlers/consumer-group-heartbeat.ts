// ConsumerGroupHeartbeat (KIP-848): join, heartbeat and leave in one API, with the assignment
// computed by the coordinator. v1 adds SubscribedTopicRegex; Kafka 4.0 made it stable and the
// Java 4.x and librdkafka 2.12+ consumers use it, so it is served although the spec we generate
// from still marks it unstable.
import {
  ConsumerGroupHeartbeatApi,
  type ConsumerGroupHeartbeatResponse,
} from '../../protocol/messages/consumer-group-heartbeat.js';
import { defineHandler } from '../handler.js';
import { clientHost } from './join-group.js';

export default defineHandler({
  api: ConsumerGroupHeartbeatApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx): Promise<ConsumerGroupHeartbeatResponse> {
    const r = await ctx.broker.groupCoordinator.consumerGroupHeartbeat(
      {
        groupId: request.groupId,
        memberId: request.memberId,
        memberEpoch: request.memberEpoch,
        instanceId: request.instanceId,
        rackId: request.rackId,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        subscribedTopicNames: request.subscribedTopicNames,
        subscribedTopicRegex: request.subscribedTopicRegex ?? null,
        serverAssignor: request.serverAssignor,
        topicPartitions: request.topicPartitions,
      },
      {
        clientId: ctx.header.clientId ?? '',
        clientHost: clientHost(ctx),
        apiVersion: ctx.header.apiVersion,
      },
    );
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment && { topicPartitions: r.assignment },
    };
  },
});

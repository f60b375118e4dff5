// ConsumerGroupDescribe (KIP-848): epochs, members, current and target assignments of
// consumer groups. Classic or unknown groups answer GROUP_ID_NOT_FOUND.
import {
  ConsumerGroupDescribeApi,
  type ConsumerGroupDescribeResponse,
} from '../../protocol/messages/consumer-group-describe.js';
import { defineHandler } from '../handler.js';
import { GROUP_AUTHORIZED_OPERATIONS } from './describe-groups.js';

const NOT_REQUESTED = -2147483648;

export default defineHandler({
  api: ConsumerGroupDescribeApi,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx): ConsumerGroupDescribeResponse {
    const operations = request.includeAuthorizedOperations
      ? GROUP_AUTHORIZED_OPERATIONS
      : NOT_REQUESTED;
    return {
      throttleTimeMs: 0,
      groups: ctx.broker.groupCoordinator.consumerGroupDescribe(request.groupIds).map((g) => ({
        ...g,
        authorizedOperations: g.errorCode === 0 ? operations : NOT_REQUESTED,
        members: g.members.map((m) => ({
          ...m,
          assignment: { topicPartitions: m.assignment },
          targetAssignment: { topicPartitions: m.targetAssignment },
        })),
      })),
    };
  },
});

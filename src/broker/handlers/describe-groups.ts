// DescribeGroups: state, protocol and members of classic groups. Unknown groups are reported
// in state Dead without error, as Kafka does for this API.
import {
  DescribeGroupsApi,
  type DescribeGroupsResponse,
} from '../../protocol/messages/describe-groups.js';
import { defineHandler } from '../handler.js';

/** READ, DELETE and DESCRIBE: what anyone may do to a group while Samsa has no ACLs. */
export const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const NOT_REQUESTED = -2147483648;

export default defineHandler({
  api: DescribeGroupsApi,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx): DescribeGroupsResponse {
    const operations = request.includeAuthorizedOperations
      ? GROUP_AUTHORIZED_OPERATIONS
      : NOT_REQUESTED;
    const groups = ctx.broker.groupCoordinator.describeGroups(request.groups);
    return {
      throttleTimeMs: 0,
      groups: groups.map((g) => ({
        ...g,
        authorizedOperations: g.errorCode === 0 ? operations : NOT_REQUESTED,
      })),
    };
  },
});

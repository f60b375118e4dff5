// DeleteGroups: removes empty groups with their committed offsets (tombstones in
// __consumer_offsets); a group with members answers NON_EMPTY_GROUP.
import {
  DeleteGroupsApi,
  type DeleteGroupsResponse,
} from '../../protocol/messages/delete-groups.js';
import { defineHandler } from '../handler.js';

export default defineHandler({
  api: DeleteGroupsApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx): Promise<DeleteGroupsResponse> {
    return {
      throttleTimeMs: 0,
      results: await ctx.broker.groupCoordinator.deleteGroups(request.groupsNames),
    };
  },
});

// ListGroups: every group this broker coordinates, filtered by state (v4+, case-insensitive)
// and by type (v5+: classic, consumer).
import { ListGroupsApi, type ListGroupsResponse } from '../../protocol/messages/list-groups.js';
import { defineHandler } from '../handler.js';

export default defineHandler({
  api: ListGroupsApi,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx): ListGroupsResponse {
    const r = ctx.broker.groupCoordinator.listGroups(
      request.statesFilter ?? [],
      request.typesFilter ?? [],
    );
    return { throttleTimeMs: 0, errorCode: r.errorCode, groups: r.groups };
  },
});

// ListPartitionReassignments v0: the partitions being moved (all of them for a null topic list,
// else those asked for that are moving), with their full replica set and the replicas being
// added and removed. A partition that is not moving, or does not exist, is left out, as in Kafka.
import { isReassigning } from '../../cluster/reassignment.js';
import type { PartitionAssignment } from '../../cluster/topic-registry.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  ListPartitionReassignmentsApi,
  type ListPartitionReassignmentsResponse,
  type ListPartitionReassignmentsResponseOngoingTopicReassignment,
} from '../../protocol/messages/list-partition-reassignments.js';
import { defineHandler } from '../handler.js';

export default defineHandler({
  api: ListPartitionReassignmentsApi,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx): ListPartitionReassignmentsResponse {
    const { topics } = ctx.broker;
    const wanted =
      request.topics === null
        ? topics.topics().map((t) => ({ name: t.name, partitions: undefined }))
        : request.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes }));
    const out: ListPartitionReassignmentsResponseOngoingTopicReassignment[] = [];
    for (const w of wanted) {
      const topic = topics.topic(w.name);
      if (!topic) continue;
      const chosen: PartitionAssignment[] = (
        w.partitions === undefined
          ? topic.partitions
          : w.partitions.map((i) => topic.partitions[i]).filter((a) => a !== undefined)
      ).filter(isReassigning);
      if (chosen.length === 0) continue;
      out.push({
        name: topic.name,
        partitions: chosen.map((a) => ({
          partitionIndex: a.partition,
          replicas: a.replicas,
          addingReplicas: a.addingReplicas ?? [],
          removingReplicas: a.removingReplicas ?? [],
        })),
      });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: out };
  },
});

// AlterPartitionReassignments v0: starts, redirects or (null replicas) cancels the move of
// partitions to new replica lists. The change is recorded in the partition's state by
// compare-and-swap and answered at once; the controller carries it out (reassignment.ts), and
// ListPartitionReassignments shows it until it completes. Any broker takes the request, as a
// KRaft broker forwards it: the store is the single place the change is made.
import {
  cancelReassignment,
  changePartition,
  startReassignment,
  validateTarget,
} from '../../cluster/reassignment.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  AlterPartitionReassignmentsApi,
  type AlterPartitionReassignmentsResponse,
  type AlterPartitionReassignmentsResponseReassignableTopicResponse,
} from '../../protocol/messages/alter-partition-reassignments.js';
import { apiError, logOutcomes } from '../admin-support.js';
import { defineHandler } from '../handler.js';

export default defineHandler({
  api: AlterPartitionReassignmentsApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx): Promise<AlterPartitionReassignmentsResponse> {
    const { broker } = ctx;
    const live = new Set(broker.liveBrokerIds());
    const responses: AlterPartitionReassignmentsResponseReassignableTopicResponse[] = [];
    const outcomes: { name: string; code: number; message: string | null }[] = [];
    for (const topic of request.topics) {
      const partitions: AlterPartitionReassignmentsResponseReassignableTopicResponse['partitions'] =
        [];
      for (const p of topic.partitions) {
        let errorCode: number = ErrorCode.NONE;
        let errorMessage: string | null = null;
        try {
          const target = p.replicas;
          if (target !== null) validateTarget(target, live);
          await changePartition(broker.topics, topic.name, p.partitionIndex, (current) =>
            target === null
              ? cancelReassignment(current, live)
              : startReassignment(current, target),
          );
        } catch (err) {
          ({ code: errorCode, message: errorMessage } = apiError(err));
        }
        partitions.push({ partitionIndex: p.partitionIndex, errorCode, errorMessage });
        outcomes.push({
          name: `${topic.name}-${p.partitionIndex} -> ${p.replicas === null ? 'cancel' : `[${p.replicas.join(',')}]`}`,
          code: errorCode,
          message: errorMessage,
        });
      }
      responses.push({ name: topic.name, partitions });
    }
    logOutcomes(ctx.log, 'AlterPartitionReassignments', ctx.header.clientId, outcomes);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
});

// ElectLeaders v0-2: preferred (type 0; the only one before v1) or unclean (type 1) leader
// election for the partitions named, or for every partition when the list is null (then only
// the partitions that needed an election are answered, as Kafka does). Each election is a
// compare-and-swap of the partition's leader under a bumped epoch; any broker takes the request.
import { changePartition, type ElectionType, electForAdmin } from '../../cluster/reassignment.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  ElectLeadersApi,
  type ElectLeadersResponse,
  type ElectLeadersResponseReplicaElectionResult,
} from '../../protocol/messages/elect-leaders.js';
import { apiError, logOutcomes } from '../admin-support.js';
import { defineHandler } from '../handler.js';

export default defineHandler({
  api: ElectLeadersApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx): Promise<ElectLeadersResponse> {
    const { broker } = ctx;
    const type = request.electionType ?? 0;
    if (type !== 0 && type !== 1) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.INVALID_REQUEST,
        replicaElectionResults: [],
      };
    }
    const election: ElectionType = type === 0 ? 'preferred' : 'unclean';
    const live = new Set(broker.liveBrokerIds());
    const all = request.topicPartitions === null;
    const asked =
      request.topicPartitions ??
      broker.topics.topics().map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => p.partition),
      }));
    const results: ElectLeadersResponseReplicaElectionResult[] = [];
    const outcomes: { name: string; code: number; message: string | null }[] = [];
    for (const t of asked) {
      const partitionResult: ElectLeadersResponseReplicaElectionResult['partitionResult'] = [];
      for (const partition of t.partitions) {
        let errorCode: number = ErrorCode.NONE;
        let errorMessage: string | null = null;
        try {
          await changePartition(broker.topics, t.topic, partition, (a) =>
            electForAdmin(a, election, live),
          );
        } catch (err) {
          ({ code: errorCode, message: errorMessage } = apiError(err));
        }
        if (all && errorCode === ErrorCode.ELECTION_NOT_NEEDED) continue;
        partitionResult.push({ partitionId: partition, errorCode, errorMessage });
        outcomes.push({ name: `${t.topic}-${partition}`, code: errorCode, message: errorMessage });
      }
      if (partitionResult.length > 0) results.push({ topic: t.topic, partitionResult });
    }
    logOutcomes(ctx.log, `ElectLeaders (${election})`, ctx.header.clientId, outcomes);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results };
  },
});

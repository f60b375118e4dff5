// DeleteRecords (v0-2): moves a partition's log start offset up (durably, before answering) and
// answers the new low watermark. Offset -1 means the high watermark. As in Kafka
// (Partition.deleteRecordsOnLeader, UnifiedLog.maybeIncrementLogStartOffset): an offset below 0
// or above the high watermark is OFFSET_OUT_OF_RANGE, a topic without the delete cleanup policy
// is POLICY_VIOLATION, and an offset at or below the current start changes nothing. On a single
// node there are no followers to wait for, so the answer is immediate.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import {
  DeleteRecordsApi,
  type DeleteRecordsResponse,
} from '../../protocol/messages/delete-records.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { partitionFailure } from '../partition-errors.js';

const HIGH_WATERMARK = -1;

function deleteRecords(
  ctx: RequestContext,
  topic: string,
  index: number,
  requested: number,
): number {
  const partition = ctx.broker.replicaManager.leaderPartition(topic, index);
  if (!partition.log.config.cleanupPolicy.includes('delete')) {
    throw new KafkaError(
      ErrorCode.POLICY_VIOLATION,
      `Records of partition ${topic}-${index} can not be deleted due to the configured policy`,
    );
  }
  const hw = partition.highWatermark;
  const offset = requested === HIGH_WATERMARK ? hw : requested;
  if (offset < 0 || offset > hw) {
    throw new KafkaError(
      ErrorCode.OFFSET_OUT_OF_RANGE,
      `cannot delete records of ${topic}-${index} before offset ${offset}: the high watermark is ${hw}`,
    );
  }
  partition.log.deleteRecordsBefore(offset);
  return partition.logStartOffset;
}

export default defineHandler({
  api: DeleteRecordsApi,
  minVersion: 0,
  maxVersion: 2,
  handle(request, ctx): DeleteRecordsResponse {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          try {
            const low = deleteRecords(ctx, t.name, p.partitionIndex, Number(p.offset));
            return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(low), errorCode: 0 };
          } catch (err) {
            const what = `DeleteRecords of ${t.name}-${p.partitionIndex}`;
            const { code } = partitionFailure(err, ctx.log, what);
            return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: code };
          }
        }),
      })),
    };
  },
});

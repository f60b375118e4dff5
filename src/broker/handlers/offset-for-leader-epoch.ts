// OffsetForLeaderEpoch (v0-4): for each partition, the largest leader epoch <= the one asked for
// and the offset where the epoch after it starts (the log end offset for the latest epoch), from
// the log's leader-epoch cache. Consumers use it to detect log truncation after a leader change,
// followers to find where to truncate. An epoch older than every epoch in the log answers -1/-1
// without an error, as Kafka does. currentLeaderEpoch (v2+) fences stale and future leaders.
import { ErrorCode } from '../../protocol/errors.js';
import {
  OffsetForLeaderEpochApi,
  type OffsetForLeaderEpochResponse,
} from '../../protocol/messages/offset-for-leader-epoch.js';
import { defineHandler } from '../handler.js';
import { partitionFailure } from '../partition-errors.js';

export default defineHandler({
  api: OffsetForLeaderEpochApi,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx): OffsetForLeaderEpochResponse {
    const rm = ctx.broker.replicaManager;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          try {
            const partition = rm.leaderPartitionForEpoch(
              t.topic,
              p.partition,
              p.currentLeaderEpoch ?? -1,
            );
            const { epoch, endOffset } = partition.log.endOffsetForEpoch(p.leaderEpoch);
            return {
              errorCode: ErrorCode.NONE,
              partition: p.partition,
              leaderEpoch: epoch,
              endOffset: BigInt(endOffset),
            };
          } catch (err) {
            const what = `OffsetForLeaderEpoch of ${t.topic}-${p.partition}`;
            return {
              errorCode: partitionFailure(err, ctx.log, what).code,
              partition: p.partition,
              leaderEpoch: -1,
              endOffset: -1n,
            };
          }
        }),
      })),
    };
  },
});

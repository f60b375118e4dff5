// DescribeProducers (v0): the idempotent producers the leader of each partition remembers
// (producer id, epoch, last sequence and timestamp), from the log's producer state. Samsa has no
// transactions yet, so no producer has an open transaction (currentTxnStartOffset -1).
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeProducersApi,
  type DescribeProducersResponse,
} from '../../protocol/messages/describe-producers.js';
import { defineHandler } from '../handler.js';
import { partitionFailure } from '../partition-errors.js';

export default defineHandler({
  api: DescribeProducersApi,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx): DescribeProducersResponse {
    const rm = ctx.broker.replicaManager;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((index) => {
          try {
            const state = rm.leaderPartition(t.name, index).log.producerState;
            const activeProducers = [...state.entries()].map((e) => ({
              producerId: BigInt(e.producerId),
              producerEpoch: e.producerEpoch,
              lastSequence: e.batches[e.batches.length - 1]?.lastSeq ?? -1,
              lastTimestamp: BigInt(e.lastTimestamp),
              coordinatorEpoch: e.coordinatorEpoch,
              currentTxnStartOffset: -1n,
            }));
            return {
              partitionIndex: index,
              errorCode: ErrorCode.NONE,
              errorMessage: null,
              activeProducers,
            };
          } catch (err) {
            const f = partitionFailure(err, ctx.log, `DescribeProducers of ${t.name}-${index}`);
            return {
              partitionIndex: index,
              errorCode: f.code,
              errorMessage: f.message,
              activeProducers: [],
            };
          }
        }),
      })),
    };
  },
});

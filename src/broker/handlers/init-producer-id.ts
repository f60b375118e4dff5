// InitProducerId (v0-5). Without a transactional id (an idempotent producer) Kafka hands out a
// fresh producer id with epoch 0, whatever producerId/epoch the request names (KIP-360's epoch
// bump is only for transactional ids); so does Samsa, from blocks claimed in the cluster
// metadata so ids stay unique across restarts (coordinator/txn/producer-id-manager.ts).
// With a transactional id Kafka's transaction coordinator answers; Samsa has none yet, and
// answers as a Kafka broker that does not own the transactional id's partition: NOT_COORDINATOR
// (after Kafka's own checks: an empty id is INVALID_REQUEST, a timeout outside
// (0, transaction.max.timeout.ms] INVALID_TRANSACTION_TIMEOUT).
import { producerIdManager } from '../../coordinator/txn/producer-id-manager.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  InitProducerIdApi,
  type InitProducerIdResponse,
} from '../../protocol/messages/init-producer-id.js';
import { defineHandler } from '../handler.js';
import { partitionFailure } from '../partition-errors.js';

/** Kafka's transaction.max.timeout.ms default (15 minutes). */
const TRANSACTION_MAX_TIMEOUT_MS = 900_000;

function failed(errorCode: number): InitProducerIdResponse {
  return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
}

export default defineHandler({
  api: InitProducerIdApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx): Promise<InitProducerIdResponse> {
    const { transactionalId, transactionTimeoutMs } = request;
    if (transactionalId !== null) {
      if (transactionalId === '') return failed(ErrorCode.INVALID_REQUEST);
      if (transactionTimeoutMs <= 0 || transactionTimeoutMs > TRANSACTION_MAX_TIMEOUT_MS) {
        return failed(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
      }
      return failed(ErrorCode.NOT_COORDINATOR);
    }
    try {
      const { broker } = ctx;
      const id = await producerIdManager(broker.metadataStore, broker.nodeId).generateProducerId();
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        producerId: BigInt(id),
        producerEpoch: 0,
      };
    } catch (err) {
      return failed(partitionFailure(err, ctx.log, 'InitProducerId').code);
    }
  },
});

// Produce (v0-11): one record batch per partition, validated from its header and appended as the
// producer sent it (offsets and leader epoch written in place by the log). Checks and their
// order follow Kafka's KafkaApis.handleProduceRequest / ReplicaManager.appendRecords:
//   unknown topic or partition ............................. UNKNOWN_TOPIC_OR_PARTITION
//   acks not 0, 1 or -1 ..................................... INVALID_REQUIRED_ACKS
//   an internal topic, unless the client is Kafka's admin .. INVALID_TOPIC_EXCEPTION
//   not led here ............................................ NOT_LEADER_OR_FOLLOWER
//   acks=-1 and the ISR below min.insync.replicas .......... NOT_ENOUGH_REPLICAS
//   the batch (records/validate.ts), the log (timestamps, producer state, storage)
// Transactional batches are refused as Kafka refuses a transactional id its transaction
// coordinator does not know: Samsa has no transaction coordinator yet, so InitProducerId never
// hands out a transactional producer id and no transactional batch can be valid.
// acks=0 gets no answer; if any partition failed, the connection is closed instead, which is
// how Kafka tells such a producer to refresh its metadata.
// acks=-1 on a replicated partition answers once the high watermark passes the batch (every
// in-sync replica has it), or with the replica manager's error after the request's timeout.

import type { Partition } from '../../cluster/replica-manager.js';
import { INTERNAL_TOPICS } from '../../cluster/topic-registry.js';
import { ErrorCode, errorInfo, KafkaError } from '../../protocol/errors.js';
import type {
  ProduceRequest,
  ProduceResponse,
  ProduceResponsePartitionProduceResponse,
} from '../../protocol/messages/produce.js';
import { ProduceApi } from '../../protocol/messages/produce.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CompressionType,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
} from '../../protocol/records/batch-header.js';
import {
  validateProducedRecords,
  validateProducedRecordsDeep,
} from '../../protocol/records/validate.js';
import { leaderEndpoints } from '../admin-support.js';
import { defineHandler, NO_RESPONSE, type RequestContext } from '../handler.js';
import { partitionFailure } from '../partition-errors.js';

/** Kafka's AdminUtils.ADMIN_CLIENT_ID: the one client allowed to write internal topics. */
const ADMIN_CLIENT_ID = '__admin_client';
const TRANSACTIONAL_BIT = 0x10;
const PRODUCER_ID_OFFSET = 43;

/** Errors Kafka answers without the partition's log start offset (checked before the log). */
const WITHOUT_LOG_START_OFFSET = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.INVALID_REQUIRED_ACKS,
  ErrorCode.INVALID_TOPIC_EXCEPTION,
  ErrorCode.MESSAGE_TOO_LARGE,
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
]);

type PartitionResponse = ProduceResponsePartitionProduceResponse;

function failed(
  index: number,
  errorCode: number,
  errorMessage: string,
  logStartOffset = -1,
  recordErrors: PartitionResponse['recordErrors'] = [],
): PartitionResponse {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: BigInt(logStartOffset),
    recordErrors,
    errorMessage,
  };
}

/** Kafka's RequestUtils.hasTransactionalRecords, from the first batch header of each partition. */
function hasTransactionalRecords(request: ProduceRequest): boolean {
  for (const topic of request.topicData) {
    for (const p of topic.partitionData) {
      const r = p.records;
      if (!r || r.length <= PRODUCER_ID_OFFSET + 8 || r.readInt8(MAGIC_OFFSET) !== 2) continue;
      const transactional = (r.readInt16BE(ATTRIBUTES_OFFSET) & TRANSACTIONAL_BIT) !== 0;
      // An int64's sign is its high half's: no BigInt needed to see a producer id is set.
      if (transactional && r.readInt32BE(PRODUCER_ID_OFFSET) >= 0) return true;
    }
  }
  return false;
}

function produceToPartition(
  request: ProduceRequest,
  topic: string,
  index: number,
  records: Buffer | null,
  ctx: RequestContext,
  waits: Promise<void>[],
): PartitionResponse {
  const { replicaManager } = ctx.broker;
  const version = ctx.header.apiVersion;
  let partition: Partition | undefined;
  try {
    const exists = ctx.broker.topics.topic(topic);
    if (!exists || index < 0 || index >= exists.partitions.length) {
      return failed(
        index,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `${topic}-${index} does not exist`,
      );
    }
    const acks = request.acks;
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      return failed(index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, not ${acks}`);
    }
    if (INTERNAL_TOPICS.has(topic) && ctx.header.clientId !== ADMIN_CLIENT_ID) {
      return failed(
        index,
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        `Cannot append to internal topic ${topic}`,
      );
    }
    partition = replicaManager.leaderPartition(topic, index);
    const config = partition.log.config;
    const checked = validateProducedRecords(records, {
      produceVersion: version,
      maxMessageBytes: config.maxMessageBytes,
    });
    if (!checked.ok) {
      logRefusal(ctx, topic, index, describe(checked));
      // Kafka refuses these when it parses the request, before the log is involved.
      if (refusedWithRequest(records, version))
        return failed(index, checked.errorCode, checked.errorMessage);
      return refused(partition, index, checked);
    }
    if (request.transactionalId && checked.batch.isTransactional) {
      return failed(
        index,
        ErrorCode.INVALID_PRODUCER_ID_MAPPING,
        `transactional id ${request.transactionalId} is unknown: Samsa does not support transactions yet`,
        partition.logStartOffset,
      );
    }
    // Only a compacted topic needs the records themselves (every record must have a key);
    // everything else was decided from the batch header.
    if (config.cleanupPolicy.includes('compact')) {
      const deep = validateProducedRecordsDeep(checked.batch, {
        now: Date.now(),
        messageTimestampType:
          config.messageTimestampType === 'LogAppendTime'
            ? TimestampType.LogAppendTime
            : TimestampType.CreateTime,
        timestampBeforeMaxMs: config.messageTimestampBeforeMaxMs,
        timestampAfterMaxMs: config.messageTimestampAfterMaxMs,
        compacted: true,
      });
      if (!deep.ok) {
        logRefusal(ctx, topic, index, describe(deep));
        return refused(partition, index, deep);
      }
    }
    // The batch checked above (CRC included) goes down with the bytes: the log does not split
    // and CRC them again.
    const result = replicaManager.appendRecordsToLeader(
      partition,
      records!,
      acks,
      'client',
      checked.batch,
    );
    const response: PartitionResponse = {
      index,
      errorCode: ErrorCode.NONE,
      baseOffset: BigInt(result.baseOffset),
      logAppendTimeMs: BigInt(result.logAppendTime),
      logStartOffset: BigInt(result.logStartOffset),
      recordErrors: [],
      errorMessage: null,
    };
    const committed = partition.highWatermark > result.lastOffset;
    if (acks === -1 && !committed) {
      const p = partition;
      waits.push(
        replicaManager
          .waitForCommit(p, result.lastOffset + 1, request.timeoutMs)
          .then((errorCode) => {
            if (errorCode === ErrorCode.NONE) return;
            response.errorCode = errorCode;
            response.errorMessage = `${topic}-${index}: offsets ${result.baseOffset}-${result.lastOffset} not replicated to the ISR`;
          }),
      );
    }
    return response;
  } catch (err) {
    const f = partitionFailure(err, ctx.log, `Produce to ${topic}-${index}`);
    if (REFUSED_INPUT.has(f.code)) logRefusal(ctx, topic, index, f.message);
    const logStart =
      partition && !WITHOUT_LOG_START_OFFSET.has(f.code) ? safeLogStart(partition) : -1;
    return failed(index, f.code, f.message, logStart);
  }
}

/**
 * Whether a refusal is one of Kafka's request-level checks (ProduceRequest.validateRecords:
 * not magic 2, not exactly one batch, zstd before v7), answered without a log start offset.
 * The code itself always comes from validateProducedRecords.
 */
function refusedWithRequest(records: Buffer | null, version: number): boolean {
  if (!records || records.length < RECORD_BATCH_OVERHEAD) return true;
  if (records.readInt8(MAGIC_OFFSET) !== 2) return true;
  if (records.length !== LOG_OVERHEAD + records.readInt32BE(BATCH_LENGTH_OFFSET)) return true;
  return version < 7 && (records.readInt16BE(ATTRIBUTES_OFFSET) & 0x07) === CompressionType.Zstd;
}

/** Refusals of what the producer sent (the log's checks included), as opposed to routine answers. */
const REFUSED_INPUT = new Set<number>([
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.MESSAGE_TOO_LARGE,
  ErrorCode.INVALID_RECORD,
  ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  ErrorCode.INVALID_TIMESTAMP,
  ErrorCode.RECORD_LIST_TOO_LARGE,
]);

/**
 * Bad input gets a log line naming the partition (invariant 6), so an operator can find which
 * client sends broken batches; the connection's logger adds the client's address.
 */
function logRefusal(ctx: RequestContext, topic: string, index: number, why: string): void {
  ctx.log.info(`Produce to ${topic}-${index} refused (client ${ctx.header.clientId}): ${why}`);
}

function describe(result: { errorCode: number; errorMessage: string }): string {
  return `${errorInfo(result.errorCode).name}: ${result.errorMessage}`;
}

function refused(
  partition: Partition,
  index: number,
  result: {
    errorCode: number;
    errorMessage: string;
    recordErrors?: { batchIndex: number; message: string }[];
  },
): PartitionResponse {
  const logStart = WITHOUT_LOG_START_OFFSET.has(result.errorCode) ? -1 : safeLogStart(partition);
  const recordErrors = (result.recordErrors ?? []).map((e) => ({
    batchIndex: e.batchIndex,
    batchIndexErrorMessage: e.message,
  }));
  return failed(index, result.errorCode, result.errorMessage, logStart, recordErrors);
}

function safeLogStart(partition: Partition): number {
  try {
    return partition.logStartOffset;
  } catch {
    return -1;
  }
}

/**
 * v10+ (KIP-951): a partition refused for not being led here names its current leader, and the
 * response where that leader is reached on the request's listener, as Kafka's
 * handleProduceRequest does.
 */
function withLeaderHints(response: ProduceResponse, ctx: RequestContext): ProduceResponse {
  if (ctx.header.apiVersion < 10) return response;
  const leaders = new Set<number>();
  for (const t of response.responses) {
    for (const p of t.partitionResponses) {
      const code = p.errorCode;
      if (code !== ErrorCode.NOT_LEADER_OR_FOLLOWER && code !== ErrorCode.FENCED_LEADER_EPOCH) {
        continue;
      }
      const a = ctx.broker.topics.topic(t.name)?.partitions[p.index];
      if (!a || a.leader < 0) continue;
      p.currentLeader = { leaderId: a.leader, leaderEpoch: a.leaderEpoch };
      leaders.add(a.leader);
    }
  }
  if (leaders.size > 0) {
    response.nodeEndpoints = leaderEndpoints(ctx.broker, leaders, ctx.listenerName).map((b) => ({
      ...b,
    }));
  }
  return response;
}

export default defineHandler({
  api: ProduceApi,
  minVersion: 0,
  maxVersion: 11,
  handle(request, ctx): ProduceResponse | typeof NO_RESPONSE | Promise<ProduceResponse> {
    const waits: Promise<void>[] = [];
    const unauthorizedTransactional = !request.transactionalId && hasTransactionalRecords(request);
    const responses = request.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map((p) =>
        unauthorizedTransactional
          ? failed(
              p.index,
              ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
              'transactional records need a transactional id',
            )
          : produceToPartition(request, topic.name, p.index, p.records, ctx, waits),
      ),
    }));
    if (request.acks === 0) {
      const failures = responses.flatMap((t) =>
        t.partitionResponses
          .filter((p) => p.errorCode !== ErrorCode.NONE)
          .map((p) => ({ code: p.errorCode, text: `${t.name}-${p.index}: ${p.errorMessage}` })),
      );
      if (failures.length > 0) {
        throw new KafkaError(
          failures[0]!.code,
          `with acks=0, closing the connection so the producer refreshes its metadata (${failures.map((f) => f.text).join('; ')})`,
        );
      }
      return NO_RESPONSE;
    }
    const response: ProduceResponse = { responses, throttleTimeMs: 0 };
    if (waits.length === 0) return withLeaderHints(response, ctx);
    return Promise.all(waits).then(() => withLeaderHints(response, ctx));
  },
});

// Fetch (v4-17): whole record batches straight from the log, as stored, up to the high watermark.
// v0-3 would need record down-conversion to magic 0/1, which Kafka 4 dropped too.
//
// Follows Kafka's KafkaApis.handleFetchRequest / ReplicaManager.fetchMessages / readFromLog:
// - partitions are read in order; the first one with data returns at least one batch even
//   if it is larger than the partition or response max bytes (KIP-74), later ones stay within
//   both; a fetch offset inside a batch returns that whole batch;
// - the answer is immediate when min_bytes are there, max_wait_ms <= 0, a partition failed or
//   diverged; otherwise the fetch waits in the purgatory (delayed-fetch.ts) and is read again;
// - READ_COMMITTED reads up to the last stable offset, which is the high watermark while Samsa
//   has no transactions; its aborted transactions are then an empty list (null for
//   READ_UNCOMMITTED, as Kafka answers);
// - a lastFetchedEpoch (v12+) that the log does not continue answers a diverging epoch;
// - v13+ names topics by id: an unknown id answers UNKNOWN_TOPIC_ID;
// - sessions (fetch-sessions.ts) decide which partitions are read and which answered.
// A fetch from a replica of the partition (replica id >= 0, cluster mode) reads up to the log end
// offset, and its fetch offset tells the leader the follower's position (ISR, high watermark).
import type { Partition } from '../../cluster/replica-manager.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import {
  FetchApi,
  type FetchRequest,
  type FetchResponse,
  type FetchResponseNodeEndpoint,
  type FetchResponsePartitionData,
} from '../../protocol/messages/fetch.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import type { LogOffsetMetadata } from '../../storage/log.js';
import { leaderEndpoints } from '../admin-support.js';
import type { Broker } from '../broker.js';
import { type DelayedFetchPartition, delayedFetchPurgatory } from '../delayed-fetch.js';
import {
  type FetchContext,
  type FetchPartitionState,
  FetchSessionCache,
  type PartitionAnswer,
  partitionKey,
} from '../fetch-sessions.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { partitionFailure } from '../partition-errors.js';

const READ_COMMITTED = 1;
const EMPTY = Buffer.alloc(0);
const INT32_MAX = 0x7fffffff;

const sessionCaches = new WeakMap<Broker, FetchSessionCache>();

/** The broker's fetch session cache, created on first use. */
export function fetchSessionCache(broker: Broker): FetchSessionCache {
  let cache = sessionCaches.get(broker);
  if (!cache) sessionCaches.set(broker, (cache = new FetchSessionCache()));
  return cache;
}

interface FetchParams {
  version: number;
  /** The fetching replica's broker id; -1 for consumers. */
  replicaId: number;
  readCommitted: boolean;
  maxBytes: number;
  /** Where record bytes are read to (the connection's pooled memory). */
  alloc?: (n: number) => Buffer;
}

interface PartitionRead {
  state: FetchPartitionState;
  data: FetchResponsePartitionData;
  /** Set when the read succeeded: what the purgatory watches. */
  delayed?: DelayedFetchPartition;
}

/**
 * A failed partition's answer. Partitions Kafka refuses before reading (unknown topic id or
 * partition) carry an empty aborted-transaction list; errors from the read itself carry null.
 */
function errorData(index: number, errorCode: number, version: number): FetchResponsePartitionData {
  // Before v6 a client may not know KAFKA_STORAGE_ERROR; Kafka answers NOT_LEADER_OR_FOLLOWER so it
  // refreshes metadata and retries.
  const code =
    errorCode === ErrorCode.KAFKA_STORAGE_ERROR && version <= 5
      ? ErrorCode.NOT_LEADER_OR_FOLLOWER
      : errorCode;
  const beforeRead =
    code === ErrorCode.UNKNOWN_TOPIC_ID || code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  return {
    partitionIndex: index,
    errorCode: code,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: beforeRead ? [] : null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

function readPartition(
  broker: Broker,
  state: FetchPartitionState,
  params: FetchParams,
  limitBytes: number,
  minOneMessage: boolean,
  log: RequestContext['log'],
): PartitionRead {
  const index = state.partition;
  if (state.topic === undefined) {
    return { state, data: errorData(index, ErrorCode.UNKNOWN_TOPIC_ID, params.version) };
  }
  let partition: Partition | undefined;
  try {
    partition = broker.replicaManager.leaderPartitionForEpoch(
      state.topic,
      index,
      state.currentLeaderEpoch,
    );
    if (params.version >= 13 && state.topicId !== partition.topicId) {
      return { state, data: errorData(index, ErrorCode.INCONSISTENT_TOPIC_ID, params.version) };
    }
    const isFollower =
      params.replicaId >= 0 &&
      params.replicaId !== broker.nodeId &&
      partition.assignment.replicas.includes(params.replicaId);
    const highWatermark = partition.highWatermark;
    const logStartOffset = partition.logStartOffset;
    const plog = partition.log;
    const data: FetchResponsePartitionData = {
      partitionIndex: index,
      errorCode: ErrorCode.NONE,
      highWatermark: BigInt(highWatermark),
      lastStableOffset: BigInt(highWatermark),
      logStartOffset: BigInt(logStartOffset),
      abortedTransactions: params.readCommitted ? [] : null,
      preferredReadReplica: -1,
      records: EMPTY,
    };
    if (state.lastFetchedEpoch >= 0) {
      const diverging = divergingEpoch(partition, state);
      if (diverging) {
        data.divergingEpoch = { epoch: diverging.epoch, endOffset: BigInt(diverging.endOffset) };
        return { state, data };
      }
    }
    const maxOffset = isFollower ? partition.logEndOffset : highWatermark;
    const read = plog.read(state.fetchOffset, Math.min(state.maxBytes, limitBytes), {
      maxOffset,
      minOneBatch: minOneMessage,
      alloc: params.alloc,
    });
    data.records = read.records;
    // Only a fetch the log could serve tells where the follower is (Kafka's
    // updateFollowerFetchState skips errors and diverging epochs): a follower whose log diverges
    // at that offset must not count towards the high watermark or rejoin the ISR.
    if (isFollower) {
      broker.replicaManager.recordFollowerFetch(partition, params.replicaId, state.fetchOffset);
      // The fetch may have moved the high watermark: the follower learns it now, not next time.
      data.highWatermark = BigInt(partition.highWatermark);
      data.lastStableOffset = data.highWatermark;
    }
    const delayed = {
      partition,
      fetchOffsetMetadata: read.fetchOffsetMetadata as LogOffsetMetadata,
      maxBytes: state.maxBytes,
      followerFetch: isFollower,
    };
    return { state, data, delayed };
  } catch (err) {
    const f = partitionFailure(err, log, `Fetch from ${state.topic}-${index}`);
    const data = errorData(index, f.code, params.version);
    if (
      params.version >= 16 &&
      (f.code === ErrorCode.NOT_LEADER_OR_FOLLOWER || f.code === ErrorCode.FENCED_LEADER_EPOCH)
    ) {
      const a = broker.topics.topic(state.topic)?.partitions[index];
      if (a) data.currentLeader = { leaderId: a.leader, leaderEpoch: a.leaderEpoch };
    }
    return { state, data };
  }
}

/** Kafka's Partition.readRecords check of the epoch the fetcher last saw against our log. */
function divergingEpoch(
  partition: Partition,
  state: FetchPartitionState,
): { epoch: number; endOffset: number } | undefined {
  const { epoch, endOffset } = partition.log.endOffsetForEpoch(state.lastFetchedEpoch);
  const where = `${partition.topic}-${partition.partition}`;
  if (epoch < 0 || endOffset < 0) {
    throw new KafkaError(
      ErrorCode.OFFSET_OUT_OF_RANGE,
      `${where}: the end offset of the last fetched epoch ${state.lastFetchedEpoch} is unknown`,
    );
  }
  if (state.fetchOffset < partition.logStartOffset) {
    throw new KafkaError(
      ErrorCode.OFFSET_OUT_OF_RANGE,
      `${where}: offset ${state.fetchOffset} is below the log start offset ${partition.logStartOffset}`,
    );
  }
  if (epoch < state.lastFetchedEpoch || endOffset < state.fetchOffset) return { epoch, endOffset };
  return undefined;
}

/** Kafka's readFromLog: the response max bytes are shared out in partition order. */
function readAll(
  broker: Broker,
  states: readonly FetchPartitionState[],
  params: FetchParams,
  log: RequestContext['log'],
): PartitionRead[] {
  let limitBytes = params.maxBytes;
  let minOneMessage = true;
  return states.map((state) => {
    const read = readPartition(broker, state, params, limitBytes, minOneMessage, log);
    const size = read.data.records?.length ?? 0;
    if (size > 0) minOneMessage = false;
    limitBytes = Math.max(0, limitBytes - size);
    return read;
  });
}

/** The request's partitions as session state, topic names resolved from ids for v13+. */
function requestedPartitions(
  broker: Broker,
  request: FetchRequest,
  version: number,
): FetchPartitionState[] {
  const out: FetchPartitionState[] = [];
  for (const t of request.topics) {
    const topicId = version >= 13 ? (t.topicId ?? ZERO_UUID) : ZERO_UUID;
    const topic = version >= 13 ? broker.topics.topicById(topicId)?.name : t.topic;
    for (const p of t.partitions) {
      out.push({
        topic,
        topicId,
        partition: p.partition,
        fetchOffset: Number(p.fetchOffset),
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
        lastFetchedEpoch: p.lastFetchedEpoch ?? -1,
        logStartOffset: Number(p.logStartOffset ?? -1n),
      });
    }
  }
  return out;
}

function forgottenKeys(request: FetchRequest, version: number): string[] {
  const keys: string[] = [];
  for (const t of request.forgottenTopicsData ?? []) {
    const topicId = version >= 13 ? (t.topicId ?? ZERO_UUID) : ZERO_UUID;
    for (const p of t.partitions) keys.push(partitionKey(version >= 13, t.topic, topicId, p));
  }
  return keys;
}

function answerOf(read: PartitionRead): PartitionAnswer {
  const d = read.data;
  return {
    errorCode: d.errorCode,
    highWatermark: Number(d.highWatermark),
    logStartOffset: Number(d.logStartOffset ?? -1n),
    recordsSize: d.records?.length ?? 0,
    hasDivergingEpoch: d.divergingEpoch !== undefined,
  };
}

function buildResponse(
  broker: Broker,
  context: FetchContext,
  reads: readonly PartitionRead[],
  version: number,
  listenerName: string,
): FetchResponse {
  const settled = fetchSessionCache(broker).complete(context, reads.map(answerOf));
  const responses: FetchResponse['responses'] = [];
  let last: FetchResponse['responses'][number] | undefined;
  const leaders = new Set<number>();
  reads.forEach((read, i) => {
    if (!settled.keep[i]) return;
    const { state } = read;
    const same =
      last && (version >= 13 ? last.topicId === state.topicId : last.topic === state.topic);
    if (!same) {
      last = { topic: state.topic ?? '', topicId: state.topicId, partitions: [] };
      responses.push(last);
    }
    last!.partitions.push(read.data);
    if (read.data.currentLeader) leaders.add(read.data.currentLeader.leaderId);
  });
  const response: FetchResponse = {
    throttleTimeMs: 0,
    errorCode: settled.errorCode,
    sessionId: settled.sessionId,
    responses,
  };
  if (leaders.size > 0 && version >= 16) {
    response.nodeEndpoints = nodeEndpoints(broker, leaders, listenerName);
  }
  return response;
}

function nodeEndpoints(
  broker: Broker,
  leaders: ReadonlySet<number>,
  listenerName: string,
): FetchResponseNodeEndpoint[] {
  return leaderEndpoints(broker, leaders, listenerName).map((b) => ({ ...b }));
}

export default defineHandler({
  api: FetchApi,
  minVersion: 4,
  maxVersion: 17,
  async handle(request, ctx): Promise<FetchResponse> {
    const { broker } = ctx;
    const version = ctx.header.apiVersion;
    const replicaId =
      version >= 15 ? (request.replicaState?.replicaId ?? -1) : (request.replicaId ?? -1);
    const params: FetchParams = {
      version,
      replicaId,
      readCommitted: request.isolationLevel === READ_COMMITTED,
      maxBytes: request.maxBytes ?? INT32_MAX,
      alloc: ctx.responseBuffer,
    };
    const sessions = fetchSessionCache(broker);
    const context = sessions.newContext({
      version,
      sessionId: request.sessionId ?? 0,
      epoch: request.sessionEpoch ?? -1,
      partitions: requestedPartitions(broker, request, version),
      forgotten: forgottenKeys(request, version),
      isFollower: replicaId >= 0,
    });
    const states = sessions.partitionsToRead(context);
    if (version >= 13) {
      for (const s of states) s.topic = broker.topics.topicById(s.topicId)?.name;
    }
    let reads = readAll(broker, states, params, ctx.log);
    let bytes = 0;
    let mustAnswer = request.maxWaitMs <= 0 || states.length === 0;
    for (const r of reads) {
      bytes += r.data.records?.length ?? 0;
      if (!r.delayed || r.data.divergingEpoch) mustAnswer = true;
    }
    if (!mustAnswer && bytes < request.minBytes) {
      const outcome = await delayedFetchPurgatory(broker.replicaManager).wait({
        partitions: reads.map((r) => r.delayed!),
        minBytes: request.minBytes,
        maxWaitMs: request.maxWaitMs,
        signal: ctx.connectionClosed,
      });
      // Nobody will read this answer; leave the session as it was.
      if (outcome === 'aborted')
        return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [] };
      reads = readAll(broker, states, params, ctx.log);
    }
    return buildResponse(broker, context, reads, version, ctx.listenerName);
  },
});

// ListOffsets (v0-10): offsets by timestamp, and the special timestamps
//   -1 LATEST (the high watermark for consumers; the last stable offset under READ_COMMITTED,
//      the same while Samsa has no transactions), -2 EARLIEST (log start offset),
//   -3 MAX_TIMESTAMP (v7+: the record with the largest timestamp), -4 EARLIEST_LOCAL (v8+: the
//      log start offset, no tiered storage), -5 LATEST_TIERED (v9+: -1, nothing is tiered).
// A timestamp lookup finds the first record at or after the timestamp; none, or one at or above
// the last offset the client may read, answers offset -1 and timestamp -1 (Kafka does the same).
// A special timestamp the version does not know, or a partition named twice, is refused per
// partition (UNSUPPORTED_VERSION, INVALID_REQUEST). v0 answers Kafka's old shape: up to
// maxNumOffsets segment start offsets, newest first.
import type { Partition } from '../../cluster/replica-manager.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  ListOffsetsApi,
  type ListOffsetsRequestListOffsetsPartition,
  type ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '../../protocol/messages/list-offsets.js';
import type { TimestampAndOffset } from '../../storage/log.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { partitionFailure } from '../partition-errors.js';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const LATEST_TIERED = -5;
const CONSUMER_REPLICA_ID = -1;
const DEBUGGING_REPLICA_ID = -2;

/** The first version that knows each special timestamp (Kafka's timestampMinSupportedVersion). */
const MIN_VERSION: ReadonlyMap<number, number> = new Map([
  [EARLIEST, 1],
  [LATEST, 1],
  [MAX_TIMESTAMP, 7],
  [EARLIEST_LOCAL, 8],
  [LATEST_TIERED, 9],
]);

type PartitionResponse = ListOffsetsResponseListOffsetsPartitionResponse;

function failed(partitionIndex: number, errorCode: number): PartitionResponse {
  return {
    partitionIndex,
    errorCode,
    timestamp: -1n,
    offset: -1n,
    leaderEpoch: -1,
    oldStyleOffsets: [],
  };
}

function found(
  partitionIndex: number,
  t: TimestampAndOffset,
  leaderEpoch: number | undefined,
): PartitionResponse {
  return {
    partitionIndex,
    errorCode: ErrorCode.NONE,
    timestamp: BigInt(t.timestamp),
    offset: BigInt(t.offset),
    leaderEpoch: leaderEpoch ?? -1,
    oldStyleOffsets: [],
  };
}

function partitionFor(
  ctx: RequestContext,
  topic: string,
  p: ListOffsetsRequestListOffsetsPartition,
  replicaId: number,
): Partition {
  const rm = ctx.broker.replicaManager;
  const epoch = p.currentLeaderEpoch ?? -1;
  if (replicaId !== DEBUGGING_REPLICA_ID)
    return rm.leaderPartitionForEpoch(topic, p.partitionIndex, epoch);
  // A debugging request may read any replica held here.
  const local = rm.partition(topic, p.partitionIndex);
  return local ?? rm.leaderPartitionForEpoch(topic, p.partitionIndex, epoch);
}

function listOffset(
  ctx: RequestContext,
  topic: string,
  p: ListOffsetsRequestListOffsetsPartition,
  replicaId: number,
): PartitionResponse {
  const version = ctx.header.apiVersion;
  const timestamp = Number(p.timestamp);
  const index = p.partitionIndex;
  if (timestamp < 0 && !(version >= (MIN_VERSION.get(timestamp) ?? Number.POSITIVE_INFINITY))) {
    return failed(index, ErrorCode.UNSUPPORTED_VERSION);
  }
  try {
    const partition = partitionFor(ctx, topic, p, replicaId);
    const log = partition.log;
    const isClient = replicaId === CONSUMER_REPLICA_ID;
    // A client reads to the high watermark (READ_UNCOMMITTED) or the last stable offset
    // (READ_COMMITTED), which is the high watermark as long as there are no transactions.
    const lastFetchable = isClient ? partition.highWatermark : partition.logEndOffset;
    switch (timestamp) {
      case LATEST:
        return found(index, { timestamp: -1, offset: lastFetchable }, partition.leaderEpoch);
      case EARLIEST:
      case EARLIEST_LOCAL: {
        const start = partition.logStartOffset;
        return found(index, { timestamp: -1, offset: start }, log.epochForOffset(start));
      }
      case LATEST_TIERED:
        return found(index, { timestamp: -1, offset: -1 }, -1);
    }
    const t =
      timestamp === MAX_TIMESTAMP ? log.maxTimestampAndOffset() : log.offsetForTimestamp(timestamp);
    if (!t || t.offset >= lastFetchable) return failed(index, ErrorCode.NONE);
    return found(index, t, log.epochForOffset(t.offset));
  } catch (err) {
    return failed(index, partitionFailure(err, ctx.log, `ListOffsets of ${topic}-${index}`).code);
  }
}

/**
 * v0: Kafka's legacyFetchOffsetsBefore. Kafka dates segments by file mtime; Samsa by their
 * records: a segment counts as before `timestamp` when no record in it is at or after it.
 */
function legacyOffsets(
  ctx: RequestContext,
  topic: string,
  p: ListOffsetsRequestListOffsetsPartition,
  replicaId: number,
): PartitionResponse {
  const index = p.partitionIndex;
  const timestamp = Number(p.timestamp);
  if (timestamp < EARLIEST) return failed(index, ErrorCode.UNSUPPORTED_VERSION);
  try {
    const partition = partitionFor(ctx, topic, p, replicaId);
    const log = partition.log;
    const logStart = partition.logStartOffset;
    const leo = partition.logEndOffset;
    const bases = log.segmentBaseOffsets;
    // Each entry: an offset and the first offset after the records it stands for.
    const entries = bases.map((b, i) => ({
      offset: Math.max(b, logStart),
      end: bases[i + 1] ?? leo,
    }));
    if (leo > bases[bases.length - 1]!)
      entries.push({ offset: leo, end: Number.POSITIVE_INFINITY });
    let startIndex: number;
    if (timestamp === LATEST) startIndex = entries.length - 1;
    else if (timestamp === EARLIEST) startIndex = 0;
    else {
      const first = log.offsetForTimestamp(timestamp)?.offset ?? leo;
      startIndex = entries.length - 1;
      while (startIndex >= 0 && entries[startIndex]!.end > first) startIndex--;
    }
    const offsets: number[] = [];
    for (let i = startIndex; i >= 0 && offsets.length < p.maxNumOffsets!; i--)
      offsets.push(entries[i]!.offset);
    let result = offsets;
    if (replicaId === CONSUMER_REPLICA_ID) {
      const hw = partition.highWatermark;
      if (offsets.some((o) => o > hw)) result = [hw, ...offsets.filter((o) => o <= hw)];
    }
    return {
      partitionIndex: index,
      errorCode: ErrorCode.NONE,
      oldStyleOffsets: result.map(BigInt),
    };
  } catch (err) {
    return failed(index, partitionFailure(err, ctx.log, `ListOffsets of ${topic}-${index}`).code);
  }
}

export default defineHandler({
  api: ListOffsetsApi,
  minVersion: 0,
  maxVersion: 10,
  handle(request, ctx): ListOffsetsResponse {
    const version = ctx.header.apiVersion;
    const replicaId = request.replicaId;
    const counts = new Map<string, number>();
    for (const t of request.topics) {
      for (const p of t.partitions) {
        const key = `${t.name}\0${p.partitionIndex}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (version === 0) return legacyOffsets(ctx, t.name, p, replicaId);
          if (counts.get(`${t.name}\0${p.partitionIndex}`)! > 1)
            return failed(p.partitionIndex, ErrorCode.INVALID_REQUEST);
          return listOffset(ctx, t.name, p, replicaId);
        }),
      })),
    };
  },
});

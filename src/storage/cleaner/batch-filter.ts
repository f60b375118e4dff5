// What the cleaner writes in place of one batch (Kafka's MemoryRecords.filterTo with the
// Cleaner's RecordFilter):
//
// - A record is kept when it is above the offset map's range, or when it is the latest for its
//   key and is not a tombstone whose delete horizon has passed. Records without a key go (a
//   compacted topic refuses them on produce).
// - A batch whose records all stay and that needs no delete horizon is copied byte for byte.
// - Otherwise the kept records are rebuilt into a batch with the same base offset, last offset
//   delta (so base sequence + delta still gives the producer's last sequence), producer id, epoch,
//   base sequence, leader epoch, timestamp type and codec (decompressed and recompressed).
// - A batch with tombstones gets a delete horizon (KIP-534) the first time it is cleaned: the
//   hasDeleteHorizon attribute, and the base timestamp set to now + delete.retention.ms (record
//   timestamp deltas are relative to it, so consumers still see the records' own times). Its
//   tombstones go on the first cleaning after that time.
// - A batch left with no records is dropped, except (kept as a 61-byte empty header, as Kafka
//   does) when it is the last data batch of an active producer, or the last batch of the cleaned
//   group of segments (Samsa: see segment-swap.ts for why).
// - Control and transactional batches are copied unchanged: Samsa has no transactions yet, and
//   without the transaction index the cleaner cannot tell aborted data from committed.
import {
  CompressionType,
  type RecordBatchHeader,
  TimestampType,
} from '../../protocol/records/batch-header.js';
import { buildRecordBatch, type RecordInput } from '../../protocol/records/builder.js';
import { iterateRecords, type Record } from '../../protocol/records/record.js';
import type { LogConfig } from '../log-config.js';
import type { OffsetMap } from './offset-map.js';

const DELETE_HORIZON_BIT = 0x40;
const ATTRIBUTES_OFFSET = 21;

export interface FilterContext {
  readonly map: OffsetMap;
  readonly now: number;
  readonly config: LogConfig;
  /** Producer id -> last offset of its last data batch. */
  readonly activeProducers: ReadonlyMap<number, number>;
  readonly stats: FilterStats;
}

export interface FilterStats {
  messagesRead: number;
  messagesRetained: number;
  invalidMessages: number;
  tombstonesRemoved: number;
}

export function newFilterStats(): FilterStats {
  return { messagesRead: 0, messagesRetained: 0, invalidMessages: 0, tombstonesRemoved: 0 };
}

/** The delete horizon of a batch (KIP-534), or undefined when it has none. */
export function deleteHorizonMs(batch: RecordBatchHeader): number | undefined {
  return batch.hasDeleteHorizon ? batch.baseTimestamp : undefined;
}

/**
 * The bytes to write for `batch` (the whole batch, as read), or undefined when nothing of it
 * stays. `lastOfGroup`: the batch ends the group of segments being cleaned.
 */
export function filterBatch(
  batch: RecordBatchHeader,
  lastOfGroup: boolean,
  ctx: FilterContext,
): Buffer | undefined {
  if (batch.isControl || batch.isTransactional) return batch.buf;
  const { map, stats } = ctx;
  // Wholly above what the map covers: nothing in it can be superseded yet.
  if (batch.baseOffset > map.latestOffset) {
    stats.messagesRead += batch.recordsCount;
    stats.messagesRetained += batch.recordsCount;
    return batch.buf;
  }
  const horizon = deleteHorizonMs(batch);
  const retainDeletes = horizon === undefined || ctx.now < horizon;
  const kept: Record[] = [];
  let containsTombstones = false;
  let count = 0;
  for (const record of iterateRecords(batch)) {
    count++;
    const offset = batch.baseOffset + record.offsetDelta;
    let keep: boolean;
    if (offset > map.latestOffset) keep = true;
    else if (record.key === null) {
      stats.invalidMessages++;
      keep = false;
    } else {
      const latest = offset >= map.get(record.key);
      keep = latest && (record.value !== null || retainDeletes);
      if (latest && !keep) stats.tombstonesRemoved++;
    }
    if (keep) {
      kept.push(record);
      if (record.value === null) containsTombstones = true;
    }
  }
  stats.messagesRead += count;
  stats.messagesRetained += kept.length;

  if (kept.length > 0) {
    const needHorizon = containsTombstones && horizon === undefined;
    if (kept.length === count && !needHorizon) return batch.buf;
    const newHorizon = needHorizon ? ctx.now + ctx.config.deleteRetentionMs : horizon;
    return rebuild(batch, kept, newHorizon, ctx.config);
  }
  const pid = batch.producerId;
  const lastOfProducer = pid >= 0 && ctx.activeProducers.get(pid) === batch.lastOffset;
  return lastOfProducer || lastOfGroup ? emptyBatch(batch) : undefined;
}

function compressionLevel(codec: number, cfg: LogConfig): number | undefined {
  if (codec === CompressionType.Gzip && cfg.compressionGzipLevel >= 0)
    return cfg.compressionGzipLevel;
  if (codec === CompressionType.Zstd) return cfg.compressionZstdLevel;
  return undefined;
}

function rebuild(
  batch: RecordBatchHeader,
  kept: readonly Record[],
  horizon: number | undefined,
  cfg: LogConfig,
): Buffer {
  const base = batch.baseTimestamp;
  const records: RecordInput[] = kept.map((r) => ({
    key: r.key,
    value: r.value,
    headers: r.headers,
    timestamp: base + r.timestampDelta,
    offsetDelta: r.offsetDelta,
  }));
  const appendTime = batch.timestampType === TimestampType.LogAppendTime;
  const rebuilt = buildRecordBatch({
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    compression: batch.compression as CompressionType,
    compressionLevel: compressionLevel(batch.compression, cfg),
    timestampType: batch.timestampType,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    records,
    baseTimestamp: horizon,
    maxTimestamp: appendTime ? batch.maxTimestamp : undefined,
    lastOffsetDelta: batch.lastOffsetDelta,
  });
  if (horizon !== undefined) setDeleteHorizonBit(rebuilt);
  return rebuilt.buf;
}

/** The header of `batch` with no records, as Kafka writes an emptied batch it must keep. */
function emptyBatch(batch: RecordBatchHeader): Buffer {
  return buildRecordBatch({
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    timestampType: batch.timestampType,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    records: [],
    baseTimestamp: batch.maxTimestamp,
    maxTimestamp: batch.maxTimestamp,
    lastOffsetDelta: batch.lastOffsetDelta,
  }).buf;
}

function setDeleteHorizonBit(batch: RecordBatchHeader): void {
  const attributes = batch.buf.readInt16BE(ATTRIBUTES_OFFSET) | DELETE_HORIZON_BIT;
  batch.buf.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  batch.updateCrc();
}

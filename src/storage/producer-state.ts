// Idempotent-producer state of one partition, kept by the log (Kafka's ProducerStateManager).
//
// For each producer id: its epoch and the metadata of its last 5 batches, which is what a
// retried batch is recognised by. The rules follow Kafka (ProducerAppendInfo, 2.5+ / KIP-360):
// - a duplicate is a batch with the same epoch and the same (first, last) sequence as a cached
//   one; it is acknowledged with the original offsets and not written again;
// - an epoch below the current one is INVALID_PRODUCER_EPOCH (47; since Kafka 2.7 the log never
//   answers PRODUCER_FENCED, which only the transaction coordinator gives);
// - a new epoch must start at sequence 0, else OUT_OF_ORDER_SEQUENCE_NUMBER (45);
// - within an epoch, first sequence = last sequence + 1, wrapping from int32 max to 0, else 45;
// - a producer id with no state (new, or its state removed by retention or DeleteRecords) is
//   accepted at any sequence: brokers stopped answering UNKNOWN_PRODUCER_ID (59) with KIP-360.
// Replicated batches and batches read back from the log are applied without checks.
import { crc32c } from '@node-rs/crc32';
import { ErrorCode } from '../protocol/errors.js';
import type { RecordBatchHeader } from '../protocol/records/batch-header.js';

export const NUM_BATCHES_TO_RETAIN = 5;
const NO_PRODUCER_EPOCH = -1;
const INT32_MAX = 0x7fffffff;

/** Who is appending: a producer (checked), a follower copying the leader, or a coordinator. */
export type AppendOrigin = 'client' | 'replication' | 'coordinator';

export interface ProducerBatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly timestamp: number;
}

export interface ProducerStateEntry {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly lastTimestamp: number;
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  readonly batches: readonly ProducerBatchMetadata[];
}

export type ProducerCheckResult =
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'duplicate';
      readonly firstOffset: number;
      readonly lastOffset: number;
      readonly timestamp: number;
    }
  | { readonly kind: 'error'; readonly errorCode: number; readonly message: string };

interface MutableEntry {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  lastTimestamp: number;
  batches: ProducerBatchMetadata[];
}

function emptyEntry(producerId: number): MutableEntry {
  return {
    producerId,
    producerEpoch: NO_PRODUCER_EPOCH,
    coordinatorEpoch: -1,
    lastTimestamp: -1,
    batches: [],
  };
}

function copyEntry(e: ProducerStateEntry): MutableEntry {
  return { ...e, batches: [...e.batches] };
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/** Moves `entry` to `epoch` (dropping batches of the old epoch) and records `batch` in it. */
function addBatch(entry: MutableEntry, batch: RecordBatchHeader): void {
  if (entry.producerEpoch !== batch.producerEpoch) {
    entry.producerEpoch = batch.producerEpoch;
    entry.batches = [];
  }
  entry.lastTimestamp = batch.maxTimestamp;
  if (batch.isControl) return;
  if (entry.batches.length === NUM_BATCHES_TO_RETAIN) entry.batches.shift();
  entry.batches.push({
    firstSeq: batch.baseSequence,
    lastSeq: batch.lastSequence,
    firstOffset: batch.baseOffset,
    lastOffset: batch.lastOffset,
    timestamp: batch.maxTimestamp,
  });
}

export class ProducerStateManager {
  private producers = new Map<number, ProducerStateEntry>();
  /** The state reflects the log below this offset. */
  mapEndOffset = 0;

  lastEntry(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  get producerCount(): number {
    return this.producers.size;
  }

  entries(): IterableIterator<ProducerStateEntry> {
    return this.producers.values();
  }

  /** Starts the producer-state side of one append; nothing changes until `commit()`. */
  begin(origin: AppendOrigin): ProducerAppend {
    return new ProducerAppend(this, origin);
  }

  /** Applies a batch already in the log (start-up rebuild, replication): no checks. */
  replay(batch: RecordBatchHeader): void {
    if (batch.producerId >= 0) {
      const entry = copyEntry(this.producers.get(batch.producerId) ?? emptyEntry(batch.producerId));
      addBatch(entry, batch);
      this.producers.set(batch.producerId, entry);
    }
    this.mapEndOffset = batch.lastOffset + 1;
  }

  /** @internal */
  commitEntries(updates: Map<number, MutableEntry>, mapEndOffset: number): void {
    for (const [pid, entry] of updates) this.producers.set(pid, entry);
    this.mapEndOffset = Math.max(this.mapEndOffset, mapEndOffset);
  }

  /** Forgets producers whose last batch is below the new log start offset (Kafka's truncateHead). */
  onLogStartOffsetIncremented(logStartOffset: number): void {
    for (const [pid, e] of this.producers) {
      const last = e.batches[e.batches.length - 1];
      if (!last || last.lastOffset < logStartOffset) this.producers.delete(pid);
    }
    if (this.mapEndOffset < logStartOffset) this.mapEndOffset = logStartOffset;
  }

  /** Forgets producers idle for `producerIdExpirationMs` (producer.id.expiration.ms). */
  removeExpiredProducers(now: number, producerIdExpirationMs: number): number {
    let removed = 0;
    for (const [pid, e] of this.producers) {
      if (now - e.lastTimestamp >= producerIdExpirationMs) {
        this.producers.delete(pid);
        removed++;
      }
    }
    return removed;
  }

  /** Empties the state, e.g. before a rebuild from `offset`. */
  reset(offset: number): void {
    this.producers.clear();
    this.mapEndOffset = offset;
  }

  // --- snapshots -------------------------------------------------------------------------------
  //
  // Snapshot file <mapEndOffset, 20 digits>.snapshot, big-endian:
  //   int16 version (1), uint32 crc32c of the rest, int64 mapEndOffset, int32 producer count,
  //   per producer: int64 producerId, int16 epoch, int32 coordinatorEpoch, int64 lastTimestamp,
  //   int8 batch count, per batch: int32 firstSeq, int32 lastSeq, int64 firstOffset,
  //   int64 lastOffset, int64 timestamp.

  serialize(): Buffer {
    let size = 2 + 4 + 8 + 4;
    for (const e of this.producers.values()) size += 8 + 2 + 4 + 8 + 1 + e.batches.length * 32;
    const buf = Buffer.alloc(size);
    buf.writeInt16BE(1, 0);
    let at = 6;
    buf.writeBigInt64BE(BigInt(this.mapEndOffset), at);
    buf.writeInt32BE(this.producers.size, at + 8);
    at += 12;
    for (const e of this.producers.values()) {
      buf.writeBigInt64BE(BigInt(e.producerId), at);
      buf.writeInt16BE(e.producerEpoch, at + 8);
      buf.writeInt32BE(e.coordinatorEpoch, at + 10);
      buf.writeBigInt64BE(BigInt(e.lastTimestamp), at + 14);
      buf.writeInt8(e.batches.length, at + 22);
      at += 23;
      for (const b of e.batches) {
        buf.writeInt32BE(b.firstSeq, at);
        buf.writeInt32BE(b.lastSeq, at + 4);
        buf.writeBigInt64BE(BigInt(b.firstOffset), at + 8);
        buf.writeBigInt64BE(BigInt(b.lastOffset), at + 16);
        buf.writeBigInt64BE(BigInt(b.timestamp), at + 24);
        at += 32;
      }
    }
    buf.writeUInt32BE(crc32c(buf.subarray(6)) >>> 0, 2);
    return buf;
  }

  /** Replaces the state with a snapshot's; false (state untouched) when it does not check out. */
  loadSnapshot(buf: Buffer): boolean {
    try {
      if (buf.length < 18 || buf.readInt16BE(0) !== 1) return false;
      if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6)) >>> 0) return false;
      const producers = new Map<number, ProducerStateEntry>();
      const mapEndOffset = Number(buf.readBigInt64BE(6));
      const count = buf.readInt32BE(14);
      let at = 18;
      for (let i = 0; i < count; i++) {
        const producerId = Number(buf.readBigInt64BE(at));
        const producerEpoch = buf.readInt16BE(at + 8);
        const coordinatorEpoch = buf.readInt32BE(at + 10);
        const lastTimestamp = Number(buf.readBigInt64BE(at + 14));
        const n = buf.readInt8(at + 22);
        at += 23;
        const batches: ProducerBatchMetadata[] = [];
        for (let j = 0; j < n; j++) {
          batches.push({
            firstSeq: buf.readInt32BE(at),
            lastSeq: buf.readInt32BE(at + 4),
            firstOffset: Number(buf.readBigInt64BE(at + 8)),
            lastOffset: Number(buf.readBigInt64BE(at + 16)),
            timestamp: Number(buf.readBigInt64BE(at + 24)),
          });
          at += 32;
        }
        producers.set(producerId, {
          producerId,
          producerEpoch,
          coordinatorEpoch,
          lastTimestamp,
          batches,
        });
      }
      if (at !== buf.length) return false;
      this.producers = producers;
      this.mapEndOffset = mapEndOffset;
      return true;
    } catch {
      return false;
    }
  }
}

/** The producer-state side of one append: check each batch, then commit once the bytes are written. */
export class ProducerAppend {
  private readonly updates = new Map<number, MutableEntry>();
  private mapEnd = 0;

  constructor(
    private readonly manager: ProducerStateManager,
    private readonly origin: AppendOrigin,
  ) {}

  /**
   * Checks a batch whose offsets are assigned, and records it in this append's pending state
   * when it is ok. A duplicate or an error records nothing.
   */
  checkAndRecord(batch: RecordBatchHeader): ProducerCheckResult {
    this.mapEnd = batch.lastOffset + 1;
    const pid = batch.producerId;
    if (pid < 0) return { kind: 'ok' };
    const committed = this.manager.lastEntry(pid);
    if (this.origin === 'client' && committed && committed.producerEpoch === batch.producerEpoch) {
      const lastSeq = batch.lastSequence;
      const dup = committed.batches.find(
        (b) => b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq,
      );
      if (dup) {
        return {
          kind: 'duplicate',
          firstOffset: dup.firstOffset,
          lastOffset: dup.lastOffset,
          timestamp: dup.timestamp,
        };
      }
    }
    const entry = this.updates.get(pid) ?? (committed ? copyEntry(committed) : emptyEntry(pid));
    const problem =
      this.origin === 'replication' ? undefined : this.problem(entry, committed, batch);
    if (problem) return problem;
    addBatch(entry, batch);
    this.updates.set(pid, entry);
    return { kind: 'ok' };
  }

  commit(): void {
    this.manager.commitEntries(this.updates, this.mapEnd);
  }

  private problem(
    entry: MutableEntry,
    committed: ProducerStateEntry | undefined,
    batch: RecordBatchHeader,
  ): ProducerCheckResult | undefined {
    const pid = batch.producerId;
    if (batch.producerEpoch < entry.producerEpoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${pid} has epoch ${batch.producerEpoch}, older than the current epoch ${entry.producerEpoch}`,
      };
    }
    if (this.origin !== 'client' || batch.isControl) return undefined;
    const firstSeq = batch.baseSequence;
    if (batch.producerEpoch !== entry.producerEpoch) {
      if (firstSeq !== 0 && entry.producerEpoch !== NO_PRODUCER_EPOCH) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `producer ${pid} starts epoch ${batch.producerEpoch} at sequence ${firstSeq}; a new epoch starts at 0`,
        };
      }
      return undefined;
    }
    const last = entry.batches[entry.batches.length - 1];
    const lastSeq = last ? last.lastSeq : -1;
    const unknownEpoch = (committed?.producerEpoch ?? NO_PRODUCER_EPOCH) === NO_PRODUCER_EPOCH;
    if (!unknownEpoch && !inSequence(lastSeq, firstSeq)) {
      return {
        kind: 'error',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${pid} sent sequence ${firstSeq} after ${lastSeq} in epoch ${batch.producerEpoch}`,
      };
    }
    return undefined;
  }
}

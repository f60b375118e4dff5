// The records of one partition from one Fetch answer, decoded a batch at a time as the
// application consumes them. Here the fetch rules live:
// - a batch may start before the offset asked for (the broker returns whole batches, and a
//   compressed batch cannot be cut): records below the fetch offset are skipped;
// - the answer may end in a partial batch (the broker cuts at the byte limit): it is dropped
//   and fetched again from its start next time;
// - control batches (transaction markers) are never shown; with read_committed, records of
//   aborted transactions are skipped using the answer's aborted-transaction list;
// - magic 0/1 message sets from old logs are read too;
// - with checkCrcs (the default, as Java's check.crcs) a v2 batch whose CRC32C does not match
//   its bytes is refused with CORRUPT_MESSAGE when the application reaches it, and stays
//   refused (the position does not move past it) until the application seeks.
import { ErrorCode, KafkaError, MalformedInputError } from '../protocol/errors.js';
import {
  BATCH_LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RecordBatchHeader,
  TimestampType,
} from '../protocol/records/batch-header.js';
import { ControlRecordType, decodeControlRecordKey } from '../protocol/records/control.js';
import { readLegacyMessageSet } from '../protocol/records/legacy.js';
import { type RecordHeader, readRecords, recordsPayload } from '../protocol/records/record.js';
import { decodeBatchRecords, NO_HEADERS } from './record-decoder.js';

/**
 * A record as fetched, before the application's deserializers. It already has the shape of a
 * ConsumerMessage, so the consumer hands the same object out (one allocation per record).
 */
export interface FetchedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  leaderEpoch: number;
}

export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

type Entry = { kind: 'batch'; batch: RecordBatchHeader } | { kind: 'legacy'; buf: Buffer };

/** Splits a records field into batches (and legacy message sets); a partial tail is dropped. */
export function splitEntries(buf: Buffer): { entries: Entry[]; partialTail: number } {
  const entries: Entry[] = [];
  let at = 0;
  while (buf.length - at >= LOG_OVERHEAD + 5) {
    const size = LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH_OFFSET);
    if (size < LOG_OVERHEAD + 5) {
      throw new MalformedInputError(`record batch of ${size} bytes at ${at}`, 2);
    }
    if (at + size > buf.length) break;
    const slice = buf.subarray(at, at + size);
    if (buf.readInt8(at + MAGIC_OFFSET) >= 2) {
      entries.push({ kind: 'batch', batch: new RecordBatchHeader(slice) });
    } else {
      entries.push({ kind: 'legacy', buf: slice });
    }
    at += size;
  }
  return { entries, partialTail: buf.length - at };
}

export interface FetchedRecordsOptions {
  /** Hide aborted transactions (needs abortedTransactions). Default false. */
  readCommitted?: boolean;
  abortedTransactions?: readonly AbortedTransaction[] | null;
  /** Verify each v2 batch's CRC32C before decoding it. Default true. */
  checkCrcs?: boolean;
  /** Copied into every record. */
  topic?: string;
  partition?: number;
}

export class FetchedRecords {
  /** Offset to fetch next: after the last complete batch, or the fetch offset if there was none. */
  readonly nextFetchOffset: number;
  /** Bytes were returned but not one complete batch: the partition's byte limit is too small. */
  readonly truncated: boolean;
  /** Size of the records field, counted against the consumer's buffered-bytes budget. */
  readonly sizeInBytes: number;
  private readonly entries: Entry[];
  private entryIndex = 0;
  private current: FetchedRecord[] = [];
  private currentIndex = 0;
  private readonly aborted: AbortedTransaction[];
  private readonly abortedProducers = new Set<number>();
  private readonly readCommitted: boolean;
  private readonly checkCrcs: boolean;
  private readonly topic: string;
  private readonly partition: number;

  constructor(
    records: Buffer | null,
    private readonly fetchOffset: number,
    options: FetchedRecordsOptions = {},
  ) {
    this.readCommitted = options.readCommitted ?? false;
    this.checkCrcs = options.checkCrcs ?? true;
    this.topic = options.topic ?? '';
    this.partition = options.partition ?? -1;
    const abortedTransactions = options.abortedTransactions;
    this.sizeInBytes = records?.length ?? 0;
    const { entries, partialTail } = records
      ? splitEntries(records)
      : { entries: [], partialTail: 0 };
    this.entries = entries;
    this.truncated = entries.length === 0 && partialTail > 0;
    this.aborted = [...(abortedTransactions ?? [])].sort((a, b) => a.firstOffset - b.firstOffset);
    let next = fetchOffset;
    const last = entries[entries.length - 1];
    if (last?.kind === 'batch') next = Math.max(next, last.batch.nextOffset);
    else if (last?.kind === 'legacy') {
      const msgs = readLegacyMessageSet(last.buf, { allowPartialTail: true });
      if (msgs.length > 0) next = Math.max(next, msgs[msgs.length - 1]!.offset + 1);
    }
    this.nextFetchOffset = next;
  }

  /** The next record at or after the fetch offset, or undefined when all were consumed. */
  next(): FetchedRecord | undefined {
    for (;;) {
      if (this.currentIndex < this.current.length) return this.current[this.currentIndex++];
      if (this.entryIndex >= this.entries.length) return undefined;
      // Decoded before moving on, so a corrupt batch throws again on the next call.
      this.current = this.decode(this.entries[this.entryIndex]!);
      this.entryIndex++;
      this.currentIndex = 0;
    }
  }

  /**
   * Appends every record not yet consumed to `out` (eachBatch), decoding straight into it
   * rather than through a per-batch array, or those up to the first batch boundary where
   * `stop()` says so. A corrupt batch throws when `out` got nothing from
   * this call; otherwise the records before it are kept, and the next call throws.
   */
  takeAll(out: FetchedRecord[], stop?: () => boolean): void {
    const before = out.length;
    while (this.currentIndex < this.current.length) out.push(this.current[this.currentIndex++]!);
    while (this.entryIndex < this.entries.length) {
      // `stop` may end the call early, at a batch boundary and once something was taken.
      if (out.length > before && stop?.()) return;
      const at = out.length;
      try {
        this.decodeInto(this.entries[this.entryIndex]!, out);
      } catch (err) {
        out.length = at; // a malformed batch may have decoded some records before failing
        if (at === before) throw err;
        return;
      }
      this.entryIndex++;
    }
  }

  /** True once every record was consumed (takeAll may stop early at a corrupt batch). */
  get isDone(): boolean {
    return this.currentIndex >= this.current.length && this.entryIndex >= this.entries.length;
  }

  /** Drops what is left (after a seek or a revocation). */
  clear(): void {
    this.entryIndex = this.entries.length;
    this.current = [];
  }

  private decode(entry: Entry): FetchedRecord[] {
    const out: FetchedRecord[] = [];
    this.decodeInto(entry, out);
    return out;
  }

  /** Appends the records of one batch (or legacy message set) at or after the fetch offset. */
  private decodeInto(entry: Entry, out: FetchedRecord[]): void {
    if (entry.kind === 'legacy') {
      const legacy = readLegacyMessageSet(entry.buf, { allowPartialTail: true })
        .filter((m) => m.offset >= this.fetchOffset)
        .map(
          (m): FetchedRecord => ({
            topic: this.topic,
            partition: this.partition,
            offset: m.offset,
            timestamp: m.timestamp,
            timestampType:
              m.timestampType === TimestampType.LogAppendTime ? 'LogAppendTime' : 'CreateTime',
            key: m.key,
            value: m.value,
            headers: NO_HEADERS,
            leaderEpoch: -1,
          }),
        );
      for (const r of legacy) out.push(r);
      return;
    }
    const batch = entry.batch;
    if (this.checkCrcs && !batch.isCrcValid()) {
      throw new KafkaError(
        ErrorCode.CORRUPT_MESSAGE,
        `${this.topic}/${this.partition}: the record batch at offset ${batch.baseOffset} is corrupt (stored CRC ${batch.crc}, computed ${batch.computeCrc()}); seek past it to go on`,
      );
    }
    // Transaction state is tracked through every batch, even ones before the fetch offset.
    if (this.readCommitted && this.skipForTransaction(batch)) return;
    if (batch.isControl || batch.lastOffset < this.fetchOffset) return;
    decodeBatchRecords(
      recordsPayload(batch),
      batch.recordsCount,
      {
        topic: this.topic,
        partition: this.partition,
        baseOffset: batch.baseOffset,
        baseTimestamp: batch.baseTimestamp,
        logAppendTime:
          batch.timestampType === TimestampType.LogAppendTime ? batch.maxTimestamp : undefined,
        leaderEpoch: batch.partitionLeaderEpoch,
        fromOffset: this.fetchOffset,
      },
      out,
    );
  }

  /** Tracks which producers' open transactions were aborted; true when `batch` is one of them. */
  private skipForTransaction(batch: RecordBatchHeader): boolean {
    while (this.aborted.length > 0 && this.aborted[0]!.firstOffset <= batch.lastOffset) {
      this.abortedProducers.add(this.aborted.shift()!.producerId);
    }
    if (batch.isControl) {
      const [marker] = readRecords(batch);
      if (marker && decodeControlRecordKey(marker.key).type === ControlRecordType.Abort) {
        this.abortedProducers.delete(batch.producerId);
      }
      return true;
    }
    return batch.isTransactional && this.abortedProducers.has(batch.producerId);
  }
}

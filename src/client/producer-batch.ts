// The units the producer moves around: a batch of records for one partition, the per-partition
// queue and idempotence state, and the tracker that resolves one send() call when all of its
// messages (possibly spread over several batches) are acknowledged.
import { RECORD_BATCH_OVERHEAD, type RecordBatchHeader } from '../protocol/records/batch-header.js';
import { buildRecordBatch, type RecordInput } from '../protocol/records/builder.js';
import type { CompressionType } from '../protocol/records/index.js';

/** Where a produced message landed. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  /** Its offset; -1 with acks=0 (the broker does not answer) or a duplicate the broker dropped. */
  offset: number;
  /** CreateTime given or assigned by the producer, or the broker's LogAppendTime. */
  timestamp: number;
}

/** Resolves one send() call once every message in it has its RecordMetadata. */
export class SendTracker {
  readonly results: RecordMetadata[];
  readonly promise: Promise<RecordMetadata[]>;
  private remaining: number;
  private settled = false;
  private resolveFn!: (r: RecordMetadata[]) => void;
  private rejectFn!: (e: Error) => void;

  constructor(count: number) {
    this.results = new Array(count);
    this.remaining = count;
    this.promise = new Promise((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
  }

  /** One message is acknowledged. */
  done(index: number, meta: RecordMetadata): void {
    this.results[index] = meta;
    if (--this.remaining === 0 && !this.settled) {
      this.settled = true;
      this.resolveFn(this.results);
    }
  }

  /** The send() fails (once, with the first error). */
  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectFn(err);
  }
}

/** Bytes a record adds to a batch, close enough for batching and buffer accounting. */
export function estimateRecordSize(r: RecordInput): number {
  let size = 21 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  if (r.headers) for (const h of r.headers) size += 6 + h.key.length + (h.value?.length ?? 0);
  return size;
}

export class ProducerBatch {
  readonly records: RecordInput[] = [];
  readonly trackers: SendTracker[] = [];
  readonly indexes: number[] = [];
  /** Estimated size of the batch on the wire. */
  bytes = RECORD_BATCH_OVERHEAD;
  /** No more records go in (size reached, or drained). */
  closed = false;
  attempts = 0;
  /** Not sent again before this time (backoff after a retriable failure). */
  retryAt = 0;
  producerId = -1;
  producerEpoch = -1;
  baseSequence = -1;
  private encoded: RecordBatchHeader | undefined;
  private finished = false;
  /** Set on a batch whose records travel in another one (see absorb). */
  private mergedInto: ProducerBatch | undefined;
  /** Batches whose records were appended to this one, for unmerge(). */
  private absorbed: ProducerBatch[] = [];
  /** Record count and bytes of this batch before it absorbed others. */
  private ownCount = 0;
  private ownBytes = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly createdAt: number,
  ) {}

  /** Records in the batch. */
  get recordCount(): number {
    return this.records.length;
  }

  /** Acknowledged or failed (with the batch that carries its records, when merged). */
  get isDone(): boolean {
    return this.mergedInto ? this.mergedInto.isDone : this.finished;
  }

  /** Never sent nor encoded: its records can still join another batch. */
  get mergeable(): boolean {
    return this.attempts === 0 && this.baseSequence < 0 && !this.encoded && !this.mergedInto;
  }

  /** Batches merged into this one (0 for an ordinary batch). */
  get mergedCount(): number {
    return this.absorbed.length;
  }

  /**
   * Appends `other`'s records to this batch so both travel as one (records that waited for a
   * free request slot anyway). `other` keeps its own lists, so unmerge() can undo this.
   */
  absorb(other: ProducerBatch): void {
    if (this.absorbed.length === 0) {
      this.ownCount = this.records.length;
      this.ownBytes = this.bytes;
    }
    for (let i = 0; i < other.records.length; i++) {
      this.records.push(other.records[i]!);
      this.trackers.push(other.trackers[i]!);
      this.indexes.push(other.indexes[i]!);
    }
    this.bytes += other.bytes - RECORD_BATCH_OVERHEAD;
    this.absorbed.push(other);
    other.mergedInto = this;
  }

  /**
   * Splits a merged batch back into the batches it absorbed (the broker refused it as too
   * large). Sequence numbers are carried over record for record, so the parts take the
   * merged batch's place in the partition's sequence.
   */
  unmerge(): ProducerBatch[] {
    const parts: ProducerBatch[] = [this, ...this.absorbed];
    this.records.length = this.ownCount;
    this.trackers.length = this.ownCount;
    this.indexes.length = this.ownCount;
    this.bytes = this.ownBytes;
    this.absorbed = [];
    this.encoded = undefined;
    let sequence = this.baseSequence;
    for (const p of parts) {
      p.mergedInto = undefined;
      p.closed = true;
      p.attempts = this.attempts;
      p.producerId = this.producerId;
      p.producerEpoch = this.producerEpoch;
      p.baseSequence = sequence < 0 ? -1 : sequence;
      if (sequence >= 0) sequence = (sequence + p.recordCount) % 0x80000000;
    }
    return parts;
  }

  /** Adds a record (its tracker and index say whose send() it belongs to). */
  add(record: RecordInput, size: number, tracker: SendTracker, index: number): void {
    this.records.push(record);
    this.trackers.push(tracker);
    this.indexes.push(index);
    this.bytes += size;
  }

  /**
   * The batch bytes. Records are encoded (and compressed) once; producer id, epoch and
   * sequence are patched in place, so a retry resends exactly the same records.
   */
  encode(compression: CompressionType, compressionLevel: number | undefined): Buffer {
    if (!this.encoded) {
      this.encoded = buildRecordBatch({
        records: this.records,
        compression,
        compressionLevel,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        baseSequence: this.baseSequence,
      });
      return this.encoded.buf;
    }
    const b = this.encoded;
    if (
      b.producerId !== this.producerId ||
      b.producerEpoch !== this.producerEpoch ||
      b.baseSequence !== this.baseSequence
    ) {
      b.buf.writeBigInt64BE(BigInt(this.producerId), 43);
      b.buf.writeInt16BE(this.producerEpoch, 51);
      b.buf.writeInt32BE(this.baseSequence, 53);
      b.updateCrc();
    }
    return b.buf;
  }

  /** Size of the encoded batch, or the estimate before encoding. */
  get wireSize(): number {
    return this.encoded?.buf.length ?? this.bytes;
  }

  /** Resolves every record with its offset (-1 when unknown). */
  succeed(baseOffset: number, logAppendTime: number): void {
    if (this.finished) return;
    this.finished = true;
    for (let i = 0; i < this.records.length; i++) {
      this.trackers[i]!.done(this.indexes[i]!, {
        topic: this.topic,
        partition: this.partition,
        offset: baseOffset < 0 ? -1 : baseOffset + i,
        timestamp: logAppendTime >= 0 ? logAppendTime : this.records[i]!.timestamp,
      });
    }
  }

  /** Fails every record's send(). */
  fail(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    for (const t of this.trackers) t.fail(err);
  }
}

/** What the producer keeps per partition. */
export class PartitionState {
  /** Batches not sent yet (or sent back for a retry), oldest first; the last may be open. */
  readonly queue: ProducerBatch[] = [];
  /** Batches sent and not answered, in send order (sequence order when idempotent). */
  readonly inFlight: ProducerBatch[] = [];
  /** Next sequence number (idempotence), per producer id. */
  nextSequence = 0;
  /** An earlier batch failed and is waiting to go again: send nothing newer meanwhile. */
  retrying = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** Merged batches were refused as too large: send batches of at most batchSize from now on. */
  noMerging = false;

  /** Puts a failed batch (or the parts of one) back in the queue, ahead of newer ones, keeping sequence order. */
  requeue(batch: ProducerBatch, parts: ProducerBatch[] = [batch]): void {
    const i = this.inFlight.indexOf(batch);
    if (i >= 0) this.inFlight.splice(i, 1);
    batch.closed = true;
    let at = 0;
    while (
      at < this.queue.length &&
      this.queue[at]!.baseSequence >= 0 &&
      this.queue[at]!.baseSequence < batch.baseSequence
    ) {
      at++;
    }
    this.queue.splice(at, 0, ...parts);
  }

  /**
   * Merges the closed, never-sent batches queued behind the head into it while the result
   * stays within `maxBytes`: they are ready and would only wait for a request slot each, and
   * one larger batch costs the broker and the client one request instead of several. The open
   * last batch keeps filling. Returns the batches absorbed (out of the queue now).
   */
  mergeQueued(maxBytes: number): ProducerBatch[] {
    const head = this.queue[0];
    const taken: ProducerBatch[] = [];
    if (!head || this.noMerging || !head.mergeable) return taken;
    let bytes = head.bytes;
    let n = 1;
    while (n < this.queue.length) {
      const next = this.queue[n]!;
      if (!next.closed || !next.mergeable) break;
      if (bytes + next.bytes - RECORD_BATCH_OVERHEAD > maxBytes) break;
      bytes += next.bytes - RECORD_BATCH_OVERHEAD;
      n++;
    }
    if (n === 1) return taken;
    for (const b of this.queue.splice(1, n - 1)) {
      head.absorb(b);
      taken.push(b);
    }
    return taken;
  }

  /** The batch's answer came back. */
  removeInFlight(batch: ProducerBatch): void {
    const i = this.inFlight.indexOf(batch);
    if (i >= 0) this.inFlight.splice(i, 1);
  }
}

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

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly createdAt: number,
  ) {}

  /** Records in the batch. */
  get recordCount(): number {
    return this.records.length;
  }

  /** Acknowledged or failed. */
  get isDone(): boolean {
    return this.finished;
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

  /** Puts a failed batch back in the queue, ahead of newer ones, keeping sequence order. */
  requeue(batch: ProducerBatch): void {
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
    this.queue.splice(at, 0, batch);
  }

  /** The batch's answer came back. */
  removeInFlight(batch: ProducerBatch): void {
    const i = this.inFlight.indexOf(batch);
    if (i >= 0) this.inFlight.splice(i, 1);
  }
}

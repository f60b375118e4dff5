// Where send() leaves records: per-partition queues of batches, filled up to batchSize and
// handed to the sender when full or after lingerMs. It also enforces bufferMemory: a send()
// that would take the producer over the limit waits (up to maxBlockMs) for acknowledged
// batches to free space, which is the producer's backpressure.
import { RECORD_BATCH_OVERHEAD } from '../protocol/records/batch-header.js';
import type { RecordInput } from '../protocol/records/builder.js';
import { BufferExhaustedError } from './errors.js';
import { PartitionState, ProducerBatch, type SendTracker } from './producer-batch.js';

export interface AccumulatorOptions {
  batchSize: number;
  lingerMs: number;
  bufferMemory: number;
  maxBlockMs: number;
}

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class RecordAccumulator {
  readonly partitions = new Map<string, PartitionState>();
  /** Bytes of records accepted and not yet acknowledged or failed. */
  bufferedBytes = 0;
  private readonly waiters: Waiter[] = [];
  /** Batches not finished yet, for flush(). */
  readonly pending = new Set<ProducerBatch>();

  constructor(
    readonly options: AccumulatorOptions,
    /** Called when a batch is ready before its linger time (it is full). */
    private readonly onBatchFull: () => void,
  ) {}

  /** True while some send() waits for buffer space: the sender should not linger then. */
  get memoryPressure(): boolean {
    return this.waiters.length > 0;
  }

  /** The partition's queue and sequence state, created on first use. */
  state(topic: string, partition: number): PartitionState {
    const key = `${topic}\u0000${partition}`;
    let s = this.partitions.get(key);
    if (!s) {
      s = new PartitionState(topic, partition);
      this.partitions.set(key, s);
    }
    return s;
  }

  /** Waits until `bytes` fit in bufferMemory, then reserves them. */
  reserve(bytes: number): Promise<void> | undefined {
    const limit = this.options.bufferMemory;
    if (bytes > limit) {
      throw new BufferExhaustedError(
        `a message of ${bytes} bytes is larger than bufferMemory (${limit} bytes)`,
      );
    }
    if (this.waiters.length === 0 && this.bufferedBytes + bytes <= limit) {
      this.bufferedBytes += bytes;
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(
            new BufferExhaustedError(
              `the producer buffer (bufferMemory ${limit} bytes) stayed full for ${this.options.maxBlockMs} ms: the broker is slower than the producer, or unreachable`,
            ),
          );
        }, this.options.maxBlockMs),
      };
      this.waiters.push(waiter);
      this.onBatchFull();
    });
  }

  /** Returns bytes to the buffer and lets waiting sends in, in arrival order. */
  release(bytes: number): void {
    this.bufferedBytes -= bytes;
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      if (this.bufferedBytes + w.bytes > this.options.bufferMemory) break;
      this.waiters.shift();
      clearTimeout(w.timer);
      this.bufferedBytes += w.bytes;
      w.resolve();
    }
  }

  /** Adds a record (its bytes already reserved) to the open batch of its partition. */
  append(
    topic: string,
    partition: number,
    record: RecordInput,
    size: number,
    tracker: SendTracker,
    index: number,
    now: number,
  ): void {
    const s = this.state(topic, partition);
    let batch = s.queue[s.queue.length - 1];
    if (
      !batch ||
      batch.closed ||
      (batch.recordCount > 0 && batch.bytes + size > this.options.batchSize)
    ) {
      if (batch && !batch.closed) {
        batch.closed = true;
        this.onBatchFull();
      }
      batch = new ProducerBatch(topic, partition, now);
      s.queue.push(batch);
      this.pending.add(batch);
    }
    batch.add(record, size, tracker, index);
    if (batch.bytes >= this.options.batchSize) {
      batch.closed = true;
      this.onBatchFull();
    }
  }

  /** A batch is finished (acknowledged or failed): free its memory, tell flush() waiters. */
  finished(batch: ProducerBatch): void {
    if (!this.pending.delete(batch)) return;
    this.release(batch.bytes - RECORD_BATCH_OVERHEAD);
    if (this.flushWaiters.length > 0) {
      for (const w of this.flushWaiters.splice(0)) w();
    }
  }

  private readonly flushWaiters: (() => void)[] = [];

  /** Resolves once every batch pending now is finished. */
  async whenFinished(batches: readonly ProducerBatch[]): Promise<void> {
    while (batches.some((b) => !b.isDone)) {
      await new Promise<void>((resolve) => this.flushWaiters.push(resolve));
    }
  }

  /** Fails every waiting send() (the producer is closing). */
  abortWaiters(err: Error): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }
}

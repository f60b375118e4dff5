// Moves ready batches from the accumulator to the partition leaders: one Produce request per
// broker carrying at most one batch per partition, up to maxInFlightRequests requests per
// broker, and answers mapped back to batches.
//
// Full batches that queue behind the in-flight limit are merged into the one that goes next
// (up to four of them, 1 MiB and maxRequestSize). A broker handles one request per connection at a time, so
// its cost per request, not per byte, bounds a producer that keeps the limit busy: with 64 KiB
// batches five in flight carried 320 KiB and the producer sat idle between answers; merged,
// the same records go in a few larger requests.
//
// Ordering under retries: when a batch fails with a retriable error it goes back to the front
// of its partition queue, and nothing newer of that partition is sent until every batch in
// flight for it has come back; the retried batches then go out again in sequence order. With
// idempotence the broker drops what it already has (same producer id and sequence), so a
// retry neither duplicates nor reorders.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { ApiKey } from '../protocol/messages/index.js';
import { InitProducerIdApi } from '../protocol/messages/init-producer-id.js';
import {
  ProduceApi,
  type ProduceRequestTopicProduceData,
  type ProduceResponse,
} from '../protocol/messages/produce.js';
import type { CompressionType } from '../protocol/records/index.js';
import { type Cluster, isStaleMetadataError } from './cluster.js';
import { brokerError, isRetriable } from './errors.js';
import type { PartitionState, ProducerBatch } from './producer-batch.js';
import type { RecordAccumulator } from './record-accumulator.js';
import { backoffMs, type ResolvedRetry, resolveRetry, withRetry } from './retry.js';

export interface SenderOptions {
  acks: number;
  idempotent: boolean;
  /** Idempotence was asked for explicitly: a broker without it is an error, not a fallback. */
  idempotenceRequired: boolean;
  compression: CompressionType;
  compressionLevel: number | undefined;
  lingerMs: number;
  requestTimeoutMs: number;
  deliveryTimeoutMs: number;
  maxInFlightRequests: number;
  maxRequestSize: number;
  retry: ResolvedRetry;
}

const INT32_MAX = 0x7fffffff;
/**
 * Largest batch made by merging queued batches: Kafka's default max.message.bytes (1 MiB + 12)
 * takes it. A topic with a lower limit refuses it once, and its batches are split back.
 */
const MAX_MERGED_BATCH_BYTES = 1024 * 1024;
/**
 * A merged batch holds at most this many batchSize batches: consumers fetch whole batches up to
 * max.partition.fetch.bytes (1 MiB by default), and batches near that size would leave most
 * of each fetch empty. Four already cut the request count by four.
 */
const MERGE_FACTOR = 4;
/** A broker that just started answers COORDINATOR_LOAD_IN_PROGRESS for a few seconds. */
const INIT_RETRY = resolveRetry({ retries: 40, initialRetryTimeMs: 100, maxRetryTimeMs: 1000 });

export class Sender {
  private idempotent: boolean;
  private stopped = false;
  private producerId = -1;
  private producerEpoch = -1;
  /** A producer id is needed before the next send (start, or after a fatal sequence error). */
  private needsProducerId: boolean;
  private initializing: Promise<void> | undefined;
  private readonly inFlightPerNode = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private immediate = false;
  private refreshing: Promise<void> | undefined;
  /** Set by flush() and close(): send what is queued without waiting for lingerMs. */
  flushing = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly accumulator: RecordAccumulator,
    private readonly options: SenderOptions,
  ) {
    this.idempotent = options.idempotent;
    this.needsProducerId = options.idempotent;
  }

  /** Gets a producer id now (idempotent producers), so the first send has no extra wait. */
  async initProducerId(): Promise<void> {
    if (!this.needsProducerId) return;
    this.initializing ??= withRetry(INIT_RETRY, () => this.requestProducerId()).finally(() => {
      this.initializing = undefined;
    });
    await this.initializing;
  }

  /** One InitProducerId attempt (a fresh broker may answer COORDINATOR_LOAD_IN_PROGRESS first). */
  private async requestProducerId(): Promise<void> {
    const connection = await this.cluster.anyConnection();
    if (!connection.supports(ApiKey.InitProducerId) && !this.options.idempotenceRequired) {
      this.cluster.logger.warn(
        `broker ${connection.broker} has no InitProducerId: producing without idempotence`,
      );
      this.idempotent = false;
      this.needsProducerId = false;
      return;
    }
    const response = await connection.send(InitProducerIdApi, {
      transactionalId: null,
      transactionTimeoutMs: INT32_MAX,
      producerId: -1n,
      producerEpoch: -1,
    });
    if (response.errorCode !== ErrorCode.NONE) {
      throw brokerError(response.errorCode, 'InitProducerId for the idempotent producer');
    }
    this.producerId = Number(response.producerId);
    this.producerEpoch = response.producerEpoch;
    this.needsProducerId = false;
    for (const s of this.accumulator.partitions.values()) s.nextSequence = 0;
  }

  /** Schedules a drain on the next turn of the event loop (coalescing repeated calls). */
  wake(): void {
    if (this.immediate) return;
    this.immediate = true;
    setImmediate(() => {
      this.immediate = false;
      this.drain();
    });
  }

  private schedule(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.max(0, at - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, delay);
  }

  /** Sends every batch that is ready and allowed to go; arms a timer for the next one. */
  drain(): void {
    if (this.stopped) return;
    if (this.needsProducerId) {
      if (!this.anyInFlight()) {
        this.initProducerId().then(
          () => this.wake(),
          (err) => this.failAll(err),
        );
      }
      return;
    }
    const now = Date.now();
    const byNode = new Map<number, ProducerBatch[]>();
    const sizeByNode = new Map<number, number>();
    let nextAt = Number.POSITIVE_INFINITY;
    let needMetadata = false;
    const eager = this.flushing > 0 || this.accumulator.memoryPressure;
    for (const s of this.accumulator.partitions.values()) {
      const head = s.queue[0];
      if (!head) continue;
      if (now - head.createdAt >= this.options.deliveryTimeoutMs) {
        this.expire(s, now);
        continue;
      }
      if (s.retrying && s.inFlight.length > 0) continue;
      const ready = head.closed || s.queue.length > 1 || eager;
      const readyAt = ready
        ? head.retryAt
        : Math.max(head.retryAt, head.createdAt + this.options.lingerMs);
      if (readyAt > now) {
        nextAt = Math.min(nextAt, readyAt);
        continue;
      }
      if (this.idempotent && s.inFlight.length >= this.options.maxInFlightRequests) continue;
      const leader = this.cluster.topic(s.topic)?.partitions[s.partition]?.leader ?? -1;
      if (leader < 0) {
        needMetadata = true;
        continue;
      }
      if ((this.inFlightPerNode.get(leader) ?? 0) >= this.options.maxInFlightRequests) continue;
      const size = sizeByNode.get(leader) ?? 0;
      if (s.queue.length > 1) {
        // A backlog: the batches behind the head go with it as one batch (see mergeQueued).
        const limit = Math.min(
          MERGE_FACTOR * this.accumulator.options.batchSize,
          MAX_MERGED_BATCH_BYTES,
          this.options.maxRequestSize - size,
        );
        for (const b of s.mergeQueued(limit)) this.accumulator.pending.delete(b);
      }
      if (size > 0 && size + head.wireSize > this.options.maxRequestSize) {
        nextAt = now;
        continue;
      }
      sizeByNode.set(leader, size + head.wireSize);
      let list = byNode.get(leader);
      if (!list) byNode.set(leader, (list = []));
      list.push(head);
    }
    for (const [node, batches] of byNode) this.sendTo(node, batches);
    if (needMetadata) this.refreshMetadata();
    if (byNode.size > 0) this.wake();
    else if (nextAt !== Number.POSITIVE_INFINITY) this.schedule(nextAt);
  }

  private sendTo(node: number, batches: ProducerBatch[]): void {
    const topics = new Map<string, ProduceRequestTopicProduceData>();
    for (const b of batches) {
      const s = this.accumulator.state(b.topic, b.partition);
      s.queue.shift();
      b.closed = true;
      b.attempts++;
      if (this.idempotent && (b.producerId !== this.producerId || b.baseSequence < 0)) {
        b.producerId = this.producerId;
        b.producerEpoch = this.producerEpoch;
        b.baseSequence = s.nextSequence;
        s.nextSequence = (s.nextSequence + b.recordCount) % (INT32_MAX + 1);
      }
      s.inFlight.push(b);
      let t = topics.get(b.topic);
      if (!t) topics.set(b.topic, (t = { name: b.topic, partitionData: [] }));
      t.partitionData.push({
        index: b.partition,
        records: b.encode(this.options.compression, this.options.compressionLevel),
      });
    }
    this.inFlightPerNode.set(node, (this.inFlightPerNode.get(node) ?? 0) + 1);
    const request = {
      transactionalId: null,
      acks: this.options.acks,
      timeoutMs: this.options.requestTimeoutMs,
      topicData: [...topics.values()],
    };
    const noResponse = this.options.acks === 0;
    this.cluster
      .connection(node)
      .then((c) => c.send(ProduceApi, request, { noResponse }))
      .then(
        (response) => this.onResponse(batches, response as ProduceResponse | undefined),
        (err) => this.onRequestError(batches, err),
      )
      .finally(() => {
        this.inFlightPerNode.set(node, (this.inFlightPerNode.get(node) ?? 1) - 1);
        this.wake();
      });
  }

  private onResponse(batches: ProducerBatch[], response: ProduceResponse | undefined): void {
    if (!response) {
      for (const b of batches) this.complete(b, () => b.succeed(-1, -1));
      return;
    }
    const answers = new Map<
      string,
      ProduceResponse['responses'][number]['partitionResponses'][number]
    >();
    for (const t of response.responses) {
      for (const p of t.partitionResponses) answers.set(`${t.name}\u0000${p.index}`, p);
    }
    for (const b of batches) {
      const p = answers.get(`${b.topic}\u0000${b.partition}`);
      if (!p) {
        this.retryOrFail(
          b,
          new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `no answer for ${b.topic}/${b.partition}`),
        );
        continue;
      }
      const code = p.errorCode;
      if (code === ErrorCode.NONE || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        const offset = code === ErrorCode.NONE ? Number(p.baseOffset) : -1;
        this.complete(b, () => b.succeed(offset, Number(p.logAppendTimeMs ?? -1n)));
        continue;
      }
      const err = brokerError(code, `producing to ${b.topic}/${b.partition}`, p.errorMessage);
      const s = this.accumulator.state(b.topic, b.partition);
      if (
        (code === ErrorCode.MESSAGE_TOO_LARGE || code === ErrorCode.RECORD_LIST_TOO_LARGE) &&
        b.mergedCount > 0
      ) {
        // The topic's max.message.bytes is below the merged size: send the parts as they were
        // built (each within batchSize), and merge no more for this partition.
        this.cluster.logger.info(
          `${b.topic}/${b.partition}: a merged batch of ${b.wireSize} bytes is too large for the topic; sending batches of at most batchSize`,
        );
        s.noMerging = true;
        const parts = b.unmerge();
        for (const part of parts) this.accumulator.pending.add(part);
        s.requeue(b, parts);
        s.retrying = true;
        continue;
      }
      if (
        code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER &&
        (s.retrying || s.queue.some((q) => q.baseSequence >= 0 && q.baseSequence < b.baseSequence))
      ) {
        // An earlier batch of this partition failed and goes again first: this one follows it.
        this.requeue(s, b, 0);
        continue;
      }
      this.retryOrFail(b, err);
    }
  }

  private onRequestError(batches: ProducerBatch[], err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    for (const b of batches) this.retryOrFail(b, e);
  }

  private retryOrFail(b: ProducerBatch, err: Error): void {
    const s = this.accumulator.state(b.topic, b.partition);
    const expired = Date.now() - b.createdAt >= this.options.deliveryTimeoutMs;
    if (isRetriable(err) && b.attempts <= this.options.retry.retries && !expired) {
      if (isStaleMetadataError(err)) {
        this.cluster.invalidate(b.topic);
        this.refreshMetadata();
      }
      this.cluster.logger.debug(`retrying a batch for ${b.topic}/${b.partition}: ${err.message}`);
      this.requeue(s, b, backoffMs(this.options.retry, b.attempts - 1));
      return;
    }
    this.complete(b, () => b.fail(err));
    // The broker's next expected sequence is now unknown: start over with a new producer id.
    if (this.idempotent && b.baseSequence >= 0) this.needsProducerId = true;
  }

  private requeue(s: PartitionState, b: ProducerBatch, delayMs: number): void {
    s.requeue(b);
    s.retrying = true;
    b.retryAt = Date.now() + delayMs;
  }

  private complete(b: ProducerBatch, settle: () => void): void {
    const s = this.accumulator.state(b.topic, b.partition);
    s.removeInFlight(b);
    if (s.inFlight.length === 0) s.retrying = false;
    settle();
    this.accumulator.finished(b);
  }

  private expire(s: PartitionState, now: number): void {
    while (s.queue.length > 0 && now - s.queue[0]!.createdAt >= this.options.deliveryTimeoutMs) {
      const b = s.queue.shift()!;
      this.complete(b, () =>
        b.fail(
          new KafkaError(
            ErrorCode.REQUEST_TIMED_OUT,
            `${b.recordCount} record(s) for ${b.topic}/${b.partition} not acknowledged within deliveryTimeoutMs (${this.options.deliveryTimeoutMs} ms)`,
          ),
        ),
      );
      if (this.idempotent && b.baseSequence >= 0) this.needsProducerId = true;
    }
  }

  private refreshMetadata(): void {
    this.refreshing ??= this.cluster
      .refreshMetadata()
      .catch((err) =>
        this.cluster.logger.warn(`metadata refresh failed: ${(err as Error).message}`),
      )
      .finally(() => {
        this.refreshing = undefined;
        setTimeout(() => this.wake(), this.options.retry.initialRetryTimeMs);
      });
  }

  private anyInFlight(): boolean {
    for (const n of this.inFlightPerNode.values()) if (n > 0) return true;
    return false;
  }

  /** Fails every queued batch (fatal producer error, or close without flushing). */
  failAll(err: Error): void {
    for (const s of this.accumulator.partitions.values()) {
      for (const b of s.queue.splice(0)) this.complete(b, () => b.fail(err));
    }
  }

  /** No more drains (the producer is closing). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

// The producer: send() serializes and partitions messages, parks them in per-partition batches
// and resolves once the broker acknowledged them (per `acks`). Idempotence is on by default:
// the producer gets a producer id and numbers its batches, so retries never duplicate or
// reorder what lands in a partition.

import { CompressionType } from '../protocol/records/batch-header.js';
import type { RecordInput } from '../protocol/records/builder.js';
import type { RecordHeader } from '../protocol/records/record.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import { ClientClosedError, KafkaError } from './errors.js';
import { DefaultPartitioner, type Partitioner } from './partitioner.js';
import { estimateRecordSize, type RecordMetadata, SendTracker } from './producer-batch.js';
import { RecordAccumulator } from './record-accumulator.js';
import { type RetryOptions, resolveRetry } from './retry.js';
import { Sender } from './sender.js';
import { type RawData, rawSerializer, type Serializer } from './serializers.js';

export type { RecordMetadata } from './producer-batch.js';

/** Kafka's codec names, as in `compression.type`. */
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

const CODECS: Record<Compression, CompressionType> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

export interface ProducerOptions<K = RawData, V = RawData> {
  /** 0 (no answer), 1 (leader), -1 or 'all' (every in-sync replica, the default). */
  acks?: 0 | 1 | -1 | 'all';
  /** Producer ids and sequence numbers so retries cannot duplicate. Default true (needs acks all). */
  idempotent?: boolean;
  /** Codec of produced batches. Default 'none'. */
  compression?: Compression;
  /** gzip 1-9 or zstd level; the codec's default when absent. */
  compressionLevel?: number;
  /** How long a batch waits for more records before it goes. Default 5 ms. */
  lingerMs?: number;
  /** A batch is sent once it holds about this many bytes. Default 16384. */
  batchSize?: number;
  /** Bytes of unacknowledged records before send() waits. Default 32 MiB. */
  bufferMemory?: number;
  /** How long send() may wait for buffer space before failing. Default 60 s. */
  maxBlockMs?: number;
  /** Time for a Produce answer (and the broker's acks wait). Default 30 s. */
  requestTimeoutMs?: number;
  /** A message not acknowledged within this time, retries included, fails. Default 120 s. */
  deliveryTimeoutMs?: number;
  /** Produce requests in flight per broker (at most 5 when idempotent). Default 5. */
  maxInFlightRequests?: number;
  /** Upper bound on one Produce request. Default 1 MiB. */
  maxRequestSize?: number;
  /** Retries of failed batches and metadata lookups. */
  retry?: RetryOptions;
  /** Let the broker create a topic on first use (if the broker allows it). Default true. */
  allowAutoTopicCreation?: boolean;
  /** Picks a partition for messages without one; return undefined for the default choice. */
  partitioner?: Partitioner;
  keySerializer?: Serializer<K>;
  valueSerializer?: Serializer<V>;
}

/** Header values are text (UTF-8) or bytes; repeat a key by giving an array. */
export type MessageHeaders =
  | Record<string, string | Buffer | null | undefined | (string | Buffer)[]>
  | { key: string; value: string | Buffer | null }[];

export interface Message<K = RawData, V = RawData> {
  key?: K | null;
  value: V | null;
  headers?: MessageHeaders;
  /** Send to this partition instead of the partitioner's choice. */
  partition?: number;
  /** CreateTime in ms (or a Date). Default: now. */
  timestamp?: number | Date;
}

export interface ProducerRecord<K = RawData, V = RawData> {
  topic: string;
  messages: Message<K, V>[];
}

interface Prepared {
  partition: number;
  record: RecordInput;
  size: number;
}

export class Producer<K = RawData, V = RawData> {
  private readonly cluster: Cluster;
  private readonly accumulator: RecordAccumulator;
  private readonly sender: Sender;
  private readonly partitioner: DefaultPartitioner;
  private readonly custom: Partitioner | undefined;
  private readonly keySerializer: Serializer<K>;
  private readonly valueSerializer: Serializer<V>;
  private readonly autoCreate: boolean;
  private connecting: Promise<void> | undefined;
  private closed = false;

  /** Use `samsa.producer(options)`. */
  constructor(cluster: Omit<ClusterOptions, 'retry'>, options: ProducerOptions<K, V> = {}) {
    const acks = options.acks === 'all' ? -1 : (options.acks ?? -1);
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      throw new TypeError(`acks must be 0, 1, -1 or 'all', not ${String(options.acks)}`);
    }
    if (options.idempotent === true && acks !== -1) {
      throw new TypeError(`an idempotent producer needs acks 'all' (-1), not ${acks}`);
    }
    const idempotent = options.idempotent ?? acks === -1;
    const maxInFlight = options.maxInFlightRequests ?? 5;
    if (idempotent && maxInFlight > 5) {
      throw new TypeError('an idempotent producer allows at most 5 requests in flight per broker');
    }
    const compression = options.compression ?? 'none';
    if (!(compression in CODECS)) {
      throw new TypeError(`compression must be one of ${Object.keys(CODECS).join(', ')}`);
    }
    const retry = resolveRetry({ retries: 2_147_483_647, ...options.retry });
    this.cluster = new Cluster({ ...cluster, retry: resolveRetry(options.retry) });
    const batchSize = options.batchSize ?? 16_384;
    this.accumulator = new RecordAccumulator(
      {
        batchSize,
        lingerMs: options.lingerMs ?? 5,
        bufferMemory: options.bufferMemory ?? 32 * 1024 * 1024,
        maxBlockMs: options.maxBlockMs ?? 60_000,
      },
      () => this.sender.wake(),
    );
    this.sender = new Sender(this.cluster, this.accumulator, {
      acks,
      idempotent,
      idempotenceRequired: options.idempotent === true,
      compression: CODECS[compression],
      compressionLevel: options.compressionLevel,
      lingerMs: options.lingerMs ?? 5,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      deliveryTimeoutMs: options.deliveryTimeoutMs ?? 120_000,
      maxInFlightRequests: maxInFlight,
      maxRequestSize: options.maxRequestSize ?? 1024 * 1024,
      retry,
    });
    this.partitioner = new DefaultPartitioner(batchSize);
    this.custom = options.partitioner;
    this.keySerializer = options.keySerializer ?? (rawSerializer as Serializer<K>);
    this.valueSerializer = options.valueSerializer ?? (rawSerializer as Serializer<V>);
    this.autoCreate = options.allowAutoTopicCreation ?? true;
  }

  /** Connects to the cluster and gets a producer id; send() does this itself when needed. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new ClientClosedError('the producer'));
    this.connecting ??= (async () => {
      await this.cluster.connect();
      await this.sender.initProducerId();
    })();
    this.connecting.catch(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /**
   * Sends messages to one topic and resolves with where each landed, in the order given, once
   * the broker acknowledged them.
   */
  async send(record: ProducerRecord<K, V>): Promise<RecordMetadata[]> {
    if (this.closed) throw new ClientClosedError('the producer');
    const { topic, messages } = record ?? {};
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new TypeError('send: topic must be a non-empty string');
    }
    if (!Array.isArray(messages)) throw new TypeError('send: messages must be an array');
    if (messages.length === 0) return [];
    await this.connect();
    const info =
      this.cluster.freshTopic(topic) ??
      (await this.cluster.topicMetadata([topic], { allowAutoTopicCreation: this.autoCreate })).get(
        topic,
      )!;
    const partitionCount = info.partitions.length;
    const available = info.partitions.filter((p) => p.leader >= 0).map((p) => p.partition);
    const now = Date.now();
    const prepared: Prepared[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const key = m.key === undefined || m.key === null ? null : this.keySerializer(m.key, topic);
      const value = m.value === null ? null : this.valueSerializer(m.value, topic);
      const ts = m.timestamp instanceof Date ? m.timestamp.getTime() : (m.timestamp ?? now);
      const rec: RecordInput = { key, value, headers: toHeaders(m.headers), timestamp: ts };
      const size = estimateRecordSize(rec);
      let partition = m.partition;
      if (partition === undefined && this.custom) {
        partition = this.custom({
          topic,
          key,
          value,
          partitionCount,
          availablePartitions: available,
        });
      }
      partition ??= this.partitioner.partition(
        { topic, key, value, partitionCount, availablePartitions: available },
        size,
      );
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
        throw new KafkaError(
          3,
          `partition ${partition} of topic '${topic}' does not exist (it has ${partitionCount})`,
        );
      }
      prepared[i] = { partition, record: rec, size };
    }
    const tracker = new SendTracker(messages.length);
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i]!;
      const wait = this.accumulator.reserve(p.size);
      if (wait) {
        try {
          await wait;
        } catch (err) {
          tracker.fail(err as Error);
          break;
        }
        if (this.closed) {
          this.accumulator.release(p.size);
          tracker.fail(new ClientClosedError('the producer'));
          break;
        }
      }
      this.accumulator.append(topic, p.partition, p.record, p.size, tracker, i, now);
    }
    this.sender.wake();
    return tracker.promise;
  }

  /** Sends to several topics at once; resolves with the metadata of every message. */
  async sendBatch(batch: { topicMessages: ProducerRecord<K, V>[] }): Promise<RecordMetadata[]> {
    const all = await Promise.all(batch.topicMessages.map((r) => this.send(r)));
    return all.flat();
  }

  /** Sends everything buffered now, without waiting for lingerMs, and waits for the answers. */
  async flush(): Promise<void> {
    const pending = [...this.accumulator.pending];
    if (pending.length === 0) return;
    this.sender.flushing++;
    try {
      this.sender.wake();
      await this.accumulator.whenFinished(pending);
    } finally {
      this.sender.flushing--;
    }
  }

  /** Flushes what is buffered, then closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.accumulator.abortWaiters(new ClientClosedError('the producer'));
    try {
      await this.flush();
    } finally {
      this.sender.stop();
      await this.cluster.close();
    }
  }
}

function toHeaders(h: MessageHeaders | undefined): RecordHeader[] | undefined {
  if (h === undefined) return undefined;
  const out: RecordHeader[] = [];
  const bytes = (v: string | Buffer | null | undefined) =>
    v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  if (Array.isArray(h)) {
    for (const e of h) out.push({ key: e.key, value: bytes(e.value) });
    return out;
  }
  for (const [key, v] of Object.entries(h)) {
    if (Array.isArray(v)) for (const x of v) out.push({ key, value: bytes(x) });
    else if (v !== undefined) out.push({ key, value: bytes(v) });
  }
  return out;
}

// The consumer's public types: options, messages, and the payloads of run().
import type { RecordHeader } from '../protocol/records/record.js';
import type { TopicPartition } from './assignors.js';
import type { AutoOffsetReset } from './fetcher.js';
import type { GroupOptions } from './group-protocol.js';
import type { RetryOptions } from './retry.js';
import type { Deserializer } from './serializers.js';

export interface ConsumerOptions<K = Buffer | null, V = Buffer | null> extends GroupOptions {
  /** Consumer group; needed for subscribe() and for committing offsets. */
  groupId?: string;
  /** Where to start without a committed offset, or after OFFSET_OUT_OF_RANGE. Default 'latest'. */
  autoOffsetReset?: AutoOffsetReset;
  /** 'read_committed' hides aborted transactions and waits for open ones. Default 'read_uncommitted'. */
  isolationLevel?: 'read_uncommitted' | 'read_committed';
  /** Longest a Fetch waits at the broker for minBytes. Default 500 ms. */
  maxWaitMs?: number;
  /** Bytes a Fetch waits for. Default 1. */
  minBytes?: number;
  /** Upper bound of one Fetch answer. Default 50 MiB. */
  maxBytes?: number;
  /** Upper bound per partition in one Fetch answer. Default 1 MiB. */
  maxPartitionBytes?: number;
  /**
   * Prefetch budget per partition: the next Fetch goes out while the application reads earlier
   * answers, as long as less than this is buffered (all partitions together: maxBytes).
   * Default 3 × maxPartitionBytes.
   */
  maxBufferedBytes?: number;
  /**
   * Verify each record batch's CRC32C before handing its records out (Java's check.crcs); a
   * corrupt batch raises CORRUPT_MESSAGE. Default true. Costs about one CRC pass over the
   * fetched bytes.
   */
  checkCrcs?: boolean;
  requestTimeoutMs?: number;
  retry?: RetryOptions;
  keyDeserializer?: Deserializer<K>;
  valueDeserializer?: Deserializer<V>;
}

export interface ConsumerMessage<K = Buffer | null, V = Buffer | null> {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: K;
  value: V;
  /** In record order; a key may repeat. */
  headers: RecordHeader[];
  leaderEpoch: number;
}

/** A partition and where to start reading it (omit offset for committed/autoOffsetReset). */
export interface PartitionAssignment extends TopicPartition {
  offset?: number | 'earliest' | 'latest';
}

export interface EachMessagePayload<K, V> {
  topic: string;
  partition: number;
  message: ConsumerMessage<K, V>;
  /** Pauses this message's partition (resume() it later). */
  pause(): void;
}

export interface EachBatchPayload<K, V> {
  batch: {
    topic: string;
    partition: number;
    highWatermark: number;
    messages: ConsumerMessage<K, V>[];
  };
}

export interface RunOptions<K, V> {
  eachMessage?: (payload: EachMessagePayload<K, V>) => Promise<void> | void;
  eachBatch?: (payload: EachBatchPayload<K, V>) => Promise<void> | void;
}

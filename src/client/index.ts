// The public face of the Samsa client (`samsa/client`):
//
//   import { Samsa } from 'samsa/client';
//   const samsa = new Samsa({ brokers: ['127.0.0.1:9092'], clientId: 'my-app' });
//   const producer = samsa.producer();
//   await producer.send({ topic: 'events', messages: [{ key: 'k', value: 'v' }] });
//
// Each producer, consumer and admin client has its own connections, as in Kafka's Java client.
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Admin, type AdminOptions } from './admin.js';
import type { Connection } from './connection.js';
import { Consumer, type ConsumerOptions } from './consumer.js';
import { consoleLogger, type Logger, type LogLevel } from './logger.js';
import { Producer, type ProducerOptions } from './producer.js';
import type { RawData } from './serializers.js';

export interface SamsaOptions {
  /** Bootstrap servers, "host:port". */
  brokers: string[];
  /** Sent with every request; brokers log it and use it for quotas. Default 'samsa'. */
  clientId?: string;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** Default 30 s. */
  requestTimeoutMs?: number;
  /** Refresh topic metadata older than this. Default 5 minutes. */
  metadataMaxAgeMs?: number;
  /** Connect with TLS (node:tls options). */
  tls?: TlsOptions;
  /**
   * Runs on every new connection after ApiVersions, before it is used: the seam for SASL
   * (send SaslHandshake and SaslAuthenticate with `connection.send`).
   */
  authenticate?: (connection: Connection) => Promise<void>;
  /** A Logger, or the level for the built-in stderr logger. Default 'warn'. */
  logger?: Logger | LogLevel;
}

export class Samsa {
  private readonly base: ConstructorParameters<typeof Admin>[0];

  /** A handle on a cluster; connects nothing until a client is used. */
  constructor(options: SamsaOptions) {
    if (!options || !Array.isArray(options.brokers) || options.brokers.length === 0) {
      throw new TypeError("new Samsa({ brokers: ['host:port'] }): brokers is required");
    }
    const logger =
      typeof options.logger === 'object' ? options.logger : consoleLogger(options.logger ?? 'warn');
    this.base = {
      brokers: options.brokers,
      clientId: options.clientId ?? 'samsa',
      connectTimeoutMs: options.connectTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      metadataMaxAgeMs: options.metadataMaxAgeMs,
      tls: options.tls,
      authenticate: options.authenticate,
      logger,
    };
  }

  /** A new producer; `K`/`V` follow from keySerializer/valueSerializer. */
  producer<K = RawData, V = RawData>(options: ProducerOptions<K, V> = {}): Producer<K, V> {
    return new Producer<K, V>(this.base, options);
  }

  /** A new consumer; `K`/`V` follow from keyDeserializer/valueDeserializer. */
  consumer<K = Buffer | null, V = Buffer | null>(
    options: ConsumerOptions<K, V> = {},
  ): Consumer<K, V> {
    return new Consumer<K, V>(this.base, options);
  }

  /** A new admin client. */
  admin(options: AdminOptions = {}): Admin {
    return new Admin(this.base, options);
  }
}

export {
  Admin,
  type AdminOptions,
  type ClusterDescription,
  type ConfigEntry,
  type ConfigResourceDescription,
  type ConfigResourceType,
  type ElectionResult,
  type GroupDescription,
  type GroupListing,
  type GroupMemberDescription,
  type GroupOffset,
  type NewTopic,
  type OngoingReassignment,
  type PartitionReassignment,
  type TopicDescription,
} from './admin.js';
export {
  type Assignor,
  cooperativeStickyAssignor,
  type GroupAssignment,
  type MemberSubscription,
  rangeAssignor,
  roundRobinAssignor,
  type TopicPartition,
} from './assignors.js';
export type { BrokerInfo, PartitionInfo } from './cluster.js';
export { Connection, type SendOptions } from './connection.js';
export type {
  ConsumerMessage,
  ConsumerOptions,
  EachBatchPayload,
  EachMessagePayload,
  PartitionAssignment,
  RunOptions,
} from './consumer.js';
export {
  BufferExhaustedError,
  ClientClosedError,
  ConnectionError,
  DeserializationError,
  ErrorCode,
  KafkaError,
  RequestTimeoutError,
} from './errors.js';
export type { AutoOffsetReset } from './fetcher.js';
export type { GroupOptions } from './group.js';
export type { OffsetAnswer } from './list-offsets.js';
export { consoleLogger, type Logger, type LogLevel, silentLogger } from './logger.js';
export {
  murmur2,
  type Partitioner,
  type PartitionerArgs,
  partitionForKey,
  toPositive,
} from './partitioner.js';
export {
  type Compression,
  type Message,
  type MessageHeaders,
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
} from './producer.js';
export type { RetryOptions } from './retry.js';
export {
  type Deserializer,
  deserializers,
  type RawData,
  type Serializer,
  serializers,
} from './serializers.js';
export { Consumer };

// KafkaJS 2.2.4 as a third-party client for broker tests. KafkaJS only has gzip built in, so
// snappy/lz4/zstd are registered through its CompressionCodecs hook (with Samsa's codecs: the
// framing KafkaJS puts around them is still KafkaJS's, and the compat suite has kcat decode
// what KafkaJS wrote). KafkaJS has no assign-only consumer, so `fetchAll` reads through the
// Fetch request its consumer uses (broker.fetch, v11) without joining a group.
import kafkajs, { CompressionTypes, type IHeaders, Kafka, logLevel, type Message } from 'kafkajs';
import { CompressionType, compress, decompress } from '../../src/protocol/records/index.js';

let registered = false;
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  const codec = (type: CompressionType) => () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(type, encoder.buffer),
    decompress: async (buf: Buffer) => decompress(type, buf),
  });
  // Not a named export Node can see in KafkaJS's CommonJS module.
  const { CompressionCodecs } = kafkajs;
  CompressionCodecs[CompressionTypes.Snappy] = codec(CompressionType.Snappy);
  CompressionCodecs[CompressionTypes.LZ4] = codec(CompressionType.Lz4);
  CompressionCodecs[CompressionTypes.ZSTD] = codec(CompressionType.Zstd);
}

export const KAFKAJS_CODECS = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4],
  ['zstd', CompressionTypes.ZSTD],
] as const;

export function kafkaFor(bootstrap: string, clientId = 'samsa-kafkajs-test'): Kafka {
  registerCodecs();
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    requestTimeout: 15000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

export interface FetchedRecord {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers: IHeaders;
}

interface KafkaJsBroker {
  fetch(request: unknown): Promise<{
    responses: {
      topicName: string;
      partitions: {
        partition: number;
        errorCode: number;
        highWatermark: string;
        messages: (Message & { offset: string; timestamp: string })[];
      }[];
    }[];
  }>;
}
interface KafkaJsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<KafkaJsBroker>;
}

/** KafkaJS's own cluster object (the one its consumer uses), reached through its private hook. */
function clusterOf(kafka: Kafka): KafkaJsCluster {
  const sym = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  if (!sym) throw new Error('KafkaJS internals changed: no createCluster hook');
  const create = (kafka as unknown as Record<symbol, (o: object) => KafkaJsCluster>)[sym]!;
  return create({ allowAutoTopicCreation: false });
}

/**
 * Reads partitions from offset `from` up to their high watermark with KafkaJS's Fetch, returning
 * records in offset order. Records before a requested offset (KafkaJS hands back whole batches)
 * are dropped, as its consumer does.
 */
export async function fetchAll(
  kafka: Kafka,
  topic: string,
  partitions: number[],
  from = 0,
): Promise<FetchedRecord[]> {
  const cluster = clusterOf(kafka);
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    const out: FetchedRecord[] = [];
    for (const [leader, parts] of Object.entries(
      cluster.findLeaderForPartitions(topic, partitions),
    )) {
      const broker = await cluster.findBroker({ nodeId: leader });
      for (const partition of parts) {
        let next = from;
        for (let round = 0; round < 1000; round++) {
          const res = await broker.fetch({
            replicaId: -1,
            isolationLevel: 1,
            maxWaitTime: 100,
            minBytes: 1,
            maxBytes: 10 * 1024 * 1024,
            topics: [
              { topic, partitions: [{ partition, fetchOffset: String(next), maxBytes: 1 << 20 }] },
            ],
          });
          const p = res.responses[0]!.partitions[0]!;
          if (p.errorCode !== 0)
            throw new Error(`fetch ${topic}/${partition}: error ${p.errorCode}`);
          for (const m of p.messages) {
            const offset = Number(m.offset);
            if (offset < next) continue;
            out.push({
              partition,
              offset,
              key: (m.key as Buffer | null) ?? null,
              value: (m.value as Buffer | null) ?? null,
              timestamp: Number(m.timestamp),
              headers: m.headers ?? {},
            });
            next = offset + 1;
          }
          if (next >= Number(p.highWatermark)) break;
        }
      }
    }
    return out;
  } finally {
    await cluster.disconnect();
  }
}

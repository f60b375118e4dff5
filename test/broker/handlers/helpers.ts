// Shared set-up for the data-path handler tests: an embedded broker on port 0 with a temp data
// dir, topics created through the registry (the CreateTopics handler is not what is tested
// here), and wire clients that are all closed when the broker stops.
import { type EmbeddedBroker, startBroker } from '../../../src/broker/index.js';
import { ProduceApi, type ProduceResponse } from '../../../src/protocol/messages/produce.js';
import { WireClient } from '../../helpers/wire-client.js';

export interface TestBroker {
  embedded: EmbeddedBroker;
  port: number;
  client(): Promise<WireClient>;
  createTopic(
    name: string,
    numPartitions?: number,
    configs?: Record<string, string>,
  ): Promise<{ topicId: string }>;
  stop(): Promise<void>;
}

export async function startTestBroker(config: Record<string, string> = {}): Promise<TestBroker> {
  const embedded = await startBroker({
    port: 0,
    logLevel: (process.env.TEST_BROKER_LOG as 'error') ?? 'error',
    config,
  });
  const clients: WireClient[] = [];
  return {
    embedded,
    port: embedded.port,
    async client() {
      const c = await WireClient.connect(embedded.port);
      clients.push(c);
      return c;
    },
    async createTopic(name, numPartitions = 1, configs = {}) {
      const b = embedded.broker;
      const t = await b.topics.createTopic({
        name,
        numPartitions,
        replicationFactor: 1,
        brokers: b.liveBrokerIds(),
        configs,
      });
      return { topicId: t.topicId };
    },
    async stop() {
      for (const c of clients) c.close();
      await embedded.stop();
    },
  };
}

/** Produces one batch to one partition and returns that partition's answer. */
export async function produce(
  client: WireClient,
  topic: string,
  partition: number,
  records: Buffer,
  options: { version?: number; acks?: number; transactionalId?: string | null } = {},
): Promise<ProduceResponse['responses'][number]['partitionResponses'][number]> {
  const res = await client.request(ProduceApi, options.version ?? 9, {
    transactionalId: options.transactionalId ?? null,
    acks: options.acks ?? -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  return res.responses[0]!.partitionResponses[0]!;
}

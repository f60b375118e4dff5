// KafkaJS scenarios for golden capture. Usage: node capture.mjs SCENARIO
// Needs kafkajs installed outside the repo: KAFKAJS_DIR (default /tmp/capture-node) must
// hold node_modules/kafkajs. Connects to $BOOTSTRAP.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.KAFKAJS_DIR || '/tmp/capture-node', 'x.js'));
const { Kafka, CompressionTypes, logLevel, ConfigResourceTypes } = require('kafkajs');

const kafka = new Kafka({
  clientId: 'kafkajs-capture',
  brokers: [process.env.BOOTSTRAP],
  logLevel: logLevel.WARN,
  retry: { retries: 3 },
});
const T = 'kafkajs-topic';
const scenario = process.argv[2];

async function withAdmin(fn) {
  const a = kafka.admin();
  await a.connect();
  try {
    return await fn(a);
  } finally {
    await a.disconnect();
  }
}
async function produce(compression, tag) {
  const p = kafka.producer({ allowAutoTopicCreation: false });
  await p.connect();
  const r = await p.send({
    topic: T,
    compression,
    acks: -1,
    messages: [
      { key: 'k1', value: `v-${tag}-1`, headers: { h1: 'v1', bin: Buffer.from([0, 1, 2]) } },
      { key: null, value: `v-${tag}-nullkey` },
      { key: 'k3', value: null, headers: { tomb: 'stone' } },
      { key: 'k4', value: `v-${tag}-4`, partition: 1, timestamp: '1700000000000' },
    ],
  });
  console.log(JSON.stringify(r));
  await p.disconnect();
}

const scenarios = {
  'admin-create-topics': () =>
    withAdmin(async (a) => {
      console.log(
        await a.createTopics({
          waitForLeaders: true,
          topics: [
            { topic: T, numPartitions: 2, replicationFactor: 1 },
            {
              topic: 'kafkajs-tmp',
              numPartitions: 1,
              replicationFactor: 1,
              configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
            },
          ],
        }),
      );
    }),
  'admin-metadata': () =>
    withAdmin(async (a) => {
      console.log(JSON.stringify(await a.fetchTopicMetadata({ topics: [T] })));
      console.log(await a.listTopics());
      console.log(JSON.stringify(await a.describeCluster()));
    }),
  'admin-describe-configs': () =>
    withAdmin(async (a) => {
      const r = await a.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: T },
          {
            type: ConfigResourceTypes.BROKER,
            name: '1',
            configNames: ['log.retention.hours', 'num.partitions'],
          },
        ],
      });
      console.log(JSON.stringify(r).slice(0, 300));
    }),
  'admin-alter-configs': () =>
    withAdmin(async (a) => {
      console.log(
        await a.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: 'kafkajs-tmp',
              configEntries: [{ name: 'retention.ms', value: '3600000' }],
            },
          ],
        }),
      );
    }),
  'produce-none': () => produce(CompressionTypes.None, 'none'),
  'produce-gzip': () => produce(CompressionTypes.GZIP, 'gzip'),
  'admin-list-offsets': () =>
    withAdmin(async (a) => {
      console.log(JSON.stringify(await a.fetchTopicOffsets(T)));
      console.log(JSON.stringify(await a.fetchTopicOffsetsByTimestamp(T, 1700000000000)));
    }),
  'consume-group': async () => {
    const c = kafka.consumer({
      groupId: 'kafkajs-group',
      sessionTimeout: 10000,
      heartbeatInterval: 1000,
    });
    await c.connect();
    await c.subscribe({ topic: T, fromBeginning: true });
    let n = 0;
    await new Promise((resolve) => {
      c.run({
        autoCommitInterval: 200,
        eachMessage: async ({ partition, message }) => {
          console.log(partition, message.offset, String(message.key), String(message.value));
          if (++n >= 8) setTimeout(resolve, 1000);
        },
      });
    });
    await c.commitOffsets([{ topic: T, partition: 0, offset: '4' }]);
    await c.disconnect();
  },
  'admin-group-offsets': () =>
    withAdmin(async (a) => {
      console.log(JSON.stringify(await a.listGroups()));
      console.log(JSON.stringify(await a.describeGroups(['kafkajs-group'])).slice(0, 300));
      console.log(JSON.stringify(await a.fetchOffsets({ groupId: 'kafkajs-group', topics: [T] })));
    }),
  'admin-delete-topics': () =>
    withAdmin(async (a) => {
      await a.fetchTopicMetadata({ topics: [T] });
      await a.deleteTopicRecords({ topic: T, partitions: [{ partition: 0, offset: '1' }] });
      await a.deleteTopics({ topics: ['kafkajs-tmp'], timeout: 5000 });
      console.log('deleted');
    }),
};

if (!scenarios[scenario]) {
  console.error(`unknown scenario ${scenario}; one of ${Object.keys(scenarios).join(' ')}`);
  process.exit(2);
}
scenarios[scenario]().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

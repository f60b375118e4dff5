// KafkaJS 2.2.4's admin client against an embedded broker: what its users see for topics,
// partitions and configs, errors included (KafkaJS turns the per-topic error codes into its
// own error types, so these checks go through its decoding and error handling).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { type AdminTestBroker, startAdminBroker } from './admin-helpers.js';

let b: AdminTestBroker;
let admin: Admin;
before(async () => {
  b = await startAdminBroker({ 'num.partitions': '2' });
  const kafka = new Kafka({
    clientId: 'samsa-admin-test',
    brokers: [b.embedded.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  admin = kafka.admin();
  await admin.connect();
});
after(async () => {
  await admin?.disconnect().catch(() => {});
  await b.stop();
});

/** The KafkaJS error type of a rejection (its aggregate errors carry one per topic). */
async function rejection(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (err) {
    const e = err as { type?: string; errors?: { type?: string }[]; cause?: unknown };
    // Retriable errors come wrapped once KafkaJS has given up retrying.
    const cause = (e.cause ?? e) as typeof e;
    return cause.errors?.length
      ? cause.errors.map((x) => x.type ?? '?')
      : [cause.type ?? String(err)];
  }
  return ['resolved'];
}

test('createTopics: configs, broker defaults, "already exists" and validateOnly', async () => {
  assert.equal(
    await admin.createTopics({
      topics: [
        {
          topic: 'kjs-a',
          numPartitions: 3,
          configEntries: [{ name: 'retention.ms', value: '60000' }],
        },
        { topic: 'kjs-b' },
      ],
    }),
    true,
  );
  assert.equal(await admin.createTopics({ topics: [{ topic: 'kjs-a' }] }), false);
  // KafkaJS waits for leaders even after validateOnly, which never come: not here.
  assert.equal(
    await admin.createTopics({
      validateOnly: true,
      waitForLeaders: false,
      topics: [{ topic: 'kjs-dry' }],
    }),
    true,
  );
  const topics = await admin.listTopics();
  assert.deepEqual(topics.sort(), ['kjs-a', 'kjs-b']);
  const md = await admin.fetchTopicMetadata({ topics: ['kjs-a', 'kjs-b'] });
  assert.deepEqual(md.topics.map((t) => [t.name, t.partitions.length]).sort(), [
    ['kjs-a', 3],
    ['kjs-b', 2],
  ]);
  const nodeId = b.embedded.broker.nodeId;
  assert.deepEqual(
    md.topics
      .find((t) => t.name === 'kjs-a')!
      .partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr])
      .sort(),
    [
      [0, nodeId, [nodeId], [nodeId]],
      [1, nodeId, [nodeId], [nodeId]],
      [2, nodeId, [nodeId], [nodeId]],
    ],
  );
});

test('createTopics errors reach KafkaJS as its error types', async () => {
  assert.deepEqual(
    await rejection(
      admin.createTopics({
        topics: [{ topic: 'kjs-bad', configEntries: [{ name: 'retention.ms', value: 'soon' }] }],
      }),
    ),
    ['INVALID_CONFIG'],
  );
  assert.deepEqual(
    await rejection(admin.createTopics({ topics: [{ topic: 'kjs-rf', replicationFactor: 3 }] })),
    ['INVALID_REPLICATION_FACTOR'],
  );
  assert.deepEqual(await rejection(admin.fetchTopicMetadata({ topics: ['kjs-none'] })), [
    'UNKNOWN_TOPIC_OR_PARTITION',
  ]);
});

test('describeConfigs with synonyms, alterConfigs (validateOnly too), broker resource', async () => {
  const describe = async () => {
    const res = await admin.describeConfigs({
      resources: [{ type: 2, name: 'kjs-a', configNames: ['retention.ms', 'cleanup.policy'] }],
      includeSynonyms: true,
    });
    return Object.fromEntries(
      res.resources[0]!.configEntries.map((e) => [
        e.configName,
        [e.configValue, e.isDefault, e.configSynonyms.map((s) => s.configName)],
      ]),
    );
  };
  assert.deepEqual(await describe(), {
    'cleanup.policy': ['delete', true, ['log.cleanup.policy']],
    'retention.ms': ['60000', false, ['retention.ms', 'log.retention.hours']],
  });
  await admin.alterConfigs({
    validateOnly: true,
    resources: [
      { type: 2, name: 'kjs-a', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
  });
  assert.equal((await describe())['cleanup.policy']![0], 'delete');
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      { type: 2, name: 'kjs-a', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
  });
  assert.deepEqual(await describe(), {
    'cleanup.policy': ['compact', false, ['cleanup.policy', 'log.cleanup.policy']],
    'retention.ms': ['604800000', true, ['log.retention.hours']],
  });
  assert.deepEqual(
    await rejection(
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: 'kjs-a', configEntries: [{ name: 'no.such', value: '1' }] }],
      }),
    ),
    ['INVALID_CONFIG'],
  );
  const broker = await admin.describeConfigs({
    resources: [
      { type: 4, name: String(b.embedded.broker.nodeId), configNames: ['num.partitions'] },
    ],
    includeSynonyms: false,
  });
  assert.deepEqual(
    broker.resources[0]!.configEntries.map((e) => [e.configName, e.configValue, e.readOnly]),
    [['num.partitions', '2', true]],
  );
});

test('createPartitions grows, refuses to shrink; deleteTopics deletes and reports unknown topics', async () => {
  await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-b', count: 4 }] });
  const md = await admin.fetchTopicMetadata({ topics: ['kjs-b'] });
  assert.equal(md.topics[0]!.partitions.length, 4);
  assert.deepEqual(
    await rejection(admin.createPartitions({ topicPartitions: [{ topic: 'kjs-b', count: 2 }] })),
    ['INVALID_PARTITIONS'],
  );
  await admin.deleteTopics({ topics: ['kjs-b'], timeout: 5000 });
  assert.deepEqual(await admin.listTopics(), ['kjs-a']);
  assert.equal(b.embedded.broker.replicaManager.partition('kjs-b', 0), undefined);
  assert.deepEqual(await rejection(admin.deleteTopics({ topics: ['kjs-b'], timeout: 5000 })), [
    'UNKNOWN_TOPIC_OR_PARTITION',
  ]);
});

test('describeCluster', async () => {
  const { broker } = b.embedded;
  const cluster = await admin.describeCluster();
  assert.deepEqual(cluster, {
    brokers: [{ nodeId: broker.nodeId, host: '127.0.0.1', port: b.port }],
    controller: broker.nodeId,
    clusterId: broker.clusterId,
  });
});

// KafkaJS 2.2.4 against a real `samsa broker` process over TCP: admin (topics, configs,
// partitions, offsets, records), the producer with every codec and acks setting, the idempotent
// producer, and reading back through KafkaJS's Fetch without a group. Runs in `npm test`:
// KafkaJS is a devDependency, so it needs Node alone.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Admin, Kafka, Message } from 'kafkajs';
import {
  type BrokerProcess,
  startBrokerProcess,
  stopAllBrokers,
} from '../helpers/broker-process.js';
import { type FetchedRecord, fetchAll, KAFKAJS_CODECS, kafkaFor } from './kafkajs-client.js';

let broker: Pick<BrokerProcess, 'bootstrap' | 'port'>;
let dataDir: string;
let kafka: Kafka;
let admin: Admin;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'samsa-kafkajs-'));
  // Against Apache Kafka (tools/capture/kafka-broker.sh) this file checks its own expectations.
  const external = process.env.SAMSA_COMPAT_EXTERNAL_BOOTSTRAP;
  broker = external
    ? { bootstrap: external, port: Number(external.split(':')[1]) }
    : await startBrokerProcess({ dataDir });
  kafka = kafkaFor(broker.bootstrap);
  admin = kafka.admin();
  await admin.connect();
});

after(async () => {
  await admin?.disconnect().catch(() => {});
  await stopAllBrokers();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Records with what KafkaJS can express: keys, null key/value, binary headers, timestamps. */
export function sampleMessages(tag: string): Message[] {
  return [
    { partition: 0, key: 'k0', value: `${tag}-${'payload-'.repeat(200)}`, headers: { h1: 'v1' } },
    { partition: 1, key: 'k1', value: `${tag}-1`, headers: { bin: Buffer.from([0, 1, 255]) } },
    { partition: 0, key: null, value: `${tag}-nullkey` },
    { partition: 1, key: 'tombstone', value: null, timestamp: '1700000000000' },
    { partition: 0, key: 'k4', value: `${tag} ünïcødé ✓` },
  ];
}

function expected(messages: Message[]) {
  const next = [0, 0];
  return messages
    .map((m) => ({
      partition: m.partition!,
      offset: next[m.partition!]!++,
      key: m.key == null ? null : String(m.key),
      value: m.value == null ? null : String(m.value),
      headers: Object.fromEntries(
        Object.entries(m.headers ?? {}).map(([k, v]) => [k, Buffer.from(v as string | Buffer)]),
      ),
    }))
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

function view(records: FetchedRecord[]) {
  return records.map((r) => ({
    partition: r.partition,
    offset: r.offset,
    key: r.key === null ? null : r.key.toString(),
    value: r.value === null ? null : r.value.toString(),
    headers: Object.fromEntries(
      Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v as Buffer)]),
    ),
  }));
}

test('admin: createTopics with a config, metadata, describeCluster', async () => {
  const topic = 'kjs-admin';
  assert.equal(
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
      ],
      waitForLeaders: true,
    }),
    true,
  );
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] }), false);
  assert.ok((await admin.listTopics()).includes(topic));
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  assert.deepEqual(
    md.topics[0]!.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr]).sort(),
    [
      [0, 1, [1], [1]],
      [1, 1, [1], [1]],
    ],
  );
  const cluster = await admin.describeCluster();
  assert.deepEqual(cluster.brokers, [{ nodeId: 1, host: '127.0.0.1', port: broker.port }]);
  assert.equal(cluster.controller, 1);
  assert.ok(cluster.clusterId);
});

test('admin: describeConfigs (topic and broker) and alterConfigs', async () => {
  const topic = 'kjs-admin';
  const describe = async () => {
    const res = await admin.describeConfigs({
      resources: [{ type: 2, name: topic, configNames: ['retention.ms', 'cleanup.policy'] }],
      includeSynonyms: false,
    });
    const entries = res.resources[0]!.configEntries;
    return Object.fromEntries(entries.map((e) => [e.configName, [e.configValue, e.isDefault]]));
  };
  assert.deepEqual(await describe(), {
    'retention.ms': ['3600000', false],
    'cleanup.policy': ['delete', true],
  });
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      { type: 2, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
  });
  // Legacy AlterConfigs replaces the whole set: retention.ms falls back to its default.
  assert.deepEqual(await describe(), {
    'retention.ms': ['604800000', true],
    'cleanup.policy': ['compact', false],
  });
  const brokerRes = await admin.describeConfigs({
    resources: [{ type: 4, name: '1', configNames: ['num.partitions'] }],
    includeSynonyms: false,
  });
  assert.equal(brokerRes.resources[0]!.errorCode, 0);
  assert.equal(brokerRes.resources[0]!.configEntries[0]?.configValue, '1');
});

test('admin: createPartitions, then deleteTopics', async () => {
  const topic = 'kjs-admin';
  await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  assert.equal(md.topics[0]!.partitions.length, 3);
  await admin.deleteTopics({ topics: [topic], timeout: 10000 });
  assert.ok(!(await admin.listTopics()).includes(topic));
});

for (const acks of [1, -1]) {
  for (const [name, compression] of KAFKAJS_CODECS) {
    test(`producer acks=${acks} compression=${name}: offsets acknowledged, everything read back`, async () => {
      const topic = `kjs-${name}-acks${acks === 1 ? '1' : 'all'}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        const messages = sampleMessages(name);
        const meta = await producer.send({ topic, acks, compression, messages });
        assert.deepEqual(meta.map((m) => [m.partition, m.errorCode, m.baseOffset]).sort(), [
          [0, 0, '0'],
          [1, 0, '0'],
        ]);
        const got = await fetchAll(kafka, topic, [0, 1]);
        assert.deepEqual(view(got), expected(messages));
        assert.equal(got.find((r) => r.key?.toString() === 'tombstone')?.timestamp, 1700000000000);
      } finally {
        await producer.disconnect();
      }
    });
  }
}

test('idempotent producer: sequences accepted across several sends, offsets dense', async () => {
  const topic = 'kjs-idempotent';
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const all: Message[] = [];
    for (let i = 0; i < 3; i++) {
      const messages = sampleMessages(`round${i}`);
      all.push(...messages);
      await producer.send({ topic, acks: -1, compression: KAFKAJS_CODECS[1][1], messages });
    }
    const got = await fetchAll(kafka, topic, [0, 1]);
    assert.deepEqual(view(got), expected(all));
  } finally {
    await producer.disconnect();
  }
});

test('admin: fetchTopicOffsets, fetchTopicOffsetsByTimestamp, deleteTopicRecords', async () => {
  const topic = 'kjs-offsets';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  const base = Date.now() - 60_000;
  await producer.send({
    topic,
    messages: Array.from({ length: 10 }, (_, i) => ({
      value: `v${i}`,
      timestamp: String(base + i * 1000),
    })),
  });
  await producer.disconnect();
  assert.deepEqual(await admin.fetchTopicOffsets(topic), [
    { partition: 0, offset: '10', high: '10', low: '0' },
  ]);
  assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp(topic, base + 4500), [
    { partition: 0, offset: '5' },
  ]);
  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '4' }] });
  assert.deepEqual(await admin.fetchTopicOffsets(topic), [
    { partition: 0, offset: '10', high: '10', low: '4' },
  ]);
  const kept = await fetchAll(kafka, topic, [0], 4);
  assert.deepEqual(
    kept.map((r) => [r.offset, r.value?.toString()]),
    [4, 5, 6, 7, 8, 9].map((i) => [i, `v${i}`]),
  );
  const below = await fetchAll(kafka, topic, [0], 0).catch((e: { type?: string }) => e);
  assert.equal((below as { type?: string }).type, 'OFFSET_OUT_OF_RANGE');
});

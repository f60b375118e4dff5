// Records cross clients unchanged: what KafkaJS produced (every codec, keys, null key/value,
// binary headers) is read by kcat (librdkafka) identically, and what kcat produced is read by
// KafkaJS identically. The broker keeps batches as sent, so any difference is a broker bug.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Admin, Kafka } from 'kafkajs';
import { fetchAll, KAFKAJS_CODECS, kafkaFor } from '../integration/kafkajs-client.js';
import { CODECS, kcat, kcatConsume, kcatProduce } from './kcat-client.js';
import {
  type CompatBroker,
  compatSuite,
  type ExternalBroker,
  killClients,
  startCompatBroker,
  topicName,
} from './support.js';

compatSuite('KafkaJS and kcat read each other', [kcat], () => {
  let broker: CompatBroker | ExternalBroker;
  let kafka: Kafka;
  let admin: Admin;
  before(async () => {
    broker = await startCompatBroker();
    kafka = kafkaFor(broker.bootstrap);
    admin = kafka.admin();
    await admin.connect();
  });
  after(async () => {
    killClients();
    await admin?.disconnect().catch(() => {});
    await broker?.stop();
  });

  for (const [name, compression] of KAFKAJS_CODECS) {
    test(`KafkaJS produces with ${name}, kcat reads the same records`, async () => {
      const topic = topicName(`x-kjs-${name}`);
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const messages = [
        { key: 'a', value: `${name}-${'x'.repeat(500)}`, headers: { h: 'v', n: 'ünï' } },
        { key: null, value: `${name}-nullkey` },
        { key: 'tomb', value: null },
        { key: 'k', value: 'ü ✓', timestamp: '1700000000000' },
      ];
      try {
        await producer.send({ topic, acks: -1, compression, messages });
      } finally {
        await producer.disconnect();
      }
      const got = await kcatConsume(broker.bootstrap, topic);
      assert.deepEqual(
        got.map((r) => [r.offset, r.key, r.payload, r.headers ?? []]),
        [
          [0, 'a', `${name}-${'x'.repeat(500)}`, ['h', 'v', 'n', 'ünï']],
          [1, null, `${name}-nullkey`, []],
          [2, 'tomb', null, []],
          [3, 'k', 'ü ✓', []],
        ],
      );
      assert.equal(got[3]!.ts, 1700000000000);
    });
  }

  for (const codec of CODECS) {
    test(`kcat produces with ${codec}, KafkaJS reads the same records`, async () => {
      const topic = topicName(`x-kcat-${codec}`);
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const lines = [`a:${codec}-${'y'.repeat(500)}`, `:${codec}-emptykey`, 'b:ü ✓'];
      await kcatProduce(broker.bootstrap, topic, codec, lines, ['h1=v1']);
      const got = await fetchAll(kafka, topic, [0]);
      assert.deepEqual(
        got.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null]),
        [
          [0, 'a', `${codec}-${'y'.repeat(500)}`],
          [1, '', `${codec}-emptykey`],
          [2, 'b', 'ü ✓'],
        ],
      );
      for (const r of got) assert.deepEqual(r.headers, { h1: Buffer.from('v1') });
    });
  }
});

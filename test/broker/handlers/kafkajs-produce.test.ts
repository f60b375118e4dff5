// KafkaJS 2.2.4's producer against the embedded broker (Produce v7, InitProducerId v1 for an
// idempotent producer), read back over the wire with Fetch and decoded by records/, so what the
// third-party client wrote is checked offset by offset and value by value.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import { FetchApi } from '../../../src/protocol/messages/fetch.js';
import {
  iterateRecords,
  RecordBatchHeader,
  recordOffset,
  splitBatches,
} from '../../../src/protocol/records/index.js';
import { startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
let kafka: Kafka;
const producers: Producer[] = [];

before(async () => {
  broker = await startTestBroker();
  kafka = new Kafka({
    clientId: 'samsa-produce-test',
    brokers: [broker.embedded.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50 },
  });
});
after(async () => {
  for (const p of producers) await p.disconnect().catch(() => {});
  await broker.stop();
});

async function connectedProducer(
  options: Parameters<Kafka['producer']>[0] = {},
): Promise<Producer> {
  const p = kafka.producer({ allowAutoTopicCreation: false, ...options });
  producers.push(p);
  await p.connect();
  return p;
}

/** Every record of a partition as [offset, key, value], decoded from a v11 Fetch. */
async function readBack(topic: string, partition = 0): Promise<[number, string, string][]> {
  const c = await broker.client();
  const res = await c.request(FetchApi, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 50_000_000,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition,
            currentLeaderEpoch: -1,
            fetchOffset: 0n,
            logStartOffset: -1n,
            partitionMaxBytes: 50_000_000,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  });
  c.close();
  const p = res.responses[0]!.partitions[0]!;
  assert.equal(p.errorCode, 0);
  const out: [number, string, string][] = [];
  for (const h of splitBatches(p.records!)) {
    const batch = new RecordBatchHeader(h.buf);
    for (const r of iterateRecords(batch)) {
      out.push([recordOffset(batch, r), r.key?.toString() ?? '', r.value?.toString() ?? '']);
    }
  }
  return out;
}

const messages = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${prefix}-${i}` }));

test('acks 1 and -1: offsets in the answer, records read back in order', async () => {
  await broker.createTopic('kjs-acks');
  const producer = await connectedProducer();
  const one = await producer.send({ topic: 'kjs-acks', acks: 1, messages: messages('a', 3) });
  assert.deepEqual(
    one.map((r) => [r.partition, r.errorCode, r.baseOffset]),
    [[0, 0, '0']],
  );
  const all = await producer.send({ topic: 'kjs-acks', acks: -1, messages: messages('b', 2) });
  assert.equal(all[0]!.baseOffset, '3');
  assert.deepEqual(await readBack('kjs-acks'), [
    [0, 'k0', 'a-0'],
    [1, 'k1', 'a-1'],
    [2, 'k2', 'a-2'],
    [3, 'k0', 'b-0'],
    [4, 'k1', 'b-1'],
  ]);
});

test('acks 0: KafkaJS gets no answer and the records are there', async () => {
  await broker.createTopic('kjs-acks0');
  const producer = await connectedProducer();
  await producer.send({ topic: 'kjs-acks0', acks: 0, messages: messages('z', 4) });
  // A later acknowledged send on the same connection is handled after the acks=0 one.
  const r = await producer.send({ topic: 'kjs-acks0', acks: 1, messages: messages('y', 1) });
  assert.equal(r[0]!.baseOffset, '4');
  assert.equal((await readBack('kjs-acks0')).length, 5);
});

test('gzip batches are stored as sent and decode to the same records', async () => {
  await broker.createTopic('kjs-gzip');
  const producer = await connectedProducer();
  await producer.send({
    topic: 'kjs-gzip',
    compression: CompressionTypes.GZIP,
    messages: messages('g', 50),
  });
  const back = await readBack('kjs-gzip');
  assert.equal(back.length, 50);
  assert.deepEqual(back[49], [49, 'k49', 'g-49']);
});

test('an idempotent producer: InitProducerId, sequences per partition, no duplicates', async () => {
  await broker.createTopic('kjs-idem', 2);
  const producer = await connectedProducer({ idempotent: true, maxInFlightRequests: 1 });
  for (let i = 0; i < 5; i++) {
    await producer.sendBatch({
      acks: -1,
      topicMessages: [
        {
          topic: 'kjs-idem',
          messages: [
            { partition: 0, value: `p0-${i}` },
            { partition: 1, value: `p1-${i}` },
          ],
        },
      ],
    });
  }
  const p0 = await readBack('kjs-idem', 0);
  assert.deepEqual(
    p0.map(([o, , v]) => [o, v]),
    [0, 1, 2, 3, 4].map((i) => [i, `p0-${i}`]),
  );
  const state = broker.embedded.broker.replicaManager.partition('kjs-idem', 1)!.log.producerState;
  const producersSeen = [...state.entries()];
  assert.equal(producersSeen.length, 1);
  assert.equal(producersSeen[0]!.batches.at(-1)!.lastSeq, 4);
});

test('sending to a topic that does not exist fails and creates nothing', async () => {
  const producer = await connectedProducer();
  await assert.rejects(
    producer.send({ topic: 'kjs-missing', acks: 1, messages: messages('m', 1) }),
  );
  assert.equal(broker.embedded.broker.topics.topic('kjs-missing'), undefined);
});

// Interoperability with KafkaJS 2.2.4 on the same broker: what the Samsa client produces, KafkaJS
// reads with identical keys, values, headers and partitions, and the other way round; the same
// key lands on the same partition with both default partitioners; read_committed hides a
// KafkaJS transaction that was aborted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { Samsa } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { PRODUCE_CONSUME_APIS, startTarget, type Target, uniqueTopic } from './target.js';

let target: Target;
let samsa: Samsa;
let kafkajs: Kafka;

before(async () => {
  target = await startTarget();
  samsa = new Samsa({ brokers: [target.bootstrap], clientId: 'interop-test', logger: 'error' });
  kafkajs = new Kafka({
    brokers: [target.bootstrap],
    clientId: 'interop-kafkajs',
    logLevel: logLevel.NOTHING,
  });
});
after(async () => {
  await target?.stop();
});

interface Seen {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: [string, string][];
}

async function createTopic(partitions: number): Promise<string> {
  const topic = uniqueTopic('interop');
  const admin = samsa.admin();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.close();
  return topic;
}

/** Reads `count` messages with KafkaJS (its consumer needs a group). */
async function readWithKafkajs(
  topic: string,
  count: number,
  readUncommitted = true,
): Promise<Seen[]> {
  const consumer = kafkajs.consumer({
    groupId: uniqueTopic('kjs'),
    readUncommitted,
    maxWaitTimeInMs: 100,
  });
  const seen: Seen[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            seen.push({
              partition,
              offset: Number(message.offset),
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers: Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
            });
            if (seen.length === count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

async function readWithSamsa(
  topic: string,
  partitions: number,
  count: number,
  readCommitted = false,
): Promise<Seen[]> {
  const consumer = samsa.consumer({
    autoOffsetReset: 'earliest',
    isolationLevel: readCommitted ? 'read_committed' : 'read_uncommitted',
  });
  const seen: Seen[] = [];
  await consumer.assign(
    Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
  );
  for await (const m of consumer) {
    seen.push({
      partition: m.partition,
      offset: m.offset,
      key: m.key?.toString() ?? null,
      value: m.value?.toString() ?? null,
      headers: m.headers.map((h) => [h.key, h.value?.toString() ?? '']),
    });
    if (seen.length === count) break;
  }
  await consumer.close();
  return seen.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

const messages = Array.from({ length: 40 }, (_, i) => ({
  key: i % 7 === 0 ? null : `user-${i}`,
  value: `payload-${i}-${'é'.repeat(i % 5)}`,
  headers: { trace: `t-${i}`, source: 'interop' },
}));

describe('interop with KafkaJS 2.2.4', () => {
  it('KafkaJS reads what Samsa produced: same keys, values, headers and partitions', async (t) => {
    if (
      target.skipUnless(
        t,
        ...PRODUCE_CONSUME_APIS,
        ApiKey.FindCoordinator,
        ApiKey.JoinGroup,
        ApiKey.SyncGroup,
      )
    )
      return;
    const topic = await createTopic(3);
    const producer = samsa.producer({ compression: 'gzip' });
    const meta = await producer.send({ topic, messages });
    await producer.close();
    const samsaView = await readWithSamsa(topic, 3, messages.length);
    const kafkajsView = await readWithKafkajs(topic, messages.length);
    assert.deepEqual(kafkajsView, samsaView);
    for (const [i, m] of messages.entries()) {
      const seen = kafkajsView.find(
        (s) => s.offset === meta[i]!.offset && s.partition === meta[i]!.partition,
      )!;
      assert.equal(seen.value, m.value);
      assert.equal(seen.key, m.key);
      assert.deepEqual(seen.headers, Object.entries(m.headers));
    }
  });

  it('Samsa reads what KafkaJS produced, and both partitioners put a key on the same partition', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS)) return;
    const topic = await createTopic(5);
    const kp = kafkajs.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await kp.connect();
    const keyed = messages.filter((m) => m.key !== null);
    const kjsMeta = await kp.send({ topic, compression: CompressionTypes.GZIP, messages: keyed });
    await kp.disconnect();
    const sp = samsa.producer();
    const samsaMeta = await sp.send({ topic, messages: keyed });
    await sp.close();
    for (const r of kjsMeta) assert.equal(r.errorCode, 0);
    // KafkaJS (not idempotent) may write a batch twice when it retries a request right after
    // topic creation, so read to the end of the log rather than a message count.
    const admin = samsa.admin();
    const ends = await admin.listOffsets({ topic });
    await admin.close();
    const total = ends.reduce((n, e) => n + e.offset, 0);
    assert.ok(total >= keyed.length * 2);
    const seen = await readWithSamsa(topic, 5, total);
    const partitionOf = new Map<string, number>();
    for (const s of seen) {
      const before = partitionOf.get(s.key!);
      if (before !== undefined) assert.equal(s.partition, before, `key ${s.key}`);
      partitionOf.set(s.key!, s.partition);
      // Every record, from either client, came through intact.
      const m = keyed.find((k) => k.key === s.key)!;
      assert.equal(s.value, m.value);
      assert.deepEqual(s.headers, Object.entries(m.headers));
    }
    for (const [i, m] of keyed.entries()) {
      assert.equal(samsaMeta[i]!.partition, partitionOf.get(m.key!), `key ${m.key}`);
    }
    const fromKafkajs = seen.filter(
      (s) => s.offset < samsaMeta.find((x) => x.partition === s.partition)!.offset,
    );
    assert.ok(fromKafkajs.length >= keyed.length);
  });

  it('read_committed skips a transaction KafkaJS aborted; read_uncommitted shows it', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS, ApiKey.AddPartitionsToTxn, ApiKey.EndTxn))
      return;
    const topic = await createTopic(1);
    const kp = kafkajs.producer({
      transactionalId: uniqueTopic('txn'),
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await kp.connect();
    const aborted = await kp.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
    await aborted.abort();
    const committed = await kp.transaction();
    await committed.send({ topic, messages: [{ value: 'committed-1' }] });
    await committed.commit();
    await kp.disconnect();
    const rc = await readWithSamsa(topic, 1, 1, true);
    assert.deepEqual(
      rc.map((s) => s.value),
      ['committed-1'],
    );
    // Offsets: 0,1 aborted records, 2 abort marker, 3 committed record.
    assert.equal(rc[0]!.offset, 3);
    const ru = await readWithSamsa(topic, 1, 3, false);
    assert.deepEqual(
      ru.map((s) => s.value),
      ['aborted-1', 'aborted-2', 'committed-1'],
    );
  });
});

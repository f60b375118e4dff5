// Producer and consumer against a real broker (see target.ts): codecs, acks, idempotence,
// partitioning, batching, backpressure, positions, resets and both reading APIs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BufferExhaustedError,
  type ConsumerMessage,
  DeserializationError,
  deserializers,
  KafkaError,
  partitionForKey,
  Samsa,
  serializers,
} from '../../src/client/index.js';
import { FetchApi } from '../../src/protocol/messages/fetch.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { splitBatches } from '../../src/protocol/records/batch-header.js';
import { PRODUCE_CONSUME_APIS, startTarget, type Target, uniqueTopic } from './target.js';

let target: Target;
let samsa: Samsa;

before(async () => {
  target = await startTarget();
  samsa = new Samsa({
    brokers: [target.bootstrap],
    clientId: 'produce-consume-test',
    logger: 'error',
  });
});
after(async () => {
  await target?.stop();
});

async function createTopic(partitions = 1, configs?: Record<string, string>): Promise<string> {
  const topic = uniqueTopic('pc');
  const admin = samsa.admin();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, configs }] });
  } finally {
    await admin.close();
  }
  return topic;
}

/** Reads `count` messages from the start of every partition of `topic`. */
async function readAll<K = Buffer | null, V = Buffer | null>(
  topic: string,
  partitions: number,
  count: number,
  options: Parameters<Samsa['consumer']>[0] = {},
): Promise<ConsumerMessage<K, V>[]> {
  const consumer = samsa.consumer<K, V>({
    autoOffsetReset: 'earliest',
    ...(options as object),
  } as never);
  const out: ConsumerMessage<K, V>[] = [];
  try {
    await consumer.assign(
      Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
    );
    if (count === 0) return out;
    for await (const m of consumer) {
      out.push(m as ConsumerMessage<K, V>);
      if (out.length === count) break;
    }
  } finally {
    await consumer.close();
  }
  return out;
}

describe('producer and consumer', () => {
  it('round-trips keys, values, headers and timestamps, keyed messages on the murmur2 partition', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS)) return;
    const topic = await createTopic(4);
    const producer = samsa.producer();
    const messages = Array.from({ length: 50 }, (_, i) => ({
      key: `key-${i}`,
      value: i % 10 === 0 ? null : `value-${i}`,
      headers: { n: String(i), both: ['a', Buffer.from([0xff, 0])] },
      timestamp: 1_700_000_000_000 + i,
    }));
    const meta = await producer.send({ topic, messages });
    await producer.close();
    assert.equal(meta.length, 50);
    meta.forEach((m, i) => {
      assert.equal(m.partition, partitionForKey(Buffer.from(`key-${i}`), 4), `message ${i}`);
      assert.ok(m.offset >= 0);
    });
    const got = await readAll(topic, 4, 50);
    const byKey = new Map(got.map((m) => [m.key!.toString(), m]));
    messages.forEach((sent, i) => {
      const m = byKey.get(sent.key)!;
      assert.ok(m, `message ${i} read back`);
      assert.equal(m.partition, meta[i]!.partition);
      assert.equal(m.offset, meta[i]!.offset);
      assert.equal(m.value?.toString() ?? null, sent.value);
      assert.equal(m.timestamp, sent.timestamp);
      assert.equal(m.timestampType, 'CreateTime');
      assert.deepEqual(
        m.headers.map((h) => [h.key, h.value]),
        [
          ['n', Buffer.from(String(i))],
          ['both', Buffer.from('a')],
          ['both', Buffer.from([0xff, 0])],
        ],
      );
    });
  });

  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`produces and consumes ${compression} batches`, async (t) => {
      if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS)) return;
      const topic = await createTopic(1);
      const producer = samsa.producer({ compression, lingerMs: 20 });
      const values = Array.from(
        { length: 300 },
        (_, i) => `${compression}-${i}-${'x'.repeat(i % 50)}`,
      );
      await Promise.all(values.map((value) => producer.send({ topic, messages: [{ value }] })));
      await producer.close();
      const got = await readAll(topic, 1, values.length);
      assert.deepEqual(
        got.map((m) => m.value!.toString()),
        values,
      );
      assert.deepEqual(
        got.map((m) => m.offset),
        values.map((_, i) => i),
      );
    });
  }

  for (const acks of [0, 1, -1] as const) {
    it(`produces with acks=${acks}`, async (t) => {
      if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS)) return;
      const topic = await createTopic(1);
      const producer = samsa.producer({ acks });
      const meta = await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
      await producer.close();
      if (acks === 0)
        assert.deepEqual(
          meta.map((m) => m.offset),
          [-1, -1],
        );
      else
        assert.deepEqual(
          meta.map((m) => m.offset),
          [0, 1],
        );
      const got = await readAll(topic, 1, 2);
      assert.deepEqual(
        got.map((m) => m.value!.toString()),
        ['a', 'b'],
      );
    });
  }

  it('is idempotent by default: batches carry a producer id and consecutive sequences, in send order', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS, ApiKey.InitProducerId)) return;
    const topic = await createTopic(1);
    const producer = samsa.producer({ batchSize: 512, lingerMs: 0 });
    const sends = Array.from({ length: 400 }, (_, i) =>
      producer.send({ topic, messages: [{ value: String(i) }] }),
    );
    const meta = (await Promise.all(sends)).flat();
    await producer.close();
    assert.deepEqual(
      meta.map((m) => m.offset),
      meta.map((_, i) => i),
    );
    // Look at the stored batches themselves.
    const { Connection } = await import('../../src/client/connection.js');
    const [host, port] = target.bootstrap.split(':') as [string, string];
    const c = await Connection.connect({ host, port: Number(port), clientId: 'raw' });
    const r = await c.send(
      FetchApi,
      {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 10_000_000,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic,
            topicId: await topicId(topic),
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: -1,
                fetchOffset: 0n,
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: 10_000_000,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      },
      { version: 12 },
    );
    c.close();
    const batches = splitBatches(r.responses[0]!.partitions[0]!.records!, true);
    assert.ok(batches.length > 1, 'several batches');
    let expected = 0;
    for (const b of batches) {
      assert.ok(b.producerId >= 0, 'producer id set');
      assert.equal(b.baseSequence, expected);
      expected += b.recordsCount;
    }
  });

  it('holds a batch for lingerMs until flush() sends it', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS)) return;
    const topic = await createTopic(1);
    const producer = samsa.producer({ lingerMs: 600_000 });
    await producer.connect();
    let acked = false;
    const sent = producer.send({ topic, messages: [{ value: 'later' }] }).then((m) => {
      acked = true;
      return m;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(acked, false, 'still lingering');
    await producer.flush();
    assert.equal(acked, true);
    assert.equal((await sent)[0]!.offset, 0);
    await producer.close();
  });

  it('applies backpressure when bufferMemory is full, and refuses a message larger than it', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS)) return;
    const topic = await createTopic(1);
    const producer = samsa.producer({ bufferMemory: 8 * 1024, batchSize: 2048, lingerMs: 1 });
    const value = Buffer.alloc(1000, 7);
    const meta = (
      await Promise.all(
        Array.from({ length: 200 }, () => producer.send({ topic, messages: [{ value }] })),
      )
    ).flat();
    assert.equal(meta.length, 200);
    await assert.rejects(
      producer.send({ topic, messages: [{ value: Buffer.alloc(9000) }] }),
      BufferExhaustedError,
    );
    await producer.close();
  });

  it('uses typed serializers and deserializers', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS)) return;
    const topic = await createTopic(1);
    const producer = samsa.producer<string | null, { n: number } | null>({
      keySerializer: serializers.string,
      valueSerializer: serializers.json<{ n: number }>(),
    });
    await producer.send({
      topic,
      messages: [
        { key: 'k', value: { n: 1 } },
        { key: null, value: null },
      ],
    });
    await producer.send({ topic: topic, messages: [{ key: 'bad', value: { n: 2 } }] });
    await producer.close();
    const got = await readAll<string | null, { n: number } | null>(topic, 1, 3, {
      keyDeserializer: deserializers.string,
      valueDeserializer: deserializers.json<{ n: number }>(),
    } as never);
    assert.deepEqual(
      got.map((m) => [m.key, m.value]),
      [
        ['k', { n: 1 }],
        [null, null],
        ['bad', { n: 2 }],
      ],
    );
    // A value the deserializer cannot read stops the consumer on that record.
    const raw = samsa.producer();
    await raw.send({ topic, messages: [{ value: 'not json' }] });
    await raw.close();
    const consumer = samsa.consumer({ valueDeserializer: deserializers.json() });
    await consumer.assign([{ topic, partition: 0, offset: 3 }]);
    const it = consumer[Symbol.asyncIterator]();
    await assert.rejects(
      it.next(),
      (err: unknown) => err instanceof DeserializationError && err.offset === 3,
    );
    await assert.rejects(it.next(), DeserializationError);
    await consumer.close();
  });
});

async function topicId(topic: string): Promise<string> {
  const admin = samsa.admin();
  try {
    return (await admin.describeTopics({ topics: [topic] }))[0]!.topicId;
  } finally {
    await admin.close();
  }
}

describe('consumer positions', () => {
  it('starts inside a compressed batch: records before the fetch offset are skipped', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS)) return;
    const topic = await createTopic(1);
    const producer = samsa.producer({ compression: 'gzip' });
    await producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ value: String(i) })),
    });
    await producer.close();
    const consumer = samsa.consumer();
    await consumer.assign([{ topic, partition: 0, offset: 6 }]);
    const got: number[] = [];
    for await (const m of consumer) {
      got.push(m.offset);
      assert.equal(m.value!.toString(), String(m.offset));
      if (got.length === 4) break;
    }
    await consumer.close();
    assert.deepEqual(got, [6, 7, 8, 9]);
  });

  it('reads everything when the partition byte limit cuts batches (partial batch at the end)', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS)) return;
    const topic = await createTopic(1);
    const producer = samsa.producer({ batchSize: 300, lingerMs: 0 });
    const values = Array.from({ length: 60 }, (_, i) => `${i}:${'y'.repeat(100)}`);
    for (let i = 0; i < values.length; i += 3) {
      await producer.send({ topic, messages: values.slice(i, i + 3).map((value) => ({ value })) });
    }
    await producer.close();
    const got = await readAll(topic, 1, values.length, { maxPartitionBytes: 500, maxBytes: 500 });
    assert.deepEqual(
      got.map((m) => m.value!.toString()),
      values,
    );
  });

  it('resets per autoOffsetReset on OFFSET_OUT_OF_RANGE, and reports it with none', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS)) return;
    const topic = await createTopic(1);
    const producer = samsa.producer();
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
    const early = samsa.consumer({ autoOffsetReset: 'earliest' });
    await early.assign([{ topic, partition: 0, offset: 1000 }]);
    const first = await early[Symbol.asyncIterator]().next();
    assert.equal(first.value?.offset, 0);
    await early.close();

    const late = samsa.consumer({ autoOffsetReset: 'latest' });
    await late.assign([{ topic, partition: 0, offset: 1000 }]);
    const next = late[Symbol.asyncIterator]().next();
    // Wait until the reset happened before producing the record it should see.
    while (late.position({ topic, partition: 0 }) !== 2)
      await new Promise((r) => setTimeout(r, 20));
    await producer.send({ topic, messages: [{ value: 'c' }] });
    assert.equal((await next).value?.value?.toString(), 'c');
    await late.close();

    const none = samsa.consumer({ autoOffsetReset: 'none' });
    await none.assign([{ topic, partition: 0, offset: 1000 }]);
    await assert.rejects(
      none[Symbol.asyncIterator]().next(),
      (err: unknown) => err instanceof KafkaError && err.errorName === 'OFFSET_OUT_OF_RANGE',
    );
    await none.close();
    await producer.close();
  });

  it('seeks, pauses and resumes', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS)) return;
    const topic = await createTopic(2);
    const producer = samsa.producer();
    for (const partition of [0, 1]) {
      await producer.send({
        topic,
        messages: Array.from({ length: 5 }, (_, i) => ({ value: `${partition}-${i}`, partition })),
      });
    }
    await producer.close();
    const consumer = samsa.consumer({ autoOffsetReset: 'earliest' });
    await consumer.assign([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    consumer.pause([{ topic, partition: 1 }]);
    assert.deepEqual(consumer.paused(), [{ topic, partition: 1 }]);
    const it = consumer[Symbol.asyncIterator]();
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push((await it.next()).value!.value!.toString());
    assert.deepEqual(seen, ['0-0', '0-1', '0-2', '0-3', '0-4']);
    await consumer.seek({ topic, partition: 0, offset: 3 });
    assert.equal((await it.next()).value!.value!.toString(), '0-3');
    await consumer.seek({ topic, partition: 0, offset: 'latest' });
    consumer.resume([{ topic, partition: 1 }]);
    const rest: string[] = [];
    for (let i = 0; i < 5; i++) rest.push((await it.next()).value!.value!.toString());
    assert.deepEqual(rest, ['1-0', '1-1', '1-2', '1-3', '1-4']);
    assert.equal(consumer.position({ topic, partition: 1 }), 5);
    await consumer.close();
  });

  it('delivers through run({ eachMessage }) and run({ eachBatch })', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS)) return;
    const topic = await createTopic(1);
    const producer = samsa.producer();
    await producer.send({
      topic,
      messages: Array.from({ length: 20 }, (_, i) => ({ value: String(i) })),
    });
    await producer.close();
    const a = samsa.consumer({ autoOffsetReset: 'earliest' });
    await a.assign([{ topic, partition: 0 }]);
    const each: number[] = [];
    await a.run({
      eachMessage: async ({ message }) => {
        each.push(message.offset);
        if (each.length === 20) a.stop();
      },
    });
    await a.close();
    assert.deepEqual(
      each,
      Array.from({ length: 20 }, (_, i) => i),
    );
    const b = samsa.consumer({ autoOffsetReset: 'earliest' });
    await b.assign([{ topic, partition: 0 }]);
    const batched: number[] = [];
    await b.run({
      eachBatch: async ({ batch }) => {
        assert.equal(batch.highWatermark, 20);
        batched.push(...batch.messages.map((m) => m.offset));
        if (batched.length === 20) b.stop();
      },
    });
    await b.close();
    assert.deepEqual(batched, each);
  });
});

// The consumer's handling of crafted Fetch answers from a fake broker: leadership errors,
// OFFSET_OUT_OF_RANGE resets, topic ids in Fetch v13+, and the prefetch rules (the next Fetch
// goes out while earlier answers are read, within the byte budget; an answer in flight for a
// partition that is seeked or paused meanwhile is dropped; OFFSET_OUT_OF_RANGE on a prefetch
// waits until the records before it were read).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Samsa } from '../../src/client/index.js';
import type { FetchRequest } from '../../src/protocol/messages/fetch.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import type { ListOffsetsRequest } from '../../src/protocol/messages/list-offsets.js';
import { buildRecordBatch } from '../../src/protocol/records/builder.js';
import { FakeBroker, type FakeRequest, metadataFor } from './fake-broker.js';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

function fetchAnswer(
  req: FakeRequest,
  errorCode: number,
  baseOffset: number,
  values: string[],
  byId = false,
) {
  const body = req.body as FetchRequest;
  const t = body.topics[0]!;
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: byId ? '' : t.topic,
        topicId: byId ? TOPIC_ID : t.topicId,
        partitions: [
          {
            partitionIndex: 0,
            errorCode,
            highWatermark: BigInt(baseOffset + values.length),
            lastStableOffset: BigInt(baseOffset + values.length),
            logStartOffset: 0n,
            abortedTransactions: null,
            preferredReadReplica: -1,
            records:
              values.length === 0
                ? null
                : buildRecordBatch({
                    baseOffset,
                    records: values.map((v) => ({ value: Buffer.from(v), timestamp: 0 })),
                  }).buf,
          },
        ],
      },
    ],
  };
}

async function readOne(broker: FakeBroker, offset?: number) {
  const samsa = new Samsa({ brokers: [broker.bootstrap], logger: 'nothing' });
  const consumer = samsa.consumer({
    autoOffsetReset: 'earliest',
    retry: { initialRetryTimeMs: 5 },
  });
  await consumer.assign([{ topic: 't', partition: 0, offset }]);
  const m = (await consumer[Symbol.asyncIterator]().next()).value!;
  await consumer.close();
  return m;
}

describe('consumer against crafted answers', () => {
  it('refreshes metadata after NOT_LEADER_OR_FOLLOWER and fetches again', async () => {
    let fetches = 0;
    const broker: FakeBroker = await FakeBroker.start({
      [ApiKey.Metadata]: () => metadataFor(broker, { t: 1 }),
      [ApiKey.Fetch]: (req) =>
        fetches++ === 0 ? fetchAnswer(req, 6, 0, []) : fetchAnswer(req, 0, 0, ['hello']),
    });
    const m = await readOne(broker, 0);
    assert.equal(m.value!.toString(), 'hello');
    const metadataCalls = broker.requests.filter((r) => r.apiKey === ApiKey.Metadata).length;
    assert.ok(metadataCalls >= 2, `metadata asked ${metadataCalls} times`);
    await broker.stop();
  });

  it('resets to the earliest offset on OFFSET_OUT_OF_RANGE', async () => {
    const broker: FakeBroker = await FakeBroker.start({
      [ApiKey.Metadata]: () => metadataFor(broker, { t: 1 }),
      [ApiKey.ListOffsets]: (req) => {
        const p = (req.body as ListOffsetsRequest).topics[0]!.partitions[0]!;
        assert.equal(p.timestamp, -2n);
        return {
          throttleTimeMs: 0,
          topics: [
            {
              name: 't',
              partitions: [
                { partitionIndex: 0, errorCode: 0, timestamp: -1n, offset: 5n, leaderEpoch: 0 },
              ],
            },
          ],
        };
      },
      [ApiKey.Fetch]: (req) => {
        const offset = Number((req.body as FetchRequest).topics[0]!.partitions[0]!.fetchOffset);
        return offset === 5 ? fetchAnswer(req, 0, 5, ['five']) : fetchAnswer(req, 1, 0, []);
      },
    });
    const m = await readOne(broker, 100);
    assert.equal(m.offset, 5);
    assert.equal(m.value!.toString(), 'five');
    await broker.stop();
  });

  it('speaks Fetch v13+ with topic ids and maps answers back to topic names', async () => {
    const broker: FakeBroker = await FakeBroker.start({
      [ApiKey.Metadata]: () => {
        const md = metadataFor(broker, { t: 1 });
        md.topics[0]!.topicId = TOPIC_ID;
        return md;
      },
      [ApiKey.Fetch]: (req) => {
        assert.ok(req.version >= 13);
        assert.equal((req.body as FetchRequest).topics[0]!.topicId, TOPIC_ID);
        return fetchAnswer(req, 0, 0, ['by-id'], true);
      },
    });
    const m = await readOne(broker, 0);
    assert.equal(m.topic, 't');
    assert.equal(m.value!.toString(), 'by-id');
    await broker.stop();
  });
});

const fetchOffsetOf = (req: FakeRequest) =>
  Number((req.body as FetchRequest).topics[0]!.partitions[0]!.fetchOffset);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean) {
  while (!cond()) await sleep(2);
}

/**
 * A broker with a[0..2] at offset 0, b[3..5] at 3 (answered when `release()` is called) and
 * 'ten' at 10; `fetched` lists each Fetch's offset with how many messages the test had read.
 */
async function prefetchBroker(outOfRangeAt3 = false) {
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  const state = { read: 0, fetched: [] as { offset: number; read: number }[], release };
  const broker: FakeBroker = await FakeBroker.start({
    [ApiKey.Metadata]: () => metadataFor(broker, { t: 1 }),
    [ApiKey.ListOffsets]: () => ({
      throttleTimeMs: 0,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, errorCode: 0, timestamp: -1n, offset: 10n, leaderEpoch: 0 },
          ],
        },
      ],
    }),
    [ApiKey.Fetch]: async (req) => {
      const offset = fetchOffsetOf(req);
      state.fetched.push({ offset, read: state.read });
      if (offset === 0) return fetchAnswer(req, 0, 0, ['a0', 'a1', 'a2']);
      if (offset === 1) return fetchAnswer(req, 0, 1, ['a1', 'a2']);
      if (offset === 3) {
        if (outOfRangeAt3) return fetchAnswer(req, 1, 0, []);
        await held;
        return fetchAnswer(req, 0, 3, ['b3', 'b4', 'b5']);
      }
      if (offset === 10) return fetchAnswer(req, 0, 10, ['ten']);
      await sleep(20); // an empty long poll
      return fetchAnswer(req, 0, offset, []);
    },
  });
  return { broker, state };
}

async function openConsumer(broker: FakeBroker, options: { maxBufferedBytes?: number } = {}) {
  const samsa = new Samsa({ brokers: [broker.bootstrap], logger: 'nothing' });
  const consumer = samsa.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 20, ...options });
  await consumer.assign([{ topic: 't', partition: 0, offset: 0 }]);
  return { consumer, messages: consumer[Symbol.asyncIterator]() };
}

describe('consumer prefetch', () => {
  it('sends the next Fetch while the previous answer is still being read', async () => {
    const { broker, state } = await prefetchBroker();
    state.release();
    const { consumer, messages } = await openConsumer(broker);
    const got = [(await messages.next()).value!.offset];
    state.read++;
    // a1 and a2 are still unread: only a prefetch asks for offset 3 now.
    await until(() => state.fetched.some((f) => f.offset === 3));
    for (let i = 0; i < 5; i++) got.push((await messages.next()).value!.offset);
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5]);
    assert.equal(state.fetched.find((f) => f.offset === 3)!.read, 1);
    await consumer.close();
    await broker.stop();
  });

  it('waits for the buffered answer to be read when it fills maxBufferedBytes', async () => {
    const { broker, state } = await prefetchBroker();
    state.release();
    const { consumer, messages } = await openConsumer(broker, { maxBufferedBytes: 1 });
    const got: number[] = [];
    for (let i = 0; i < 4; i++) {
      got.push((await messages.next()).value!.offset);
      state.read++;
    }
    assert.deepEqual(got, [0, 1, 2, 3]);
    assert.deepEqual(
      state.fetched.filter((f) => f.offset === 3),
      [{ offset: 3, read: 3 }],
    );
    await consumer.close();
    await broker.stop();
  });

  it('drops an answer in flight for a partition seeked meanwhile', async () => {
    const { broker, state } = await prefetchBroker();
    const { consumer, messages } = await openConsumer(broker);
    assert.equal((await messages.next()).value!.offset, 0);
    await until(() => state.fetched.some((f) => f.offset === 3));
    await consumer.seek({ topic: 't', partition: 0, offset: 10 });
    state.release();
    const m = (await messages.next()).value!;
    assert.equal(m.offset, 10);
    assert.equal(m.value!.toString(), 'ten');
    assert.equal(consumer.position({ topic: 't', partition: 0 }), 11);
    await consumer.close();
    await broker.stop();
  });

  it('drops what was buffered or in flight for a paused partition and resumes at its position', async () => {
    const { broker, state } = await prefetchBroker();
    const { consumer, messages } = await openConsumer(broker);
    const tp = { topic: 't', partition: 0 };
    assert.equal((await messages.next()).value!.offset, 0);
    await until(() => state.fetched.some((f) => f.offset === 3));
    consumer.pause([tp]);
    assert.equal(consumer.position(tp), 1);
    state.release();
    const before = state.fetched.length;
    await sleep(30); // the held answer arrives while paused, and nothing is fetched
    assert.equal(state.fetched.length, before);
    consumer.resume([tp]);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push((await messages.next()).value!.value!.toString());
    assert.deepEqual(got, ['a1', 'a2', 'b3']);
    assert.equal(state.fetched[before]!.offset, 1);
    await consumer.close();
    await broker.stop();
  });

  it('hands out the records before a prefetch that got OFFSET_OUT_OF_RANGE, then resets', async () => {
    const { broker, state } = await prefetchBroker(true);
    const samsa = new Samsa({ brokers: [broker.bootstrap], logger: 'nothing' });
    const consumer = samsa.consumer({ autoOffsetReset: 'latest', maxWaitMs: 20 });
    await consumer.assign([{ topic: 't', partition: 0, offset: 0 }]);
    const messages = consumer[Symbol.asyncIterator]();
    const got = [(await messages.next()).value!.offset];
    await until(() => state.fetched.some((f) => f.offset === 3));
    await sleep(20); // the out-of-range answer is in while a1 and a2 are unread
    for (let i = 0; i < 3; i++) got.push((await messages.next()).value!.offset);
    assert.deepEqual(got, [0, 1, 2, 10]);
    await consumer.close();
    await broker.stop();
  });
});

describe('consumer eachBatch', () => {
  /** A broker whose every Fetch answer holds `records` (at whatever offset was asked). */
  async function brokerWith(records: Buffer) {
    const broker: FakeBroker = await FakeBroker.start({
      [ApiKey.Metadata]: () => metadataFor(broker, { t: 1 }),
      [ApiKey.Fetch]: (req) => {
        const answer = fetchAnswer(req, 0, 0, []);
        const p = answer.responses[0]!.partitions[0]!;
        Object.assign(p, { records, highWatermark: 4n, lastStableOffset: 4n });
        return answer;
      },
    });
    return broker;
  }
  const batchOf = (baseOffset: number, values: string[]) =>
    buildRecordBatch({
      baseOffset,
      records: values.map((v) => ({ value: Buffer.from(v), timestamp: 0 })),
    }).buf;

  it('hands out the records before a corrupt batch, then fails on it', async () => {
    const bad = batchOf(2, ['c', 'd']);
    bad[bad.length - 2] ^= 0x01; // only the CRC tells
    const broker = await brokerWith(Buffer.concat([batchOf(0, ['a', 'b']), bad]));
    const samsa = new Samsa({ brokers: [broker.bootstrap], logger: 'nothing' });
    const consumer = samsa.consumer();
    await consumer.assign([{ topic: 't', partition: 0, offset: 0 }]);
    const batches: string[][] = [];
    await assert.rejects(
      consumer.run({
        eachBatch: ({ batch }) => {
          batches.push(batch.messages.map((m) => m.value!.toString()));
        },
      }),
      (err: Error & { errorName?: string }) => err.errorName === 'CORRUPT_MESSAGE',
    );
    assert.deepEqual(batches, [['a', 'b']]);
    assert.equal(consumer.position({ topic: 't', partition: 0 }), 2);
    await consumer.close();
    await broker.stop();
  });

  it('deserializes in place, and a failing deserializer leaves the position at the batch start', async () => {
    const broker = await brokerWith(batchOf(0, ['1', '2', 'x', '4']));
    const samsa = new Samsa({ brokers: [broker.bootstrap], logger: 'nothing' });
    const consumer = samsa.consumer<Buffer | null, number>({
      valueDeserializer: (b) => {
        const n = Number(b!.toString());
        if (Number.isNaN(n)) throw new Error('not a number');
        return n;
      },
    });
    await consumer.assign([{ topic: 't', partition: 0, offset: 0 }]);
    await assert.rejects(
      consumer.run({ eachBatch: () => {} }),
      (err: Error) => err.name === 'DeserializationError' && /offset 2/.test(err.message),
    );
    assert.equal(consumer.position({ topic: 't', partition: 0 }), 0);
    await consumer.close();
    const ok = samsa.consumer<Buffer | null, number>({
      valueDeserializer: (b) => Number(b!.toString()),
    });
    await ok.assign([{ topic: 't', partition: 0, offset: 0 }]);
    let got: number[] = [];
    await ok.run({
      eachBatch: ({ batch }) => {
        got = batch.messages.map((m) => m.value);
        ok.stop();
      },
    });
    assert.deepEqual(got, [1, 2, Number.NaN, 4]);
    await ok.close();
    await broker.stop();
  });
});

describe('consumer turns of the event loop', () => {
  const RECORDS = 3000;
  const PER_BATCH = 10;
  /** Offsets 0..RECORDS-1 in batches of PER_BATCH in one answer; the prefetch after it stays out. */
  async function heldPrefetchBroker() {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const batches: Buffer[] = [];
    for (let base = 0; base < RECORDS; base += PER_BATCH) {
      batches.push(
        buildRecordBatch({
          baseOffset: base,
          records: Array.from({ length: PER_BATCH }, (_, i) => ({
            value: Buffer.from(`v${base + i}`),
            timestamp: 0,
          })),
        }).buf,
      );
    }
    const records = Buffer.concat(batches);
    const broker: FakeBroker = await FakeBroker.start({
      [ApiKey.Metadata]: () => metadataFor(broker, { t: 1 }),
      [ApiKey.Fetch]: async (req) => {
        const answer = fetchAnswer(req, 0, 0, []);
        const p = answer.responses[0]!.partitions[0]!;
        if (fetchOffsetOf(req) === 0) {
          Object.assign(p, { records, highWatermark: BigInt(RECORDS) });
        } else {
          await held;
        }
        return answer;
      },
    });
    return { broker, release };
  }
  const busy = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };

  // Without turns the answer to a Fetch already out would wait in the kernel (and, from Kafka,
  // mostly not be sent) until every buffered record was handed out.
  it('lets the event loop turn while handing out buffered records one at a time', async () => {
    const { broker, release } = await heldPrefetchBroker();
    const samsa = new Samsa({ brokers: [broker.bootstrap], logger: 'nothing' });
    const consumer = samsa.consumer({ autoOffsetReset: 'earliest' });
    await consumer.assign([{ topic: 't', partition: 0, offset: 0 }]);
    const messages = consumer[Symbol.asyncIterator]();
    assert.equal((await messages.next()).value!.offset, 0);
    let turnedAt = -1;
    setImmediate(() => {
      turnedAt = consumer.position({ topic: 't', partition: 0 })!;
    });
    for (let i = 1; i < RECORDS; i++) {
      assert.equal((await messages.next()).value!.offset, i);
      busy(0.005);
    }
    assert.ok(turnedAt > 0 && turnedAt < RECORDS, `the loop turned at ${turnedAt}`);
    release();
    await consumer.close();
    await broker.stop();
  });

  it('ends an eachBatch batch at a record batch boundary to let the event loop turn', async () => {
    const { broker, release } = await heldPrefetchBroker();
    const samsa = new Samsa({ brokers: [broker.bootstrap], logger: 'nothing' });
    const consumer = samsa.consumer({ autoOffsetReset: 'earliest' });
    await consumer.assign([{ topic: 't', partition: 0, offset: 0 }]);
    const sizes: number[] = [];
    let turned = false;
    let handedOut = 0;
    let handedOutAtTurn = -1;
    await consumer.run({
      eachBatch: ({ batch }) => {
        if (sizes.length === 0) {
          setImmediate(() => {
            turned = true;
            handedOutAtTurn = handedOut;
          });
        }
        sizes.push(batch.messages.length);
        handedOut += batch.messages.length;
        assert.equal(batch.messages[0]!.offset % PER_BATCH, 0);
        busy(1);
        if (handedOut >= RECORDS) consumer.stop();
      },
    });
    assert.ok(turned && handedOutAtTurn < RECORDS, `turned after ${handedOutAtTurn} records`);
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      RECORDS,
    );
    release();
    await consumer.close();
    await broker.stop();
  });
});

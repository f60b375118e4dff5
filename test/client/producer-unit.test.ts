// The producer's batching and its handling of crafted Produce answers, against a fake broker
// that enforces idempotent sequence numbers the way Kafka does, so retries can be checked for
// order and exactly-once delivery.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferExhaustedError, KafkaError, Samsa } from '../../src/client/index.js';
import { SendTracker } from '../../src/client/producer-batch.js';
import { RecordAccumulator } from '../../src/client/record-accumulator.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import type { ProduceRequest } from '../../src/protocol/messages/produce.js';
import { RecordBatchHeader } from '../../src/protocol/records/batch-header.js';
import { readRecords } from '../../src/protocol/records/record.js';
import { FakeBroker, type FakeRequest, metadataFor } from './fake-broker.js';

const ERR = {
  NONE: 0,
  NOT_LEADER_OR_FOLLOWER: 6,
  MESSAGE_TOO_LARGE: 10,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_RECORD: 87,
};

/** One partition's log that checks producer sequences like a Kafka leader. */
class SequencedLog {
  readonly values: string[] = [];
  outOfOrder = 0;
  duplicates = 0;
  private expected = new Map<number, number>();
  append(batch: RecordBatchHeader): { errorCode: number; baseOffset: bigint } {
    const next = this.expected.get(batch.producerId) ?? 0;
    if (batch.producerId >= 0) {
      if (batch.baseSequence < next) {
        this.duplicates++;
        return { errorCode: ERR.DUPLICATE_SEQUENCE_NUMBER, baseOffset: -1n };
      }
      if (batch.baseSequence > next) {
        this.outOfOrder++;
        return { errorCode: ERR.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1n };
      }
      this.expected.set(batch.producerId, next + batch.recordsCount);
    }
    const base = this.values.length;
    for (const r of readRecords(batch)) this.values.push(r.value!.toString());
    return { errorCode: ERR.NONE, baseOffset: BigInt(base) };
  }
}

function produceAnswer(
  req: FakeRequest,
  partition: (
    topic: string,
    p: number,
    records: Buffer,
  ) => { errorCode: number; baseOffset: bigint; errorMessage?: string },
) {
  const body = req.body as ProduceRequest;
  return {
    responses: body.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({
        index: p.index,
        logAppendTimeMs: -1n,
        logStartOffset: 0n,
        recordErrors: [],
        errorMessage: null,
        ...partition(t.name, p.index, p.records!),
      })),
    })),
    throttleTimeMs: 0,
  };
}

async function fakeCluster(onProduce: (req: FakeRequest, n: number) => unknown) {
  let produced = 0;
  const broker: FakeBroker = await FakeBroker.start({
    [ApiKey.Metadata]: () => metadataFor(broker, { t: 1 }),
    [ApiKey.InitProducerId]: () => ({
      throttleTimeMs: 0,
      errorCode: 0,
      producerId: 4242n,
      producerEpoch: 0,
    }),
    [ApiKey.Produce]: (req) => onProduce(req, produced++),
  });
  const samsa = new Samsa({ brokers: [broker.bootstrap], logger: 'nothing' });
  return { broker, samsa };
}

const fast = { retry: { initialRetryTimeMs: 5, maxRetryTimeMs: 50 } };

/**
 * A producer whose first Produce (one record) the broker holds until 20 more records, two to a
 * 200-byte batch, have queued behind the in-flight limit; `answer` answers every partition.
 */
async function queuedBehindHeldFirst(
  answer: (records: Buffer) => { errorCode: number; baseOffset: bigint },
) {
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => {
    releaseFirst = r;
  });
  const { broker, samsa } = await fakeCluster(async (req, n) => {
    if (n === 0) await firstHeld;
    return produceAnswer(req, (_t, _p, records) => answer(records));
  });
  // 40-byte values: two records fill a 200-byte batch.
  const producer = samsa.producer({
    batchSize: 200,
    lingerMs: 0,
    maxInFlightRequests: 1,
    ...fast,
  });
  const first = producer.send({ topic: 't', messages: [{ value: 'first' }] });
  while (broker.requests.filter((r) => r.apiKey === ApiKey.Produce).length === 0) {
    await new Promise((r) => setTimeout(r, 2));
  }
  const values = Array.from({ length: 20 }, (_, i) => `m${String(i).padStart(39, '0')}`);
  const rest = producer.send({ topic: 't', messages: values.map((value) => ({ value })) });
  await new Promise((r) => setTimeout(r, 20));
  releaseFirst();
  return { broker, producer, values, first, rest };
}

describe('producer against crafted answers', () => {
  it('keeps order and delivers exactly once through leader changes and lost answers', async () => {
    const log = new SequencedLog();
    const { broker, samsa } = await fakeCluster((req, n) => {
      if (n % 7 === 3)
        return produceAnswer(req, () => ({
          errorCode: ERR.NOT_LEADER_OR_FOLLOWER,
          baseOffset: -1n,
        }));
      const answer = produceAnswer(req, (_t, _p, records) =>
        log.append(new RecordBatchHeader(records)),
      );
      // Every 11th request is appended but its answer is lost with the connection.
      return n % 11 === 5 ? 'close' : answer;
    });
    // A small maxRequestSize keeps merged batches small too, so there are many requests to fail.
    const producer = samsa.producer({ batchSize: 200, maxRequestSize: 400, lingerMs: 0, ...fast });
    const sent = Array.from({ length: 300 }, (_, i) => `m${i}`);
    const results = await Promise.all(
      sent.map((value) => producer.send({ topic: 't', messages: [{ value }] })),
    );
    await producer.close();
    await broker.stop();
    assert.deepEqual(log.values, sent);
    assert.equal(results.length, 300);
    // The scenario went through both recovery paths.
    assert.ok(log.outOfOrder > 0, 'a batch behind a failed one was refused and resent');
    assert.ok(log.duplicates > 0, 'a batch whose answer was lost was resent and recognised');
    const offsets = results
      .flat()
      .map((m) => m.offset)
      .filter((o) => o >= 0);
    assert.deepEqual(
      offsets,
      [...offsets].sort((a, b) => a - b),
      'acknowledged offsets follow send order',
    );
    assert.ok(
      broker.requests.filter((r) => r.apiKey === ApiKey.Metadata).length > 1,
      'metadata refreshed after NOT_LEADER',
    );
  });

  it('appends sends to a partition in call order while topic metadata is being fetched', async () => {
    // `samsa produce` lost this: two sends waited for the topic's metadata, the first got
    // it, and a third send made just then found it fresh and was appended before the second,
    // which had started a metadata request of its own.
    const log = new SequencedLog();
    let producer: ReturnType<Samsa['producer']> | undefined;
    let third: Promise<unknown> | undefined;
    let topicLookups = 0;
    const broker: FakeBroker = await FakeBroker.start({
      [ApiKey.Metadata]: async (req) => {
        const names = (req.body as { topics: { name: string }[] | null }).topics ?? [];
        if (names.length > 0) {
          const n = ++topicLookups;
          await new Promise((r) => setTimeout(r, 50 * n));
          // Once the first lookup is answered, the next send comes, as a next line would.
          if (n === 1) {
            setTimeout(() => {
              third = producer!.send({ topic: 't', messages: [{ value: 'c' }] });
            }, 5);
          }
        }
        // Topics only when asked for, so the producer's first send has to look 't' up.
        return metadataFor(broker, names.length > 0 ? { t: 1 } : {});
      },
      [ApiKey.InitProducerId]: () => ({
        throttleTimeMs: 0,
        errorCode: 0,
        producerId: 4242n,
        producerEpoch: 0,
      }),
      [ApiKey.Produce]: (req) =>
        produceAnswer(req, (_t, _p, records) => log.append(new RecordBatchHeader(records))),
    });
    const samsa = new Samsa({ brokers: [broker.bootstrap], logger: 'nothing' });
    producer = samsa.producer({ lingerMs: 0, ...fast });
    const first = producer.send({ topic: 't', messages: [{ value: 'a' }] });
    const second = producer.send({ topic: 't', messages: [{ value: 'b' }] });
    await Promise.all([first, second]);
    while (!third) await new Promise((r) => setTimeout(r, 5));
    await third;
    await producer.close();
    await broker.stop();
    assert.deepEqual(log.values, ['a', 'b', 'c']);
  });

  it('fails a send with the broker error, its name and the partition', async () => {
    const { broker, samsa } = await fakeCluster((req) =>
      produceAnswer(req, () => ({
        errorCode: ERR.INVALID_RECORD,
        baseOffset: -1n,
        errorMessage: 'bad record',
      })),
    );
    const producer = samsa.producer(fast);
    const err = await producer
      .send({ topic: 't', messages: [{ value: 'x' }] })
      .catch((e: unknown) => e);
    assert.ok(err instanceof KafkaError);
    assert.equal(err.errorName, 'INVALID_RECORD');
    assert.match(err.message, /t\/0.*bad record/);
    await producer.close();
    await broker.stop();
  });

  it('gives up after deliveryTimeoutMs when the broker keeps answering a retriable error', async () => {
    const { broker, samsa } = await fakeCluster((req) =>
      produceAnswer(req, () => ({ errorCode: ERR.NOT_LEADER_OR_FOLLOWER, baseOffset: -1n })),
    );
    const producer = samsa.producer({ deliveryTimeoutMs: 300, ...fast });
    const err = await producer
      .send({ topic: 't', messages: [{ value: 'x' }] })
      .catch((e: unknown) => e);
    assert.ok(
      err instanceof KafkaError &&
        ['NOT_LEADER_OR_FOLLOWER', 'REQUEST_TIMED_OUT'].includes(err.errorName),
      String(err),
    );
    await producer.close();
    await broker.stop();
  });

  it('counts a duplicate the broker already has as delivered', async () => {
    const { broker, samsa } = await fakeCluster((req) =>
      produceAnswer(req, () => ({ errorCode: ERR.DUPLICATE_SEQUENCE_NUMBER, baseOffset: -1n })),
    );
    const producer = samsa.producer(fast);
    const [m] = await producer.send({ topic: 't', messages: [{ value: 'x' }] });
    assert.equal(m!.offset, -1);
    await producer.close();
    await broker.stop();
  });

  it('sends the batches that queued behind the in-flight limit as one batch', async () => {
    const log = new SequencedLog();
    const batchSizes: number[] = [];
    const { broker, producer, values, first, rest } = await queuedBehindHeldFirst((records) => {
      const batch = new RecordBatchHeader(records);
      batchSizes.push(batch.recordsCount);
      return log.append(batch);
    });
    const [[a], metas] = await Promise.all([first, rest]);
    await producer.close();
    await broker.stop();
    assert.deepEqual(log.values, ['first', ...values]);
    assert.equal(a!.offset, 0);
    assert.deepEqual(
      metas.map((m) => m.offset),
      values.map((_, i) => i + 1),
    );
    // Nine full batches of two records waited behind the first request and went merged, at
    // most 4 x batchSize (800 bytes, 122 a pair counted with the estimate) in one; the open
    // last one (still filling when the slot came free) went on its own.
    assert.deepEqual(batchSizes, [1, 12, 6, 2]);
  });

  it('splits a merged batch the topic refuses as too large, and merges no more', async () => {
    const log = new SequencedLog();
    const batchSizes: number[] = [];
    let refused = 0;
    const { broker, producer, values, first, rest } = await queuedBehindHeldFirst((records) => {
      const batch = new RecordBatchHeader(records);
      // As a topic whose max.message.bytes is the producer's batchSize.
      if (records.length > 200) {
        refused++;
        return { errorCode: ERR.MESSAGE_TOO_LARGE, baseOffset: -1n };
      }
      batchSizes.push(batch.recordsCount);
      return log.append(batch);
    });
    const [, metas] = await Promise.all([first, rest]);
    // More sends queue behind the split parts: they are not merged any more.
    const later = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        producer.send({ topic: 't', messages: [{ value: `later${i}` }] }),
      ),
    );
    await producer.close();
    await broker.stop();
    assert.equal(refused, 1);
    assert.equal(log.duplicates, 0);
    assert.deepEqual(log.values, [
      'first',
      ...values,
      ...Array.from({ length: 6 }, (_, i) => `later${i}`),
    ]);
    assert.deepEqual(
      metas.map((m) => m.offset),
      values.map((_, i) => i + 1),
    );
    assert.equal(later.flat().length, 6);
    assert.ok(batchSizes.slice(1, 11).every((n) => n === 2));
  });

  it('refuses bad options and bad partitions with clear errors', async () => {
    const samsa = new Samsa({ brokers: ['127.0.0.1:1'], logger: 'nothing' });
    assert.throws(() => samsa.producer({ acks: 2 as never }), /acks must be/);
    assert.throws(() => samsa.producer({ idempotent: true, acks: 1 }), /needs acks 'all'/);
    assert.throws(
      () => samsa.producer({ compression: 'brotli' as never }),
      /compression must be one of/,
    );
    const { broker, samsa: s2 } = await fakeCluster((req) =>
      produceAnswer(req, () => ({ errorCode: 0, baseOffset: 0n })),
    );
    const producer = s2.producer(fast);
    await assert.rejects(
      producer.send({ topic: 't', messages: [{ value: 'x', partition: 5 }] }),
      (e: unknown) =>
        e instanceof KafkaError &&
        e.errorName === 'UNKNOWN_TOPIC_OR_PARTITION' &&
        /partition 5/.test(e.message),
    );
    await producer.close();
    await broker.stop();
  });
});

describe('RecordAccumulator', () => {
  const opts = { batchSize: 200, lingerMs: 0, bufferMemory: 250, maxBlockMs: 200 };
  const rec = (v: string) => ({ key: null, value: Buffer.from(v), timestamp: 0 });

  it('starts a new batch when the next record would pass batchSize, and says a batch is full', () => {
    let full = 0;
    const acc = new RecordAccumulator(opts, () => full++);
    const t = new SendTracker(3);
    // A batch starts at 61 bytes of header: 61 + 60 + 60 fits in 200, a third record does not.
    acc.append('t', 0, rec('a'), 60, t, 0, 0);
    acc.append('t', 0, rec('b'), 60, t, 1, 0);
    assert.equal(acc.state('t', 0).queue.length, 1);
    acc.append('t', 0, rec('c'), 60, t, 2, 0);
    const q = acc.state('t', 0).queue;
    assert.deepEqual(
      q.map((b) => b.recordCount),
      [2, 1],
    );
    assert.equal(q[0]!.closed, true);
    assert.ok(full >= 1);
  });

  it('makes senders wait for buffer space in arrival order, and fails them after maxBlockMs', async () => {
    const acc = new RecordAccumulator(opts, () => undefined);
    assert.equal(acc.reserve(200), undefined);
    const order: number[] = [];
    const w1 = acc.reserve(60)!.then(() => order.push(1));
    const w2 = acc.reserve(30)!.then(() => order.push(2));
    assert.equal(acc.memoryPressure, true);
    acc.release(100);
    await Promise.all([w1, w2]);
    assert.deepEqual(order, [1, 2]);
    assert.equal(acc.bufferedBytes, 190);
    await assert.rejects(acc.reserve(200)!, BufferExhaustedError);
    assert.throws(() => acc.reserve(251), /larger than bufferMemory/);
  });
});

// Produce over TCP against the embedded broker: offsets, validation codes (checked against
// Kafka 3.9's KafkaApis/ReplicaManager/LogValidator), acks, idempotence, and that a bad batch
// never stops the broker serving.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { crc32c } from '@node-rs/crc32';
import { FetchApi } from '../../../src/protocol/messages/fetch.js';
import { ListOffsetsApi } from '../../../src/protocol/messages/list-offsets.js';
import { ProduceApi } from '../../../src/protocol/messages/produce.js';
import { buildRecordBatch, CompressionType } from '../../../src/protocol/records/index.js';
import { buildBatch, recordValues } from '../../storage/batches.js';
import { produce, startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(() => broker.stop());

const now = () => Date.now();

async function fetchAll(topic: string, partition = 0, offset = 0n): Promise<Buffer> {
  const c = await broker.client();
  const res = await c.request(FetchApi, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 50_000_000,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition,
            currentLeaderEpoch: -1,
            fetchOffset: offset,
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
  return p.records!;
}

async function logEndOffset(topic: string, partition = 0): Promise<bigint> {
  const c = await broker.client();
  const res = await c.request(ListOffsetsApi, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [
      {
        name: topic,
        partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }],
      },
    ],
  });
  c.close();
  return res.topics[0]!.partitions[0]!.offset!;
}

/** A batch as the producer sent it vs as stored: equal but for baseOffset and leader epoch. */
function assertSameBatch(stored: Buffer, sent: Buffer, baseOffset: number): void {
  assert.equal(stored.length, sent.length);
  assert.equal(Number(stored.readBigInt64BE(0)), baseOffset);
  assert.deepEqual(stored.subarray(8, 12), sent.subarray(8, 12));
  assert.deepEqual(stored.subarray(16), sent.subarray(16));
}

describe('Produce', () => {
  test('every version v3-v11 appends at dense offsets, and Fetch returns the bytes as sent', async () => {
    await broker.createTopic('p-versions');
    const c = await broker.client();
    const sent: Buffer[] = [];
    let expected = 0;
    for (const version of [3, 4, 5, 6, 7, 8, 9, 10, 11]) {
      const batch = buildBatch({ records: (version % 3) + 1, baseTimestamp: now() });
      sent.push(Buffer.from(batch));
      const r = await produce(c, 'p-versions', 0, batch, { version });
      assert.equal(r.errorCode, 0, `v${version}`);
      assert.equal(r.baseOffset, BigInt(expected), `v${version}`);
      if (version >= 2) assert.equal(r.logAppendTimeMs, -1n);
      if (version >= 5) assert.equal(r.logStartOffset, 0n);
      expected += (version % 3) + 1;
    }
    const stored = await fetchAll('p-versions');
    let at = 0;
    let offset = 0;
    for (const s of sent) {
      const b = stored.subarray(at, at + s.length);
      assertSameBatch(b, s, offset);
      assert.equal(b.readInt32BE(12), 0, 'partition leader epoch written by the broker');
      offset += s.readInt32BE(23) + 1;
      at += s.length;
    }
    assert.equal(at, stored.length);
  });

  test('v0-2 with an old message set (magic 0/1) is refused with INVALID_RECORD', async () => {
    await broker.createTopic('p-legacy');
    const c = await broker.client();
    // One magic-1 message: offset, size, crc, magic, attributes, timestamp, key (null), value "x".
    const body = Buffer.alloc(1 + 1 + 8 + 4 + 4 + 1);
    body.writeInt8(1, 0);
    body.writeBigInt64BE(BigInt(now()), 2);
    body.writeInt32BE(-1, 10);
    body.writeInt32BE(1, 14);
    body.write('x', 18);
    const msg = Buffer.alloc(12 + 4 + body.length);
    msg.writeInt32BE(4 + body.length, 8);
    msg.writeUInt32BE(0, 12);
    body.copy(msg, 16);
    for (const version of [0, 1, 2]) {
      const r = await produce(c, 'p-legacy', 0, msg, { version });
      assert.equal(r.errorCode, 87, `v${version}`);
    }
    assert.equal(await logEndOffset('p-legacy'), 0n);
  });

  test('unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION, nothing is auto-created', async () => {
    const c = await broker.client();
    const r = await produce(c, 'p-no-such-topic', 0, buildBatch({ baseTimestamp: now() }));
    assert.equal(r.errorCode, 3);
    assert.equal(r.baseOffset, -1n);
    assert.equal(broker.embedded.broker.topics.topic('p-no-such-topic'), undefined);
    await broker.createTopic('p-one-partition');
    assert.equal((await produce(c, 'p-one-partition', 1, buildBatch())).errorCode, 3);
  });

  test('a corrupt CRC is CORRUPT_MESSAGE and the connection keeps serving', async () => {
    await broker.createTopic('p-crc');
    const c = await broker.client();
    const bad = buildBatch({ records: 2, baseTimestamp: now() });
    bad[bad.length - 1] ^= 0xff;
    const r = await produce(c, 'p-crc', 0, bad);
    assert.equal(r.errorCode, 2);
    assert.match(r.errorMessage ?? '', /crc/i);
    const ok = await produce(c, 'p-crc', 0, buildBatch({ baseTimestamp: now() }));
    assert.equal(ok.errorCode, 0);
    assert.equal(ok.baseOffset, 0n);
  });

  test('a batch over max.message.bytes is MESSAGE_TOO_LARGE', async () => {
    await broker.createTopic('p-large', 1, { 'max.message.bytes': '1000' });
    const c = await broker.client();
    const r = await produce(
      c,
      'p-large',
      0,
      buildBatch({ records: 1, valueSize: 2000, baseTimestamp: now() }),
    );
    assert.equal(r.errorCode, 10);
    assert.equal(r.logStartOffset, -1n);
    const ok = await produce(
      c,
      'p-large',
      0,
      buildBatch({ records: 1, valueSize: 100, baseTimestamp: now() }),
    );
    assert.equal(ok.errorCode, 0);
  });

  test('codec rules: zstd needs v7+, an unknown codec is UNSUPPORTED_COMPRESSION_TYPE', async () => {
    await broker.createTopic('p-codecs');
    const c = await broker.client();
    const zstd = () =>
      buildRecordBatch({
        compression: CompressionType.Zstd,
        records: [{ value: Buffer.from('z'), timestamp: now() }],
      }).buf;
    assert.equal((await produce(c, 'p-codecs', 0, zstd(), { version: 6 })).errorCode, 76);
    assert.equal((await produce(c, 'p-codecs', 0, zstd(), { version: 7 })).errorCode, 0);
    const unknown = buildBatch({ baseTimestamp: now(), attributes: 0x07 });
    unknown.writeUInt32BE(crc32c(unknown.subarray(21)) >>> 0, 17);
    assert.equal((await produce(c, 'p-codecs', 0, unknown)).errorCode, 76);
    for (const compression of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4]) {
      const b = buildRecordBatch({
        compression,
        records: [{ value: Buffer.from('c'), timestamp: now() }],
      });
      assert.equal((await produce(c, 'p-codecs', 0, b.buf)).errorCode, 0);
    }
    assert.equal(await logEndOffset('p-codecs'), 4n);
  });

  test('acks other than 0, 1, -1 is INVALID_REQUIRED_ACKS for every partition', async () => {
    await broker.createTopic('p-acks', 2);
    const c = await broker.client();
    const res = await c.request(ProduceApi, 9, {
      transactionalId: null,
      acks: 2,
      timeoutMs: 1000,
      topicData: [
        {
          name: 'p-acks',
          partitionData: [
            { index: 0, records: buildBatch({ baseTimestamp: now() }) },
            { index: 1, records: buildBatch({ baseTimestamp: now() }) },
          ],
        },
      ],
    });
    assert.deepEqual(
      res.responses[0]!.partitionResponses.map((p) => p.errorCode),
      [21, 21],
    );
    assert.equal(await logEndOffset('p-acks'), 0n);
  });

  test('acks=0 gets no answer but is appended; a failure closes the connection', async () => {
    await broker.createTopic('p-acks0');
    const c = await broker.client();
    c.send(ProduceApi, 9, {
      transactionalId: null,
      acks: 0,
      timeoutMs: 1000,
      topicData: [
        {
          name: 'p-acks0',
          partitionData: [{ index: 0, records: buildBatch({ records: 2, baseTimestamp: now() }) }],
        },
      ],
    });
    // The next request on the connection is answered after the acks=0 one was handled.
    const r = await produce(c, 'p-acks0', 0, buildBatch({ baseTimestamp: now() }), { acks: 1 });
    assert.equal(r.baseOffset, 2n);
    const bad = await broker.client();
    bad.send(ProduceApi, 9, {
      transactionalId: null,
      acks: 0,
      timeoutMs: 1000,
      topicData: [
        { name: 'p-no-such-topic', partitionData: [{ index: 0, records: buildBatch() }] },
      ],
    });
    await bad.closed;
  });

  test('min.insync.replicas: capped at the replication factor, as Kafka 3.9; a shrunk ISR is NOT_ENOUGH_REPLICAS for acks=-1 only', async () => {
    // One replica: Kafka 3.9.1 accepts acks=-1 here (checked side by side), the setting being
    // capped at the replica count.
    await broker.createTopic('p-minisr', 1, { 'min.insync.replicas': '2' });
    const c = await broker.client();
    const single = await produce(c, 'p-minisr', 0, buildBatch({ baseTimestamp: now() }));
    assert.equal(single.errorCode, 0);
    // Two replicas (the other broker does not exist) with only this one in sync.
    const b = broker.embedded.broker;
    await b.topics.createTopic({
      name: 'p-minisr-rf2',
      numPartitions: 1,
      replicationFactor: 2,
      brokers: [b.nodeId, b.nodeId + 1],
      configs: { 'min.insync.replicas': '2' },
    });
    const t = structuredClone(b.topics.topic('p-minisr-rf2')!);
    t.partitions[0]!.leader = b.nodeId;
    t.partitions[0]!.isr = [b.nodeId];
    await b.topics.update(t);
    const all = await produce(c, 'p-minisr-rf2', 0, buildBatch({ baseTimestamp: now() }), {
      acks: -1,
    });
    assert.equal(all.errorCode, 19);
    const one = await produce(c, 'p-minisr-rf2', 0, buildBatch({ baseTimestamp: now() }), {
      acks: 1,
    });
    assert.equal(one.errorCode, 0);
    assert.equal(one.baseOffset, 0n);
  });

  test('idempotence: a retried batch gets its first offsets, a gap is OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch INVALID_PRODUCER_EPOCH', async () => {
    await broker.createTopic('p-idem');
    const c = await broker.client();
    const idem = (seq: number, epoch = 0, records = 2) =>
      buildBatch({
        records,
        producerId: 4242,
        producerEpoch: epoch,
        baseSequence: seq,
        baseTimestamp: now(),
      });
    assert.equal((await produce(c, 'p-idem', 0, idem(0))).baseOffset, 0n);
    assert.equal((await produce(c, 'p-idem', 0, idem(2))).baseOffset, 2n);
    const dup = await produce(c, 'p-idem', 0, idem(0));
    assert.equal(dup.errorCode, 0);
    assert.equal(dup.baseOffset, 0n);
    assert.equal(await logEndOffset('p-idem'), 4n);
    const gap = await produce(c, 'p-idem', 0, idem(7));
    assert.equal(gap.errorCode, 45);
    assert.equal(gap.logStartOffset, 0n);
    assert.equal((await produce(c, 'p-idem', 0, idem(0, 1))).errorCode, 0);
    assert.equal((await produce(c, 'p-idem', 0, idem(4, 0))).errorCode, 47);
    assert.equal(await logEndOffset('p-idem'), 6n);
  });

  test('transactional batches: without a transactional id TRANSACTIONAL_ID_AUTHORIZATION_FAILED, with one INVALID_PRODUCER_ID_MAPPING', async () => {
    await broker.createTopic('p-txn');
    const c = await broker.client();
    const txn = () =>
      buildBatch({
        producerId: 7,
        producerEpoch: 0,
        baseSequence: 0,
        transactional: true,
        baseTimestamp: now(),
      });
    assert.equal((await produce(c, 'p-txn', 0, txn())).errorCode, 53);
    assert.equal((await produce(c, 'p-txn', 0, txn(), { transactionalId: 'tx-1' })).errorCode, 49);
    const plain = await produce(c, 'p-txn', 0, buildBatch({ baseTimestamp: now() }), {
      transactionalId: 'tx-1',
    });
    assert.equal(plain.errorCode, 0);
  });

  test('a compacted topic needs keys: INVALID_RECORD with record errors (v8+)', async () => {
    await broker.createTopic('p-compact', 1, { 'cleanup.policy': 'compact' });
    const c = await broker.client();
    const batch = buildBatch({
      records: [
        { key: 'k', value: 'a' },
        { key: null, value: 'b' },
      ],
      baseTimestamp: now(),
    });
    const r = await produce(c, 'p-compact', 0, batch, { version: 8 });
    assert.equal(r.errorCode, 87);
    assert.deepEqual(
      r.recordErrors!.map((e) => e.batchIndex),
      [1],
    );
    const keyed = buildBatch({ records: [{ key: 'k', value: 'a' }], baseTimestamp: now() });
    assert.equal((await produce(c, 'p-compact', 0, keyed, { version: 8 })).errorCode, 0);
  });

  test('LogAppendTime: the broker stamps the batch and answers the time', async () => {
    await broker.createTopic('p-appendtime', 1, { 'message.timestamp.type': 'LogAppendTime' });
    const c = await broker.client();
    const before = now();
    const r = await produce(c, 'p-appendtime', 0, buildBatch({ records: 2, baseTimestamp: 1000 }));
    assert.equal(r.errorCode, 0);
    const t = Number(r.logAppendTimeMs);
    assert.ok(t >= before && t <= now());
    const stored = await fetchAll('p-appendtime');
    assert.equal(stored.readInt16BE(21) & 0x08, 0x08);
    assert.equal(Number(stored.readBigInt64BE(35)), t);
    assert.deepEqual(recordValues(stored), ['v0', 'v1']);
  });

  test('timestamps outside message.timestamp.before.max.ms are INVALID_TIMESTAMP', async () => {
    await broker.createTopic('p-ts', 1, { 'message.timestamp.before.max.ms': '60000' });
    const c = await broker.client();
    const r = await produce(c, 'p-ts', 0, buildBatch({ baseTimestamp: now() - 3_600_000 }));
    assert.equal(r.errorCode, 32);
  });

  test('an internal topic is INVALID_TOPIC_EXCEPTION for ordinary clients', async () => {
    await broker.createTopic('__consumer_offsets');
    const c = await broker.client();
    const r = await produce(c, '__consumer_offsets', 0, buildBatch({ baseTimestamp: now() }));
    assert.equal(r.errorCode, 17);
  });
});

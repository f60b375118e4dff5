// DeleteRecords over TCP, v0-v2, and what consumers see afterwards.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DeleteRecordsApi } from '../../../src/protocol/messages/delete-records.js';
import { FetchApi } from '../../../src/protocol/messages/fetch.js';
import { ListOffsetsApi } from '../../../src/protocol/messages/list-offsets.js';
import type { WireClient } from '../../helpers/wire-client.js';
import { buildBatch } from '../../storage/batches.js';
import { produce, startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(() => broker.stop());

async function deleteBefore(c: WireClient, version: number, topic: string, offset: number) {
  const res = await c.request(DeleteRecordsApi, version, {
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: BigInt(offset) }] }],
    timeoutMs: 1000,
  });
  const p = res.topics[0]!.partitions[0]!;
  return { error: p.errorCode, low: Number(p.lowWatermark) };
}

async function fetchAt(c: WireClient, topic: string, offset: number) {
  const res = await c.request(FetchApi, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1_000_000,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: BigInt(offset),
            logStartOffset: -1n,
            partitionMaxBytes: 1_000_000,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  });
  return res.responses[0]!.partitions[0]!;
}

test('the log start moves up; fetching below it is OFFSET_OUT_OF_RANGE; beyond the high watermark is refused', async () => {
  await broker.createTopic('dr');
  const c = await broker.client();
  for (let i = 0; i < 5; i++)
    await produce(c, 'dr', 0, buildBatch({ records: 2, baseTimestamp: Date.now() }));
  assert.deepEqual(await deleteBefore(c, 0, 'dr', 3), { error: 0, low: 3 });
  assert.equal((await fetchAt(c, 'dr', 2)).errorCode, 1);
  const inside = await fetchAt(c, 'dr', 3);
  assert.equal(inside.errorCode, 0);
  assert.equal(inside.logStartOffset, 3n);
  assert.equal(
    Number(inside.records!.readBigInt64BE(0)),
    2,
    'the batch holding offset 3 starts at 2',
  );
  assert.deepEqual(
    await deleteBefore(c, 1, 'dr', 1),
    { error: 0, low: 3 },
    'moving down changes nothing',
  );
  assert.deepEqual(await deleteBefore(c, 2, 'dr', 11), { error: 1, low: -1 });
  assert.deepEqual(await deleteBefore(c, 2, 'dr', -5), { error: 1, low: -1 });
  assert.deepEqual(
    await deleteBefore(c, 2, 'dr', -1),
    { error: 0, low: 10 },
    '-1: the high watermark',
  );
  const earliest = await c.request(ListOffsetsApi, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [
      { name: 'dr', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n }] },
    ],
  });
  assert.equal(earliest.topics[0]!.partitions[0]!.offset, 10n);
});

test('unknown partitions and compact-only topics are refused', async () => {
  await broker.createTopic('dr-compact', 1, { 'cleanup.policy': 'compact' });
  const c = await broker.client();
  assert.deepEqual(await deleteBefore(c, 2, 'dr-nope', 0), { error: 3, low: -1 });
  assert.deepEqual(await deleteBefore(c, 2, 'dr-compact', 0), { error: 44, low: -1 });
});

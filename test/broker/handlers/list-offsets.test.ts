// ListOffsets over TCP, v0 to v10: the special timestamps, lookups by timestamp inside batches,
// version gates, duplicates, leader-epoch fencing and the old v0 offsets array.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ListOffsetsApi,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '../../../src/protocol/messages/list-offsets.js';
import type { WireClient } from '../../helpers/wire-client.js';
import { buildBatch } from '../../storage/batches.js';
import { produce, startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
let c: WireClient;
const T0 = Date.now() - 60_000;

before(async () => {
  broker = await startTestBroker();
  c = await broker.client();
  await broker.createTopic('lo', 2);
  // Three batches; record timestamps T0+0..T0+2, T0+10..T0+11, T0+5 (out of order on purpose).
  const batches = [
    buildBatch({
      records: [{ timestamp: T0 }, { timestamp: T0 + 1 }, { timestamp: T0 + 2 }],
      baseTimestamp: T0,
    }),
    buildBatch({
      records: [{ timestamp: T0 + 10 }, { timestamp: T0 + 11 }],
      baseTimestamp: T0 + 10,
    }),
    buildBatch({ records: [{ timestamp: T0 + 5 }], baseTimestamp: T0 + 5 }),
  ];
  for (const b of batches) assert.equal((await produce(c, 'lo', 0, b)).errorCode, 0);
});
after(() => broker.stop());

async function list(
  version: number,
  timestamp: number,
  options: {
    partition?: number;
    topic?: string;
    currentLeaderEpoch?: number;
    isolationLevel?: number;
  } = {},
): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
  const res = await c.request(ListOffsetsApi, version, {
    replicaId: -1,
    isolationLevel: options.isolationLevel ?? 0,
    timeoutMs: 1000,
    topics: [
      {
        name: options.topic ?? 'lo',
        partitions: [
          {
            partitionIndex: options.partition ?? 0,
            currentLeaderEpoch: options.currentLeaderEpoch ?? -1,
            timestamp: BigInt(timestamp),
            maxNumOffsets: 10,
          },
        ],
      },
    ],
  });
  return res.topics[0]!.partitions[0]!;
}

describe('ListOffsets', () => {
  test('latest and earliest at every version v1-v10 (both isolation levels)', async () => {
    for (let v = 1; v <= 10; v++) {
      for (const isolationLevel of [0, 1]) {
        const latest = await list(v, -1, { isolationLevel });
        assert.equal(latest.errorCode, 0);
        assert.equal(latest.offset, 6n, `v${v}`);
        assert.equal(latest.timestamp, -1n);
        if (v >= 4) assert.equal(latest.leaderEpoch, 0);
      }
      const earliest = await list(v, -2);
      assert.equal(earliest.offset, 0n);
      if (v >= 4) assert.equal(earliest.leaderEpoch, 0);
    }
    const empty = await list(7, -1, { partition: 1 });
    assert.equal(empty.offset, 0n);
  });

  test('by timestamp: the first record at or after it, found inside its batch', async () => {
    const at = async (ts: number) => {
      const r = await list(7, ts);
      return [Number(r.offset), Number(r.timestamp)];
    };
    assert.deepEqual(await at(T0 - 1000), [0, T0]);
    assert.deepEqual(await at(T0 + 1), [1, T0 + 1]);
    assert.deepEqual(await at(T0 + 3), [3, T0 + 10]);
    assert.deepEqual(await at(T0 + 11), [4, T0 + 11]);
    assert.deepEqual(await at(T0 + 12), [-1, -1], 'nothing at or after: -1/-1 without an error');
    const none = await list(7, T0, { partition: 1 });
    assert.equal(none.errorCode, 0);
    assert.equal(none.offset, -1n);
  });

  test('max timestamp (v7+), earliest local (v8+), latest tiered (v9+), and their version gates', async () => {
    const max = await list(7, -3);
    assert.equal(max.offset, 4n);
    assert.equal(max.timestamp, BigInt(T0 + 11));
    assert.equal(max.leaderEpoch, 0);
    assert.equal((await list(6, -3)).errorCode, 35);
    assert.equal((await list(8, -4)).offset, 0n);
    assert.equal((await list(7, -4)).errorCode, 35);
    const tiered = await list(9, -5);
    assert.equal(tiered.errorCode, 0);
    assert.equal(tiered.offset, -1n);
    assert.equal((await list(8, -5)).errorCode, 35);
    assert.equal((await list(10, -6)).errorCode, 35);
    const emptyMax = await list(7, -3, { partition: 1 });
    assert.equal(emptyMax.offset, -1n);
  });

  test('errors: unknown topic, duplicate partition, fenced and unknown leader epochs', async () => {
    assert.equal((await list(7, -1, { topic: 'lo-nope' })).errorCode, 3);
    assert.equal((await list(7, -1, { partition: 9 })).errorCode, 3);
    assert.equal((await list(7, -1, { currentLeaderEpoch: 0 })).errorCode, 0);
    assert.equal((await list(7, -1, { currentLeaderEpoch: 3 })).errorCode, 75);
    const dup = await c.request(ListOffsetsApi, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        {
          name: 'lo',
          partitions: [
            { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n },
            { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n },
          ],
        },
      ],
    });
    assert.deepEqual(
      dup.topics[0]!.partitions.map((p) => p.errorCode),
      [42, 42],
    );
  });

  test('v0 answers an offsets array: latest is [log end, segment starts...], earliest [log start]', async () => {
    const latest = await list(0, -1);
    assert.equal(latest.errorCode, 0);
    assert.deepEqual(latest.oldStyleOffsets, [6n, 0n]);
    assert.deepEqual((await list(0, -2)).oldStyleOffsets, [0n]);
    assert.deepEqual((await list(0, T0 - 1)).oldStyleOffsets, []);
    assert.deepEqual((await list(0, -1, { partition: 1 })).oldStyleOffsets, [0n]);
    assert.equal((await list(0, -3)).errorCode, 35);
  });
});

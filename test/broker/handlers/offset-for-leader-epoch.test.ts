// OffsetForLeaderEpoch over TCP, v0-v4: end offsets per epoch from the log's epoch cache.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OffsetForLeaderEpochApi } from '../../../src/protocol/messages/offset-for-leader-epoch.js';
import { buildBatch } from '../../storage/batches.js';
import { produce, startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(() => broker.stop());

test('end offsets per leader epoch, unknown epochs, fencing and unknown partitions at v0-v4', async () => {
  await broker.createTopic('ofle');
  const c = await broker.client();
  const now = Date.now();
  await produce(c, 'ofle', 0, buildBatch({ records: 3, baseTimestamp: now }));
  const registry = broker.embedded.broker.topics;
  const t = structuredClone(registry.topic('ofle')!);
  t.partitions[0]!.leaderEpoch = 2;
  await registry.update(t);
  await produce(c, 'ofle', 0, buildBatch({ records: 2, baseTimestamp: now }));

  const ask = async (
    version: number,
    leaderEpoch: number,
    currentLeaderEpoch = -1,
    topic = 'ofle',
  ) => {
    const res = await c.request(OffsetForLeaderEpochApi, version, {
      replicaId: -1,
      topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }],
    });
    const p = res.topics[0]!.partitions[0]!;
    return { error: p.errorCode, epoch: p.leaderEpoch ?? -1, end: Number(p.endOffset) };
  };
  for (const v of [0, 1, 2, 3, 4]) {
    assert.deepEqual(await ask(v, 2), { error: 0, epoch: v >= 1 ? 2 : -1, end: 5 }, `v${v}`);
    assert.equal((await ask(v, 0)).end, 3);
  }
  // Epoch 1 never led: the largest epoch below it (0) and where epoch 2 starts.
  assert.deepEqual(await ask(4, 1), { error: 0, epoch: 0, end: 3 });
  assert.deepEqual(await ask(4, 5), { error: 0, epoch: -1, end: -1 });
  assert.equal((await ask(4, 2, 1)).error, 74);
  assert.equal((await ask(4, 2, 3)).error, 75);
  assert.equal((await ask(4, 2, 2)).error, 0);
  assert.deepEqual(await ask(4, 0, -1, 'ofle-nope'), { error: 3, epoch: -1, end: -1 });
});

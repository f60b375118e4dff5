// DescribeProducers over TCP: the idempotent producers a partition remembers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DescribeProducersApi } from '../../../src/protocol/messages/describe-producers.js';
import { buildBatch } from '../../storage/batches.js';
import { produce, startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(() => broker.stop());

test('producer id, epoch, last sequence and timestamp per partition; unknown partitions are refused', async () => {
  await broker.createTopic('dp', 2);
  const c = await broker.client();
  const ts = Date.now();
  await produce(
    c,
    'dp',
    0,
    buildBatch({
      records: 3,
      producerId: 11,
      producerEpoch: 2,
      baseSequence: 0,
      baseTimestamp: ts,
    }),
  );
  await produce(
    c,
    'dp',
    0,
    buildBatch({
      records: 2,
      producerId: 11,
      producerEpoch: 2,
      baseSequence: 3,
      baseTimestamp: ts,
    }),
  );
  await produce(c, 'dp', 0, buildBatch({ records: 1, baseTimestamp: ts }));
  const res = await c.request(DescribeProducersApi, 0, {
    topics: [
      { name: 'dp', partitionIndexes: [0, 1, 4] },
      { name: 'dp-nope', partitionIndexes: [0] },
    ],
  });
  const [p0, p1, p4] = res.topics[0]!.partitions;
  assert.equal(p0!.errorCode, 0);
  assert.deepEqual(p0!.activeProducers, [
    {
      producerId: 11n,
      producerEpoch: 2,
      lastSequence: 4,
      lastTimestamp: BigInt(ts),
      coordinatorEpoch: -1,
      currentTxnStartOffset: -1n,
    },
  ]);
  assert.deepEqual(p1!.activeProducers, []);
  assert.equal(p4!.errorCode, 3);
  assert.equal(res.topics[1]!.partitions[0]!.errorCode, 3);
});

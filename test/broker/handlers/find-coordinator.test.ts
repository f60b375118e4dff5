import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EmbeddedBroker, startBroker } from '../../../src/broker/index.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { FindCoordinatorApi } from '../../../src/protocol/messages/find-coordinator.js';
import { WireClient } from '../../helpers/wire-client.js';

let broker: EmbeddedBroker;
let client: WireClient;
before(async () => {
  broker = await startBroker({
    config: { 'offsets.topic.num.partitions': '7', 'offsets.topic.replication.factor': '3' },
  });
  client = await WireClient.connect(broker.port);
});
after(async () => {
  client.close();
  await broker.stop();
});

test('the first lookup creates __consumer_offsets (COORDINATOR_NOT_AVAILABLE until it exists), like Kafka', async () => {
  const first = await client.request(FindCoordinatorApi, 1, { key: 'g', keyType: 0 });
  assert.equal(first.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(first.errorMessage, 'The coordinator is not available.');
  assert.deepEqual([first.nodeId, first.host, first.port], [-1, '', -1]);
  let r = first;
  for (let i = 0; i < 100 && r.errorCode !== 0; i++) {
    await new Promise((res) => setTimeout(res, 10));
    r = await client.request(FindCoordinatorApi, 1, { key: 'g', keyType: 0 });
  }
  assert.equal(r.errorCode, 0);
  assert.equal(r.errorMessage, 'NONE');
  assert.deepEqual([r.nodeId, r.host, r.port], [1, '127.0.0.1', broker.port]);
  const topic = broker.broker.topics.topic('__consumer_offsets')!;
  assert.equal(topic.partitions.length, 7);
  assert.equal(
    topic.partitions[0]!.replicas.length,
    1,
    'replication factor capped by the live brokers',
  );
  assert.equal(topic.configs['cleanup.policy'], 'compact');
  assert.equal(topic.configs['segment.bytes'], String(100 * 1024 * 1024));
});

test('every version: v0 (no key type) to v3 single key, v4-v6 batched keys', async () => {
  for (let v = 0; v <= 3; v++) {
    const r = await client.request(FindCoordinatorApi, v, { key: `g${v}`, keyType: 0 });
    assert.equal(r.errorCode, 0, `v${v}`);
    assert.equal(r.port, broker.port, `v${v}`);
  }
  for (let v = 4; v <= 6; v++) {
    const r = await client.request(FindCoordinatorApi, v, {
      keyType: 0,
      coordinatorKeys: ['a', 'b', ''],
    });
    assert.deepEqual(
      r.coordinators!.map((c) => [c.key, c.errorCode, c.nodeId, c.port]),
      [
        ['a', 0, 1, broker.port],
        ['b', 0, 1, broker.port],
        ['', 0, 1, broker.port],
      ],
      `v${v}`,
    );
  }
});

test('transaction coordinators are not served yet; unknown key types are invalid', async () => {
  const txn = await client.request(FindCoordinatorApi, 4, { keyType: 1, coordinatorKeys: ['t'] });
  assert.equal(txn.coordinators![0]!.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const share = await client.request(FindCoordinatorApi, 6, { keyType: 2, coordinatorKeys: ['s'] });
  assert.equal(share.coordinators![0]!.errorCode, ErrorCode.INVALID_REQUEST);
  const bad = await client.request(FindCoordinatorApi, 3, { key: 'x', keyType: 9 });
  assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST);
});

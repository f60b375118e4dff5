// CreatePartitions v0-3 against an embedded broker: growing, the errors Kafka 3.9 gives for the
// same requests, manual assignments, validateOnly, and the new partitions' logs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CreatePartitionsApi,
  type CreatePartitionsRequestCreatePartitionsTopic,
} from '../../../src/protocol/messages/create-partitions.js';
import { type AdminTestBroker, errorName, startAdminBroker } from './admin-helpers.js';

let b: AdminTestBroker;
let nodeId: number;
before(async () => {
  b = await startAdminBroker();
  const { broker } = b.embedded;
  nodeId = broker.nodeId;
  for (const name of ['grow', 'g2', 'g3', 'g4', 'g5', 'dry']) {
    await broker.topics.createTopic({
      name,
      numPartitions: 1,
      replicationFactor: 1,
      brokers: broker.liveBrokerIds(),
    });
  }
});
after(() => b.stop());

const grow = (
  name: string,
  count: number,
  assignments: number[][] | null = null,
): CreatePartitionsRequestCreatePartitionsTopic => ({
  name,
  count,
  assignments: assignments === null ? null : assignments.map((brokerIds) => ({ brokerIds })),
});

async function send(
  version: number,
  topics: CreatePartitionsRequestCreatePartitionsTopic[],
  options: { validateOnly?: boolean; timeoutMs?: number } = {},
) {
  const c = await b.client();
  const res = await c.request(CreatePartitionsApi, version, {
    topics,
    timeoutMs: options.timeoutMs ?? 5000,
    validateOnly: options.validateOnly ?? false,
  });
  return res.results.map((r) => [r.name, errorName(r.errorCode), r.errorMessage] as const);
}

test('every version grows a topic, and the new partitions get logs', async () => {
  const { broker } = b.embedded;
  for (let v = 0; v <= 3; v++) {
    const [[, error, message]] = await send(v, [grow('grow', v + 2)]);
    assert.equal(error, 'NONE', `v${v}`);
    assert.equal(message, null);
    assert.equal(broker.topics.topic('grow')?.partitions.length, v + 2);
    assert.ok(broker.replicaManager.partition('grow', v + 1));
  }
});

test('the count must grow; unknown topics, duplicates and bad assignments are refused', async () => {
  const results = await send(3, [
    grow('grow', 5),
    grow('g2', 0),
    grow('nope', 3),
    grow('bad name', 3),
    grow('g3', 3, [[nodeId]]),
    grow('g4', 3, [[nodeId], [nodeId + 6]]),
    grow('g5', 3, [[nodeId, nodeId], [nodeId]]),
    grow('dup', 2),
    grow('dup', 3),
  ]);
  assert.deepEqual(
    results.map(([name, error]) => [name, error]),
    [
      ['grow', 'INVALID_PARTITIONS'],
      ['g2', 'INVALID_PARTITIONS'],
      ['nope', 'UNKNOWN_TOPIC_OR_PARTITION'],
      ['bad name', 'UNKNOWN_TOPIC_OR_PARTITION'],
      ['g3', 'INVALID_REPLICA_ASSIGNMENT'],
      ['g4', 'INVALID_REPLICA_ASSIGNMENT'],
      ['g5', 'INVALID_REPLICA_ASSIGNMENT'],
      ['dup', 'INVALID_REQUEST'],
    ],
  );
  for (const [name, error, message] of results)
    assert.ok(message, `${name} ${error} has a message`);
  for (const name of ['g2', 'g3', 'g4', 'g5']) {
    assert.equal(b.embedded.broker.topics.topic(name)?.partitions.length, 1, name);
  }
});

test('manual assignments place the new partitions', async () => {
  const [[, error]] = await send(1, [grow('g3', 3, [[nodeId], [nodeId]])]);
  assert.equal(error, 'NONE');
  assert.deepEqual(
    b.embedded.broker.topics.topic('g3')?.partitions.map((p) => p.replicas),
    [[nodeId], [nodeId], [nodeId]],
  );
});

test('validateOnly and an expired timeout change nothing', async () => {
  assert.deepEqual(await send(2, [grow('dry', 4)], { validateOnly: true }), [
    ['dry', 'NONE', null],
  ]);
  assert.deepEqual(await send(2, [grow('dry', 4)], { timeoutMs: 0 }), [
    ['dry', 'REQUEST_TIMED_OUT', null],
  ]);
  assert.equal(b.embedded.broker.topics.topic('dry')?.partitions.length, 1);
  assert.equal(b.embedded.broker.replicaManager.partition('dry', 1), undefined);
});

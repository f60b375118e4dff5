// CreateTopics v0-7 against an embedded broker: defaults, manual assignments, config checks,
// validateOnly, per-topic errors and what v5+/v7 answer, with the rules Kafka 3.9 showed for the
// same requests (tools/capture/kafka-broker.sh, compared by hand).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CreateTopicsApi,
  type CreateTopicsRequestCreatableTopic,
} from '../../../src/protocol/messages/create-topics.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import { type AdminTestBroker, errorName, startAdminBroker } from './admin-helpers.js';

let b: AdminTestBroker;
before(async () => {
  b = await startAdminBroker({ 'num.partitions': '3', 'log.segment.bytes': '2097152' });
});
after(() => b.stop());

const topic = (
  name: string,
  numPartitions = 1,
  replicationFactor = 1,
  more: Partial<CreateTopicsRequestCreatableTopic> = {},
): CreateTopicsRequestCreatableTopic => ({
  name,
  numPartitions,
  replicationFactor,
  assignments: [],
  configs: [],
  ...more,
});

async function create(
  version: number,
  topics: CreateTopicsRequestCreatableTopic[],
  options: { validateOnly?: boolean; timeoutMs?: number } = {},
) {
  const c = await b.client();
  const res = await c.request(CreateTopicsApi, version, {
    topics,
    timeoutMs: options.timeoutMs ?? 10_000,
    validateOnly: options.validateOnly ?? false,
  });
  return res.topics;
}

test('every version creates topics; v5+ answers counts and settings, v7 the topic id', async () => {
  const registry = b.embedded.broker.topics;
  for (let v = 0; v <= 7; v++) {
    const [r] = await create(v, [topic(`v${v}`, 2)]);
    assert.equal(errorName(r!.errorCode), 'NONE', `v${v}`);
    const created = registry.topic(`v${v}`);
    assert.equal(created?.partitions.length, 2);
    // The replica manager follows the registry: the logs are open.
    assert.ok(b.embedded.broker.replicaManager.partition(`v${v}`, 1));
    if (v >= 1) assert.equal(r!.errorMessage, null);
    if (v >= 5) {
      assert.equal(r!.numPartitions, 2);
      assert.equal(r!.replicationFactor, 1);
      assert.equal(r!.topicConfigErrorCode, 0);
      assert.ok(r!.configs!.some((c) => c.name === 'retention.ms'));
    }
    assert.equal(r!.topicId, v >= 7 ? created!.topicId : ZERO_UUID);
  }
});

test('-1 takes num.partitions and default.replication.factor; configs answered with sources', async () => {
  const [r] = await create(7, [
    topic('defaults', -1, -1, {
      configs: [
        { name: 'retention.ms', value: '1000' },
        { name: 'cleanup.policy', value: 'compact, delete' },
      ],
    }),
  ]);
  assert.equal(r!.errorCode, 0);
  assert.equal(r!.numPartitions, 3);
  assert.equal(r!.replicationFactor, 1);
  const source = (name: string) => {
    const c = r!.configs!.find((x) => x.name === name)!;
    return [c.value, c.configSource, c.readOnly, c.isSensitive];
  };
  assert.deepEqual(source('retention.ms'), ['1000', 1, false, false]);
  assert.deepEqual(source('cleanup.policy'), ['compact,delete', 1, false, false]);
  assert.deepEqual(source('segment.bytes'), ['2097152', 4, false, false]);
  assert.deepEqual(source('retention.bytes'), ['-1', 5, false, false]);
  const names = r!.configs!.map((c) => c.name);
  assert.deepEqual(names, [...names].sort(), 'sorted by name, as Kafka');
  assert.deepEqual(b.embedded.broker.topics.topic('defaults')?.configs, {
    'retention.ms': '1000',
    'cleanup.policy': 'compact, delete',
  });
  const log = b.embedded.broker.replicaManager.partition('defaults', 0)!.log;
  assert.equal(log.config.retentionMs, 1000);
  assert.deepEqual(log.config.cleanupPolicy, ['compact', 'delete']);
});

test('each topic gets its own error, as Kafka answers them', async () => {
  await create(7, [topic('taken')]);
  const results = await create(7, [
    topic('taken'),
    topic('rf3', 1, 3),
    topic('np0', 0),
    topic('rf0', 1, 0),
    topic('npneg', -2),
    topic('bad name'),
    topic(''),
    topic('x'.repeat(250)),
    topic('badcfg', 1, 1, { configs: [{ name: 'retention.ms', value: 'abc' }] }),
    topic('unkcfg', 1, 1, { configs: [{ name: 'foo.bar', value: '1' }] }),
    topic('brokercfg', 1, 1, { configs: [{ name: 'log.retention.ms', value: '1' }] }),
    topic('nullcfg', 1, 1, { configs: [{ name: 'retention.ms', value: null }] }),
    topic('cleanbad', 1, 1, { configs: [{ name: 'cleanup.policy', value: 'foo' }] }),
    topic('dup'),
    topic('dup', 2),
    topic('__cluster_metadata'),
    topic('ok'),
  ]);
  assert.deepEqual(
    results.map((r) => [r.name.slice(0, 20), errorName(r.errorCode)]),
    [
      ['taken', 'TOPIC_ALREADY_EXISTS'],
      ['rf3', 'INVALID_REPLICATION_FACTOR'],
      ['np0', 'INVALID_PARTITIONS'],
      ['rf0', 'INVALID_REPLICATION_FACTOR'],
      ['npneg', 'INVALID_PARTITIONS'],
      ['bad name', 'INVALID_TOPIC_EXCEPTION'],
      ['', 'INVALID_TOPIC_EXCEPTION'],
      ['x'.repeat(20), 'INVALID_TOPIC_EXCEPTION'],
      ['badcfg', 'INVALID_CONFIG'],
      ['unkcfg', 'INVALID_CONFIG'],
      ['brokercfg', 'INVALID_CONFIG'],
      ['nullcfg', 'INVALID_CONFIG'],
      ['cleanbad', 'INVALID_CONFIG'],
      ['dup', 'INVALID_REQUEST'],
      ['__cluster_metadata', 'INVALID_REQUEST'],
      ['ok', 'NONE'],
    ],
  );
  for (const r of results.filter((x) => x.errorCode !== 0)) {
    assert.ok(r.errorMessage, `${r.name} has a message`);
    assert.equal(r.numPartitions, -1);
    assert.equal(r.topicId, ZERO_UUID);
  }
  assert.match(results[8]!.errorMessage!, /retention\.ms/, 'the message names the setting');
  assert.equal(b.embedded.broker.topics.topic('dup'), undefined);
  assert.equal(b.embedded.broker.topics.topic('badcfg'), undefined);
});

test('a name colliding with another through . and _ is refused', async () => {
  await create(7, [topic('a.b')]);
  const [r] = await create(7, [topic('a_b')]);
  assert.equal(errorName(r!.errorCode), 'INVALID_TOPIC_EXCEPTION');
  assert.match(r!.errorMessage!, /a\.b/);
});

test('manual assignments need -1 counts, consecutive partitions and registered brokers', async () => {
  const nodeId = b.embedded.broker.nodeId;
  const as = (...lists: [number, number[]][]) =>
    lists.map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds }));
  const results = await create(7, [
    topic('as-ok', -1, -1, { assignments: as([1, [nodeId]], [0, [nodeId]]) }),
    topic('as-rf', -1, 1, { assignments: as([0, [nodeId]]) }),
    topic('as-np', 1, -1, { assignments: as([0, [nodeId]]) }),
    topic('as-gap', -1, -1, { assignments: as([0, [nodeId]], [2, [nodeId]]) }),
    topic('as-dup', -1, -1, { assignments: as([0, [nodeId]], [0, [nodeId]]) }),
    topic('as-unknown', -1, -1, { assignments: as([0, [nodeId + 6]]) }),
    topic('as-twice', -1, -1, { assignments: as([0, [nodeId, nodeId]]) }),
    topic('as-empty', -1, -1, { assignments: as([0, []]) }),
  ]);
  assert.deepEqual(
    results.map((r) => [r.name, errorName(r.errorCode)]),
    [
      ['as-ok', 'NONE'],
      ['as-rf', 'INVALID_REQUEST'],
      ['as-np', 'INVALID_REQUEST'],
      ['as-gap', 'INVALID_REPLICA_ASSIGNMENT'],
      ['as-dup', 'INVALID_REPLICA_ASSIGNMENT'],
      ['as-unknown', 'INVALID_REPLICA_ASSIGNMENT'],
      ['as-twice', 'INVALID_REPLICA_ASSIGNMENT'],
      ['as-empty', 'INVALID_REPLICA_ASSIGNMENT'],
    ],
  );
  assert.equal(results[0]!.numPartitions, 2);
  assert.deepEqual(
    b.embedded.broker.topics.topic('as-ok')?.partitions.map((p) => p.replicas),
    [[nodeId], [nodeId]],
  );
});

test('validateOnly answers as if created and creates nothing', async () => {
  const [r] = await create(
    7,
    [topic('dry', 4, 1, { configs: [{ name: 'retention.ms', value: '5' }] })],
    {
      validateOnly: true,
    },
  );
  assert.equal(r!.errorCode, 0);
  assert.equal(r!.numPartitions, 4);
  assert.equal(r!.configs!.find((c) => c.name === 'retention.ms')?.configSource, 1);
  assert.equal(b.embedded.broker.topics.topic('dry'), undefined);
  assert.equal(b.embedded.broker.replicaManager.partition('dry', 0), undefined);
  const [bad] = await create(3, [topic('taken')], { validateOnly: true });
  assert.equal(errorName(bad!.errorCode), 'TOPIC_ALREADY_EXISTS');
});

test('a timeout that has already run out creates nothing (REQUEST_TIMED_OUT, like Kafka 3.9)', async () => {
  for (const timeoutMs of [0, -1]) {
    const [r] = await create(7, [topic(`late${-timeoutMs}`)], { timeoutMs });
    assert.equal(errorName(r!.errorCode), 'REQUEST_TIMED_OUT');
    assert.equal(b.embedded.broker.topics.topic(`late${-timeoutMs}`), undefined);
  }
});

test('internal topic names other than __cluster_metadata may be created, as on Kafka', async () => {
  const [r] = await create(7, [topic('__transaction_state', 2)], { validateOnly: true });
  assert.equal(r!.errorCode, 0);
});

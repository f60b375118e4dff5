// AlterConfigs v0-2 and IncrementalAlterConfigs v0-1 against an embedded broker: what each
// operation leaves as the topic's overrides (checked against what Kafka 3.9 left for the same
// requests), the errors, broker resources, validateOnly, and that the logs follow at once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AlterConfigsApi,
  type AlterConfigsRequestAlterConfigsResource,
} from '../../../src/protocol/messages/alter-configs.js';
import {
  IncrementalAlterConfigsApi,
  type IncrementalAlterConfigsRequestAlterConfigsResource,
} from '../../../src/protocol/messages/incremental-alter-configs.js';
import { buildRecordBatch } from '../../../src/protocol/records/builder.js';
import { type AdminTestBroker, errorName, startAdminBroker } from './admin-helpers.js';

const TOPIC = 2;
const BROKER = 4;
const [SET, DELETE, APPEND, SUBTRACT] = [0, 1, 2, 3];

let b: AdminTestBroker;
before(async () => {
  b = await startAdminBroker();
  const { broker } = b.embedded;
  for (const name of ['t1', 't2', 't3', 'live']) {
    await broker.topics.createTopic({
      name,
      numPartitions: 1,
      replicationFactor: 1,
      brokers: broker.liveBrokerIds(),
      configs: name === 't2' ? { 'retention.ms': '1000' } : {},
    });
  }
});
after(() => b.stop());

const overrides = (name: string) => b.embedded.broker.topics.topic(name)?.configs;

async function legacy(
  version: number,
  resources: AlterConfigsRequestAlterConfigsResource[],
  validateOnly = false,
) {
  const c = await b.client();
  const res = await c.request(AlterConfigsApi, version, { resources, validateOnly });
  return res.responses.map((r) => [r.resourceName, errorName(r.errorCode), r.errorMessage]);
}

async function incremental(
  version: number,
  resources: IncrementalAlterConfigsRequestAlterConfigsResource[],
  validateOnly = false,
) {
  const c = await b.client();
  const res = await c.request(IncrementalAlterConfigsApi, version, { resources, validateOnly });
  return res.responses.map((r) => [r.resourceName, errorName(r.errorCode), r.errorMessage]);
}

const op = (name: string, configOperation: number, value: string | null = null) => ({
  name,
  configOperation,
  value,
});

test('AlterConfigs replaces a topic’s overrides wholesale, in every version', async () => {
  for (let v = 0; v <= 2; v++) {
    const set = await legacy(v, [
      {
        resourceType: TOPIC,
        resourceName: 't2',
        configs: [{ name: 'retention.bytes', value: String(12345 + v) }],
      },
    ]);
    assert.deepEqual(set, [['t2', 'NONE', null]], `v${v}`);
    assert.deepEqual(overrides('t2'), { 'retention.bytes': String(12345 + v) });
  }
  assert.deepEqual(await legacy(0, [{ resourceType: TOPIC, resourceName: 't2', configs: [] }]), [
    ['t2', 'NONE', null],
  ]);
  assert.deepEqual(overrides('t2'), {});
});

test('AlterConfigs errors, each resource on its own', async () => {
  const nodeId = String(b.embedded.broker.nodeId);
  const results = await legacy(
    2,
    [
      {
        resourceType: TOPIC,
        resourceName: 'nope',
        configs: [{ name: 'retention.ms', value: '1' }],
      },
      {
        resourceType: TOPIC,
        resourceName: 't1',
        configs: [{ name: 'retention.ms', value: 'abc' }],
      },
      { resourceType: TOPIC, resourceName: 't3', configs: [{ name: 'nope.config', value: '1' }] },
      { resourceType: TOPIC, resourceName: 't2', configs: [{ name: 'retention.ms', value: null }] },
      { resourceType: TOPIC, resourceName: 'bad name', configs: [] },
      {
        resourceType: BROKER,
        resourceName: nodeId,
        configs: [{ name: 'num.partitions', value: '3' }],
      },
      {
        resourceType: BROKER,
        resourceName: '',
        configs: [{ name: 'log.retention.ms', value: '9' }],
      },
      { resourceType: BROKER, resourceName: '77', configs: [] },
      { resourceType: 8, resourceName: nodeId, configs: [] },
      { resourceType: 99, resourceName: 'x', configs: [] },
      {
        resourceType: TOPIC,
        resourceName: 't3',
        configs: [
          { name: 'retention.ms', value: '1' },
          { name: 'retention.ms', value: '2' },
        ],
      },
    ],
    true,
  );
  assert.deepEqual(
    results.map(([name, error]) => [name, error]),
    [
      ['nope', 'UNKNOWN_TOPIC_OR_PARTITION'],
      ['t1', 'INVALID_CONFIG'],
      ['t3', 'INVALID_REQUEST'],
      ['t2', 'INVALID_REQUEST'],
      ['bad name', 'INVALID_TOPIC_EXCEPTION'],
      [nodeId, 'INVALID_REQUEST'],
      ['', 'INVALID_REQUEST'],
      ['77', 'INVALID_REQUEST'],
      [nodeId, 'INVALID_REQUEST'],
      ['x', 'INVALID_REQUEST'],
      ['t3', 'INVALID_REQUEST'],
    ],
    'the two t3 resources are duplicates of each other',
  );
  const alone = await legacy(1, [
    { resourceType: TOPIC, resourceName: 't3', configs: [{ name: 'nope.config', value: '1' }] },
    { resourceType: BROKER, resourceName: nodeId, configs: [] },
  ]);
  assert.deepEqual(
    alone.map(([, error]) => error),
    ['INVALID_CONFIG', 'NONE'],
  );
  assert.match(String(alone[0]![2]), /nope\.config/);
  assert.match(String(results[5]![2]), /num\.partitions/);
});

test('IncrementalAlterConfigs SET, DELETE, APPEND and SUBTRACT, as Kafka 3.9 left them', async () => {
  const steps: [IncrementalAlterConfigsRequestAlterConfigsResource['configs'], object][] = [
    [
      [op('retention.ms', SET, '5000'), op('cleanup.policy', SET, 'delete')],
      {
        'retention.ms': '5000',
        'cleanup.policy': 'delete',
      },
    ],
    [
      [op('cleanup.policy', APPEND, 'compact')],
      { 'retention.ms': '5000', 'cleanup.policy': 'delete,compact' },
    ],
    [
      [op('cleanup.policy', APPEND, 'compact,delete')],
      {
        'retention.ms': '5000',
        'cleanup.policy': 'delete,compact',
      },
    ],
    [
      [op('cleanup.policy', SUBTRACT, 'delete')],
      { 'retention.ms': '5000', 'cleanup.policy': 'compact' },
    ],
    [[op('cleanup.policy', SUBTRACT, 'compact')], { 'retention.ms': '5000', 'cleanup.policy': '' }],
    [[op('retention.ms', DELETE), op('cleanup.policy', DELETE), op('segment.ms', DELETE)], {}],
    // APPEND starts from the current value, the default delete when there is no override.
    [[op('cleanup.policy', APPEND, 'compact')], { 'cleanup.policy': 'delete,compact' }],
  ];
  for (const [i, [configs, expected]] of steps.entries()) {
    const result = await incremental(i % 2, [{ resourceType: TOPIC, resourceName: 't1', configs }]);
    assert.deepEqual(result, [['t1', 'NONE', null]], `step ${i}`);
    assert.deepEqual(overrides('t1'), expected, `step ${i}`);
  }
});

test('IncrementalAlterConfigs errors, each resource on its own; validateOnly changes nothing', async () => {
  const nodeId = String(b.embedded.broker.nodeId);
  const before = { ...overrides('t3') };
  const results = await incremental(
    1,
    [
      { resourceType: TOPIC, resourceName: 't3', configs: [op('retention.ms', APPEND, '5')] },
      { resourceType: TOPIC, resourceName: 't2', configs: [op('retention.ms', SET, 'x')] },
      { resourceType: TOPIC, resourceName: 't1', configs: [op('nope', SET, '1')] },
      { resourceType: TOPIC, resourceName: 'live', configs: [op('retention.ms', SET, null)] },
      { resourceType: TOPIC, resourceName: 'nope', configs: [op('retention.ms', SET, '1')] },
      { resourceType: TOPIC, resourceName: 'bad name', configs: [op('retention.ms', SET, '1')] },
      { resourceType: TOPIC, resourceName: 'a', configs: [op('retention.ms', 9, '1')] },
      {
        resourceType: TOPIC,
        resourceName: 'b',
        configs: [op('retention.ms', SET, '1'), op('retention.ms', DELETE)],
      },
      {
        resourceType: TOPIC,
        resourceName: 'c',
        configs: [op('cleanup.policy', SET, 'compact,foo')],
      },
      {
        resourceType: BROKER,
        resourceName: nodeId,
        configs: [op('log.retention.ms', SET, '1000')],
      },
      { resourceType: BROKER, resourceName: 'abc', configs: [] },
      { resourceType: 99, resourceName: 'x', configs: [] },
    ],
    true,
  );
  assert.deepEqual(
    results.map(([name, error]) => [name, error]),
    [
      ['t3', 'INVALID_CONFIG'],
      ['t2', 'INVALID_CONFIG'],
      ['t1', 'INVALID_CONFIG'],
      ['live', 'INVALID_REQUEST'],
      ['nope', 'UNKNOWN_TOPIC_OR_PARTITION'],
      ['bad name', 'INVALID_TOPIC_EXCEPTION'],
      ['a', 'UNKNOWN_TOPIC_OR_PARTITION'],
      ['b', 'INVALID_REQUEST'],
      ['c', 'UNKNOWN_TOPIC_OR_PARTITION'],
      [nodeId, 'INVALID_REQUEST'],
      ['abc', 'INVALID_REQUEST'],
      ['x', 'INVALID_REQUEST'],
    ],
  );
  const onExisting = await incremental(0, [
    { resourceType: TOPIC, resourceName: 't3', configs: [op('retention.ms', 9, '1')] },
  ]);
  assert.equal(onExisting[0]![1], 'INVALID_REQUEST', 'unknown operation');
  const valid = await incremental(
    1,
    [{ resourceType: TOPIC, resourceName: 't3', configs: [op('retention.ms', SET, '4242')] }],
    true,
  );
  assert.deepEqual(valid, [['t3', 'NONE', null]]);
  assert.deepEqual(overrides('t3'), before);
});

test('changes reach the topic’s logs at once: retention deletes what the new setting expires', async () => {
  const { broker } = b.embedded;
  const log = broker.replicaManager.partition('live', 0)!.log;
  const batch = (timestamp: number) =>
    buildRecordBatch({ records: [{ value: Buffer.from('v'), timestamp }] }).buf;
  // A segment with a record from 1970, old enough for any time-based retention, then a new one.
  log.append(batch(1000));
  log.roll();
  log.append(batch(Date.now()));
  assert.deepEqual(
    await incremental(1, [
      { resourceType: TOPIC, resourceName: 'live', configs: [op('retention.ms', SET, '-1')] },
    ]),
    [['live', 'NONE', null]],
  );
  assert.equal(log.config.retentionMs, -1);
  broker.logManager.runRetention();
  assert.equal(log.logStartOffset, 0, 'kept forever');

  assert.deepEqual(
    await legacy(1, [
      {
        resourceType: TOPIC,
        resourceName: 'live',
        configs: [
          { name: 'retention.ms', value: '60000' },
          { name: 'segment.bytes', value: '1048576' },
        ],
      },
    ]),
    [['live', 'NONE', null]],
  );
  assert.equal(log.config.retentionMs, 60_000);
  assert.equal(log.config.segmentBytes, 1_048_576);
  broker.logManager.runRetention();
  assert.equal(log.logStartOffset, 1, 'the old segment went once retention.ms allowed it');

  await legacy(0, [{ resourceType: TOPIC, resourceName: 'live', configs: [] }]);
  assert.equal(log.config.retentionMs, 7 * 24 * 3_600_000, 'back to the default');
});

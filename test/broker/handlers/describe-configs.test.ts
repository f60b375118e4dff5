// DescribeConfigs v0-4 against an embedded broker started with some broker settings: topic and
// broker resources, sources and synonyms as Kafka lists them, the configuration_keys filter,
// the fields each version carries, and the errors for resources that do not exist.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DescribeConfigsApi,
  type DescribeConfigsRequestDescribeConfigsResource,
  type DescribeConfigsResponseDescribeConfigsResult,
} from '../../../src/protocol/messages/describe-configs.js';
import { LOG_CONFIG_NAMES } from '../../../src/storage/log-config.js';
import { type AdminTestBroker, errorName, startAdminBroker } from './admin-helpers.js';

const TOPIC = 2;
const BROKER = 4;
const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;

let b: AdminTestBroker;
before(async () => {
  b = await startAdminBroker({ 'log.segment.bytes': '2097152', 'log.retention.hours': '24' });
  const { broker } = b.embedded;
  await broker.topics.createTopic({
    name: 'orders',
    numPartitions: 1,
    replicationFactor: 1,
    brokers: broker.liveBrokerIds(),
    configs: { 'retention.bytes': '1048576', 'cleanup.policy': 'compact' },
  });
});
after(() => b.stop());

const resource = (
  resourceType: number,
  resourceName: string,
  configurationKeys: string[] | null = null,
): DescribeConfigsRequestDescribeConfigsResource => ({
  resourceType,
  resourceName,
  configurationKeys,
});

async function describe(
  version: number,
  resources: DescribeConfigsRequestDescribeConfigsResource[],
  includeSynonyms = false,
  includeDocumentation = false,
): Promise<DescribeConfigsResponseDescribeConfigsResult[]> {
  const c = await b.client();
  const res = await c.request(DescribeConfigsApi, version, {
    resources,
    includeSynonyms,
    includeDocumentation,
  });
  return res.results;
}

const entry = (r: DescribeConfigsResponseDescribeConfigsResult, name: string) =>
  r.configs.find((c) => c.name === name)!;

test('a topic lists every topic setting with its value and where it comes from', async () => {
  const [r] = await describe(4, [resource(TOPIC, 'orders')]);
  assert.equal(r!.errorCode, 0);
  assert.deepEqual(
    r!.configs.map((c) => c.name),
    [...LOG_CONFIG_NAMES].sort(),
  );
  const brief = (name: string) => {
    const c = entry(r!, name);
    return [c.value, c.configSource, c.readOnly, c.isSensitive];
  };
  assert.deepEqual(brief('retention.bytes'), ['1048576', DYNAMIC_TOPIC_CONFIG, false, false]);
  assert.deepEqual(brief('cleanup.policy'), ['compact', DYNAMIC_TOPIC_CONFIG, false, false]);
  assert.deepEqual(brief('segment.bytes'), ['2097152', STATIC_BROKER_CONFIG, false, false]);
  // log.retention.hours=24 is the broker-wide default of retention.ms.
  assert.deepEqual(brief('retention.ms'), ['86400000', STATIC_BROKER_CONFIG, false, false]);
  assert.deepEqual(brief('max.message.bytes'), ['1048588', DEFAULT_CONFIG, false, false]);
  assert.deepEqual(brief('flush.messages'), ['9223372036854775807', DEFAULT_CONFIG, false, false]);
  assert.equal(entry(r!, 'segment.bytes').configType, 3, 'INT');
  assert.equal(entry(r!, 'retention.ms').configType, 5, 'LONG');
  assert.equal(entry(r!, 'cleanup.policy').configType, 7, 'LIST');
  assert.equal(entry(r!, 'leader.replication.throttled.replicas').configType, 7, 'LIST');
  assert.equal(entry(r!, 'min.cleanable.dirty.ratio').configType, 6, 'DOUBLE');
  assert.equal(entry(r!, 'preallocate').configType, 1, 'BOOLEAN');
  assert.equal(entry(r!, 'retention.ms').documentation, null, 'not asked for');
  assert.deepEqual(entry(r!, 'retention.ms').synonyms, [], 'not asked for');
});

test('synonyms (v1+) in Kafka order: the topic override, then broker settings, then defaults', async () => {
  const [r] = await describe(1, [resource(TOPIC, 'orders')], true);
  const synonyms = (name: string) =>
    entry(r!, name).synonyms!.map((s) => `${s.name}=${s.value}@${s.source}`);
  assert.deepEqual(synonyms('segment.bytes'), [
    'log.segment.bytes=2097152@4',
    'log.segment.bytes=1073741824@5',
  ]);
  assert.deepEqual(synonyms('retention.ms'), [
    'log.retention.hours=24@4',
    'log.retention.hours=168@5',
  ]);
  assert.deepEqual(synonyms('cleanup.policy'), [
    'cleanup.policy=compact@1',
    'log.cleanup.policy=delete@5',
  ]);
  assert.deepEqual(synonyms('retention.bytes'), [
    'retention.bytes=1048576@1',
    'log.retention.bytes=-1@5',
  ]);
  assert.deepEqual(synonyms('compression.type'), [], 'no broker setting supplies it in Samsa');
});

test('v3+ carries type and documentation when asked; v0 says isDefault instead of a source', async () => {
  const [v3] = await describe(3, [resource(TOPIC, 'orders', ['retention.ms'])], false, true);
  assert.equal(v3!.configs.length, 1);
  assert.match(entry(v3!, 'retention.ms').documentation!, /kept/);
  const [v0] = await describe(0, [
    resource(TOPIC, 'orders', ['retention.bytes', 'max.message.bytes']),
  ]);
  assert.deepEqual(
    v0!.configs.map((c) => [c.name, c.isDefault]),
    [
      ['max.message.bytes', true],
      ['retention.bytes', false],
    ],
  );
});

test('configuration_keys narrows the answer; unknown keys are left out, empty means all', async () => {
  const [some, none, all] = await describe(2, [
    resource(TOPIC, 'orders', ['retention.ms', 'nope', 'segment.bytes']),
    resource(TOPIC, 'orders', ['nope']),
    resource(TOPIC, 'orders', []),
  ]);
  assert.deepEqual(
    some!.configs.map((c) => c.name),
    ['retention.ms', 'segment.bytes'],
  );
  assert.deepEqual(none!.configs, []);
  assert.equal(all!.configs.length, LOG_CONFIG_NAMES.length);
});

test('the broker resource: node id lists the broker settings, empty name the (absent) dynamic defaults', async () => {
  const { broker } = b.embedded;
  const [node, cluster] = await describe(
    4,
    [resource(BROKER, String(broker.nodeId)), resource(BROKER, '')],
    true,
    true,
  );
  assert.equal(node!.errorCode, 0);
  const segment = entry(node!, 'log.segment.bytes');
  assert.deepEqual(
    [segment.value, segment.configSource, segment.readOnly, segment.configType],
    ['2097152', STATIC_BROKER_CONFIG, true, 3],
  );
  assert.deepEqual(
    segment.synonyms!.map((s) => [s.name, s.value, s.source]),
    [
      ['log.segment.bytes', '2097152', STATIC_BROKER_CONFIG],
      ['log.segment.bytes', '1073741824', DEFAULT_CONFIG],
    ],
  );
  const partitions = entry(node!, 'num.partitions');
  assert.deepEqual([partitions.value, partitions.configSource], ['1', DEFAULT_CONFIG]);
  const retentionMs = entry(node!, 'log.retention.ms');
  assert.deepEqual([retentionMs.value, retentionMs.synonyms], [null, []]);
  assert.ok(entry(node!, 'auto.create.topics.enable').documentation);
  assert.equal(entry(node!, 'listeners').configType, 2, 'STRING, as Kafka types it');
  assert.deepEqual([cluster!.errorCode, cluster!.configs], [0, []]);
});

test('resources that do not exist or cannot be described get their own error', async () => {
  const nodeId = b.embedded.broker.nodeId;
  const results = await describe(4, [
    resource(TOPIC, 'nope'),
    resource(TOPIC, 'bad name'),
    resource(TOPIC, ''),
    resource(BROKER, String(nodeId + 1)),
    resource(BROKER, 'abc'),
    resource(8, String(nodeId)),
    resource(TOPIC, 'orders', ['retention.ms']),
  ]);
  assert.deepEqual(
    results.map((r) => [r.resourceName, errorName(r.errorCode), r.configs.length]),
    [
      ['nope', 'UNKNOWN_TOPIC_OR_PARTITION', 0],
      ['bad name', 'INVALID_TOPIC_EXCEPTION', 0],
      ['', 'INVALID_TOPIC_EXCEPTION', 0],
      [String(nodeId + 1), 'INVALID_REQUEST', 0],
      ['abc', 'INVALID_REQUEST', 0],
      [String(nodeId), 'INVALID_REQUEST', 0],
      ['orders', 'NONE', 1],
    ],
  );
  for (const r of results.slice(0, 6)) assert.ok(r.errorMessage, r.resourceName);
});

test('a resource type Kafka does not know refuses the whole request, as Kafka does', async () => {
  const results = await describe(4, [resource(99, 'x'), resource(TOPIC, 'orders')]);
  assert.deepEqual(
    results.map((r) => [r.resourceType, errorName(r.errorCode)]),
    [
      [99, 'INVALID_REQUEST'],
      [TOPIC, 'INVALID_REQUEST'],
    ],
  );
});

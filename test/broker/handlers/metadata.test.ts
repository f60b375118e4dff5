// Metadata v0-12 against an embedded broker: which topics are answered, auto-creation as Kafka
// 3.9 does it, topic ids, internal topics, authorized operations and the version-dependent
// fields.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MetadataApi, type MetadataRequest } from '../../../src/protocol/messages/metadata.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import { type AdminTestBroker, errorName, startAdminBroker } from './admin-helpers.js';

let b: AdminTestBroker;
let ordersId: string;
before(async () => {
  b = await startAdminBroker({ 'num.partitions': '3' });
  const topics = b.embedded.broker.topics;
  const brokers = b.embedded.broker.liveBrokerIds();
  ordersId = (
    await topics.createTopic({ name: 'orders', numPartitions: 2, replicationFactor: 1, brokers })
  ).topicId;
  await topics.createTopic({ name: 'audit', numPartitions: 1, replicationFactor: 1, brokers });
});
after(() => b.stop());

const byName = (names: string[]) => names.map((name) => ({ topicId: ZERO_UUID, name }));
const request = (
  topics: MetadataRequest['topics'],
  extra: Partial<MetadataRequest> = {},
): MetadataRequest => ({
  topics,
  allowAutoTopicCreation: false,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
  ...extra,
});

test('every version answers brokers, cluster, controller and partitions with its own fields', async () => {
  const c = await b.client();
  const { broker } = b.embedded;
  for (let v = 0; v <= 12; v++) {
    const res = await c.request(MetadataApi, v, request(v === 0 ? [] : null));
    assert.deepEqual(
      res.brokers.map((x) => [x.nodeId, x.host, x.port, x.rack ?? null]),
      [[broker.nodeId, '127.0.0.1', b.port, null]],
      `v${v}`,
    );
    if (v >= 1) assert.equal(res.controllerId, broker.nodeId, `v${v}`);
    if (v >= 2) assert.equal(res.clusterId, broker.clusterId, `v${v}`);
    assert.deepEqual(
      res.topics.map((t) => t.name),
      ['audit', 'orders'],
      `v${v}`,
    );
    const orders = res.topics.find((t) => t.name === 'orders')!;
    assert.equal(orders.errorCode, 0);
    assert.equal(orders.topicId, v >= 10 ? ordersId : ZERO_UUID, `v${v}`);
    assert.equal(orders.isInternal, false);
    assert.deepEqual(
      orders.partitions.map((p) => [p.partitionIndex, p.leaderId, p.replicaNodes, p.isrNodes]),
      [
        [0, broker.nodeId, [broker.nodeId], [broker.nodeId]],
        [1, broker.nodeId, [broker.nodeId], [broker.nodeId]],
      ],
    );
    assert.equal(orders.partitions[0]!.leaderEpoch, v >= 7 ? 0 : -1, `v${v}`);
    if (v >= 5) assert.deepEqual(orders.partitions[0]!.offlineReplicas, []);
    if (v >= 8) {
      assert.equal(orders.topicAuthorizedOperations, -2147483648);
      assert.equal(res.clusterAuthorizedOperations, -2147483648);
    }
  }
});

test('an empty list is every topic in v0 only; null is every topic from v1', async () => {
  const c = await b.client();
  assert.equal((await c.request(MetadataApi, 1, request([]))).topics.length, 0);
  assert.equal((await c.request(MetadataApi, 12, request([]))).topics.length, 0);
  assert.ok((await c.request(MetadataApi, 1, request(null))).topics.length >= 2);
  const one = await c.request(MetadataApi, 0, request(byName(['audit', 'audit'])));
  assert.deepEqual(
    one.topics.map((t) => t.name),
    ['audit'],
  );
});

test('unknown topics: UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION for bad names', async () => {
  const c = await b.client();
  const res = await c.request(
    MetadataApi,
    9,
    request(byName(['nope', 'bad name', '', 'x'.repeat(250), 'orders'])),
  );
  assert.deepEqual(
    res.topics.map((t) => [t.name, errorName(t.errorCode), t.partitions.length]),
    [
      ['nope', 'UNKNOWN_TOPIC_OR_PARTITION', 0],
      ['bad name', 'INVALID_TOPIC_EXCEPTION', 0],
      ['', 'INVALID_TOPIC_EXCEPTION', 0],
      ['x'.repeat(250), 'INVALID_TOPIC_EXCEPTION', 0],
      ['orders', 'NONE', 2],
    ],
  );
  assert.equal(b.embedded.broker.topics.topic('nope'), undefined);
});

test('auto-creation answers UNKNOWN_TOPIC_OR_PARTITION first, as Kafka 3.9, then the topic', async () => {
  const c = await b.client();
  const first = await c.request(
    MetadataApi,
    12,
    request(byName(['auto-a', 'bad name']), { allowAutoTopicCreation: true }),
  );
  assert.deepEqual(
    first.topics.map((t) => [t.name, errorName(t.errorCode), t.partitions.length]),
    [
      ['auto-a', 'UNKNOWN_TOPIC_OR_PARTITION', 0],
      ['bad name', 'INVALID_TOPIC_EXCEPTION', 0],
    ],
  );
  const second = await c.request(MetadataApi, 12, request(byName(['auto-a'])));
  assert.equal(second.topics[0]!.errorCode, 0);
  assert.equal(second.topics[0]!.partitions.length, 3, 'num.partitions');
  // v0-3 have no allowAutoTopicCreation field: they always create.
  await c.request(MetadataApi, 3, request(byName(['auto-v3'])));
  assert.ok(b.embedded.broker.topics.topic('auto-v3'));
  // v4+ may refuse it; a request for all topics never creates.
  await c.request(MetadataApi, 4, request(byName(['auto-no'])));
  assert.equal(b.embedded.broker.topics.topic('auto-no'), undefined);
});

test('auto.create.topics.enable=false wins over the request', async () => {
  const other = await startAdminBroker({ 'auto.create.topics.enable': 'false' });
  try {
    const c = await other.client();
    const res = await c.request(
      MetadataApi,
      1,
      request(byName(['never']), { allowAutoTopicCreation: true }),
    );
    assert.equal(errorName(res.topics[0]!.errorCode), 'UNKNOWN_TOPIC_OR_PARTITION');
    assert.equal(other.embedded.broker.topics.topic('never'), undefined);
  } finally {
    await other.stop();
  }
});

test('internal topics are flagged and left to their coordinators to create', async () => {
  const c = await b.client();
  const res = await c.request(
    MetadataApi,
    12,
    request(byName(['__consumer_offsets']), { allowAutoTopicCreation: true }),
  );
  assert.deepEqual(
    res.topics.map((t) => [errorName(t.errorCode), t.isInternal]),
    [['UNKNOWN_TOPIC_OR_PARTITION', true]],
  );
  assert.equal(b.embedded.broker.topics.topic('__consumer_offsets'), undefined);
  const other = await startAdminBroker();
  try {
    const { broker } = other.embedded;
    await broker.topics.createTopic({
      name: '__transaction_state',
      numPartitions: 1,
      replicationFactor: 1,
      brokers: broker.liveBrokerIds(),
    });
    const oc = await other.client();
    const all = await oc.request(MetadataApi, 1, request(null));
    assert.deepEqual(
      all.topics.map((t) => [t.name, t.isInternal]),
      [['__transaction_state', true]],
    );
  } finally {
    await other.stop();
  }
});

test('topics by id from v12: UNKNOWN_TOPIC_ID for unknown ones, refused in v10-11', async () => {
  const c = await b.client();
  const unknownId = 'AAAAAAAAAAAAAAAAAAAAAQ';
  const res = await c.request(
    MetadataApi,
    12,
    request([
      { topicId: ordersId, name: null },
      { topicId: unknownId, name: null },
      // A request naming any topic by id is answered by id only, as Kafka does.
      { topicId: ZERO_UUID, name: 'audit' },
    ]),
  );
  assert.deepEqual(
    res.topics.map((t) => [t.name, t.topicId, errorName(t.errorCode)]),
    [
      ['orders', ordersId, 'NONE'],
      [null, unknownId, 'UNKNOWN_TOPIC_ID'],
    ],
  );
  for (const v of [10, 11]) {
    const refused = await c.request(MetadataApi, v, request([{ topicId: ordersId, name: 'x' }]));
    assert.deepEqual(
      refused.topics.map((t) => errorName(t.errorCode)),
      ['INVALID_REQUEST'],
    );
    assert.equal(refused.brokers.length, 0);
  }
  const nameless = await c.request(MetadataApi, 12, request([{ topicId: ZERO_UUID, name: null }]));
  assert.equal(errorName(nameless.topics[0]!.errorCode), 'INVALID_REQUEST');
});

test('authorized operations: everything, as Kafka without an authorizer, only when asked', async () => {
  const c = await b.client();
  const v8 = await c.request(
    MetadataApi,
    8,
    request(byName(['orders', 'nope']), {
      includeClusterAuthorizedOperations: true,
      includeTopicAuthorizedOperations: true,
    }),
  );
  assert.equal(v8.clusterAuthorizedOperations, 8096);
  assert.deepEqual(
    v8.topics.map((t) => t.topicAuthorizedOperations),
    [3576, 3576],
  );
  // v11 dropped the cluster field: it decodes as the default.
  const v11 = await c.request(
    MetadataApi,
    11,
    request(byName(['orders']), { includeTopicAuthorizedOperations: true }),
  );
  assert.equal(v11.topics[0]!.topicAuthorizedOperations, 3576);
});

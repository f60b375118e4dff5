// DescribeCluster v0-1 and DescribeTopicPartitions v0 (what the Java admin 3.9+ uses for
// describeCluster / describeTopics) against an embedded broker; the paging cases are the ones
// Kafka 3.9 was asked (tools/capture/kafka-broker.sh) with the answers it gave.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DescribeClusterApi } from '../../../src/protocol/messages/describe-cluster.js';
import {
  DescribeTopicPartitionsApi,
  type DescribeTopicPartitionsRequestCursor,
} from '../../../src/protocol/messages/describe-topic-partitions.js';
import { type AdminTestBroker, errorName, startAdminBroker } from './admin-helpers.js';

let b: AdminTestBroker;
before(async () => {
  b = await startAdminBroker();
  const { broker } = b.embedded;
  for (const [name, count] of [
    ['p-a', 4],
    ['p-as-ok', 3],
    ['p-b', 1],
  ] as const) {
    await broker.topics.createTopic({
      name,
      numPartitions: count,
      replicationFactor: 1,
      brokers: broker.liveBrokerIds(),
    });
  }
});
after(() => b.stop());

test('DescribeCluster answers brokers, controller and cluster id; v1 checks the endpoint type', async () => {
  const { broker } = b.embedded;
  const c = await b.client();
  for (const v of [0, 1]) {
    const res = await c.request(DescribeClusterApi, v, {
      includeClusterAuthorizedOperations: v === 1,
      endpointType: 1,
    });
    assert.equal(res.errorCode, 0);
    assert.equal(res.clusterId, broker.clusterId);
    assert.equal(res.controllerId, broker.nodeId);
    assert.deepEqual(
      res.brokers.map((x) => [x.brokerId, x.host, x.port, x.rack]),
      [[broker.nodeId, '127.0.0.1', b.port, null]],
    );
    assert.equal(res.clusterAuthorizedOperations, v === 1 ? 8096 : -2147483648);
  }
  const controller = await c.request(DescribeClusterApi, 1, {
    includeClusterAuthorizedOperations: false,
    endpointType: 2,
  });
  assert.equal(errorName(controller.errorCode), 'MISMATCHED_ENDPOINT_TYPE');
  assert.deepEqual([controller.brokers, controller.controllerId], [[], -1]);
  const unknown = await c.request(DescribeClusterApi, 1, {
    includeClusterAuthorizedOperations: false,
    endpointType: 7,
  });
  assert.equal(errorName(unknown.errorCode), 'UNSUPPORTED_ENDPOINT_TYPE');
});

async function describeTopics(
  names: string[],
  limit: number,
  cursor: DescribeTopicPartitionsRequestCursor | null = null,
) {
  const c = await b.client();
  const res = await c.request(DescribeTopicPartitionsApi, 0, {
    topics: names.map((name) => ({ name })),
    responsePartitionLimit: limit,
    cursor,
  });
  return {
    topics: res.topics.map((t) => [
      t.name,
      errorName(t.errorCode),
      t.partitions.map((p) => p.partitionIndex),
    ]),
    next: res.nextCursor && [res.nextCursor.topicName, res.nextCursor.partitionIndex],
    raw: res,
  };
}

test('DescribeTopicPartitions: topics in name order with their partitions and errors', async () => {
  const { broker } = b.embedded;
  const r = await describeTopics(['p-b', 'p-nope', 'bad name', 'p-a'], 2000);
  assert.deepEqual(r.topics, [
    ['bad name', 'INVALID_TOPIC_EXCEPTION', []],
    ['p-a', 'NONE', [0, 1, 2, 3]],
    ['p-b', 'NONE', [0]],
    ['p-nope', 'UNKNOWN_TOPIC_OR_PARTITION', []],
  ]);
  assert.equal(r.next, null);
  const pa = r.raw.topics[1]!;
  assert.equal(pa.topicId, broker.topics.topic('p-a')!.topicId);
  assert.equal(pa.topicAuthorizedOperations, 3576);
  assert.deepEqual(pa.partitions[0], {
    errorCode: 0,
    partitionIndex: 0,
    leaderId: broker.nodeId,
    leaderEpoch: 0,
    replicaNodes: [broker.nodeId],
    isrNodes: [broker.nodeId],
    eligibleLeaderReplicas: [],
    lastKnownElr: [],
    offlineReplicas: [],
  });
});

test('DescribeTopicPartitions pages by responsePartitionLimit and resumes from the cursor', async () => {
  const names = ['p-b', 'p-a', 'p-as-ok'];
  const cases: [string[], number, DescribeTopicPartitionsRequestCursor | null, unknown, unknown][] =
    [
      [names, 2, null, [['p-a', 'NONE', [0, 1]]], ['p-a', 2]],
      [
        names,
        2,
        { topicName: 'p-a', partitionIndex: 2 },
        [['p-a', 'NONE', [2, 3]]],
        ['p-as-ok', 0],
      ],
      [
        names,
        4,
        { topicName: 'p-as-ok', partitionIndex: 1 },
        [
          ['p-as-ok', 'NONE', [1, 2]],
          ['p-b', 'NONE', [0]],
        ],
        null,
      ],
      [['p-a'], 2, { topicName: 'p-a', partitionIndex: 9 }, [['p-a', 'NONE', []]], null],
      [['p-a'], 0, null, [['p-a', 'NONE', [0]]], ['p-a', 1]],
      [['p-a', 'p-nope', 'p-zzz'], 4, null, [['p-a', 'NONE', [0, 1, 2, 3]]], ['p-nope', 0]],
      // No topics named: every topic, and the cursor's topic need not exist.
      [
        [],
        3,
        { topicName: 'p-as', partitionIndex: 0 },
        [['p-as-ok', 'NONE', [0, 1, 2]]],
        ['p-b', 0],
      ],
    ];
  for (const [i, [topics, limit, cursor, expected, next]] of cases.entries()) {
    const r = await describeTopics(topics, limit, cursor);
    assert.deepEqual([r.topics, r.next], [expected, next], `case ${i}`);
  }
});

test('DescribeTopicPartitions refuses a cursor outside the request', async () => {
  for (const cursor of [
    { topicName: 'p-b', partitionIndex: 0 },
    { topicName: 'p-a', partitionIndex: -1 },
  ]) {
    const r = await describeTopics(['p-a'], 2, cursor);
    assert.deepEqual(r.topics, [['p-a', 'INVALID_REQUEST', []]]);
  }
});

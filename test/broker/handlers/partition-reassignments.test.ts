// AlterPartitionReassignments, ListPartitionReassignments and ElectLeaders against an embedded
// single broker: the answers Kafka gives for requests that cannot move anything (unknown topics
// and partitions, bad replica lists, a cancel with nothing to cancel, elections not needed),
// and that a move which needs no copying (a reordered list) is applied at once. Moves between
// brokers are driven in test/compat/cluster/reassignment.test.ts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AlterPartitionReassignmentsApi } from '../../../src/protocol/messages/alter-partition-reassignments.js';
import { ElectLeadersApi } from '../../../src/protocol/messages/elect-leaders.js';
import { ListPartitionReassignmentsApi } from '../../../src/protocol/messages/list-partition-reassignments.js';
import { type AdminTestBroker, errorName, startAdminBroker } from './admin-helpers.js';

let b: AdminTestBroker;
let nodeId: number;
before(async () => {
  b = await startAdminBroker();
  const { broker } = b.embedded;
  nodeId = broker.nodeId;
  await broker.topics.createTopic({
    name: 'moves',
    numPartitions: 2,
    replicationFactor: 1,
    brokers: broker.liveBrokerIds(),
  });
});
after(() => b.stop());

async function alter(
  partitions: { topic: string; partition: number; replicas: number[] | null }[],
) {
  const c = await b.client();
  const topics = [...new Set(partitions.map((p) => p.topic))].map((name) => ({
    name,
    partitions: partitions
      .filter((p) => p.topic === name)
      .map((p) => ({ partitionIndex: p.partition, replicas: p.replicas })),
  }));
  const res = await c.request(AlterPartitionReassignmentsApi, 0, { timeoutMs: 5000, topics });
  assert.equal(res.errorCode, 0);
  return res.responses.flatMap((t) =>
    t.partitions.map((p) => `${t.name}-${p.partitionIndex}: ${errorName(p.errorCode)}`),
  );
}

test('AlterPartitionReassignments refuses what Kafka refuses, per partition', async () => {
  assert.deepEqual(
    await alter([
      { topic: 'moves', partition: 0, replicas: [99] },
      { topic: 'moves', partition: 1, replicas: [nodeId, nodeId] },
      { topic: 'nope', partition: 0, replicas: [nodeId] },
    ]),
    [
      'moves-0: INVALID_REPLICA_ASSIGNMENT',
      'moves-1: INVALID_REPLICA_ASSIGNMENT',
      'nope-0: UNKNOWN_TOPIC_OR_PARTITION',
    ],
  );
  assert.deepEqual(
    await alter([
      { topic: 'moves', partition: 7, replicas: [nodeId] },
      { topic: 'moves', partition: 0, replicas: [] },
      { topic: 'moves', partition: 1, replicas: null },
    ]),
    [
      'moves-7: UNKNOWN_TOPIC_OR_PARTITION',
      'moves-0: INVALID_REPLICA_ASSIGNMENT',
      'moves-1: NO_REASSIGNMENT_IN_PROGRESS',
    ],
  );
});

test('a reassignment to the replicas a partition already has succeeds and leaves nothing in progress', async () => {
  const before = b.embedded.broker.topics.topic('moves')!.partitions[0]!;
  assert.deepEqual(await alter([{ topic: 'moves', partition: 0, replicas: [nodeId] }]), [
    'moves-0: NONE',
  ]);
  assert.deepEqual(b.embedded.broker.topics.topic('moves')!.partitions[0], before);
  const c = await b.client();
  const listed = await c.request(ListPartitionReassignmentsApi, 0, {
    timeoutMs: 5000,
    topics: null,
  });
  assert.equal(listed.errorCode, 0);
  assert.deepEqual(listed.topics, []);
  const asked = await c.request(ListPartitionReassignmentsApi, 0, {
    timeoutMs: 5000,
    topics: [
      { name: 'moves', partitionIndexes: [0, 1, 9] },
      { name: 'nope', partitionIndexes: [0] },
    ],
  });
  assert.deepEqual(asked.topics, []);
});

test('ElectLeaders: every version; not needed where the preferred replica leads', async () => {
  const c = await b.client();
  for (let v = 0; v <= 2; v++) {
    for (const electionType of v === 0 ? [0] : [0, 1]) {
      const res = await c.request(ElectLeadersApi, v, {
        electionType,
        topicPartitions: [
          { topic: 'moves', partitions: [0, 1] },
          { topic: 'nope', partitions: [0] },
        ],
        timeoutMs: 5000,
      });
      if (v >= 1) assert.equal(res.errorCode, 0);
      const got = res.replicaElectionResults.flatMap((t) =>
        t.partitionResult.map((p) => `${t.topic}-${p.partitionId}: ${errorName(p.errorCode)}`),
      );
      assert.deepEqual(
        got,
        [
          'moves-0: ELECTION_NOT_NEEDED',
          'moves-1: ELECTION_NOT_NEEDED',
          'nope-0: UNKNOWN_TOPIC_OR_PARTITION',
        ],
        `v${v} type ${electionType}`,
      );
    }
  }
  // All partitions: only those that needed an election are answered.
  const all = await c.request(ElectLeadersApi, 2, {
    electionType: 0,
    topicPartitions: null,
    timeoutMs: 5000,
  });
  assert.deepEqual(all.replicaElectionResults, []);
  const bad = await c.request(ElectLeadersApi, 2, {
    electionType: 5,
    topicPartitions: null,
    timeoutMs: 5000,
  });
  assert.equal(errorName(bad.errorCode!), 'INVALID_REQUEST');
});

// Committed offsets and group metadata survive a SIGKILL: a restarted broker replays
// __consumer_offsets and answers as before, and consumers carry on where they committed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { ConsumerGroupDescribeApi } from '../../../src/protocol/messages/consumer-group-describe.js';
import { ConsumerGroupHeartbeatApi } from '../../../src/protocol/messages/consumer-group-heartbeat.js';
import { CreateTopicsApi } from '../../../src/protocol/messages/create-topics.js';
import { DescribeGroupsApi } from '../../../src/protocol/messages/describe-groups.js';
import { HeartbeatApi } from '../../../src/protocol/messages/heartbeat.js';
import { OffsetCommitApi } from '../../../src/protocol/messages/offset-commit.js';
import { OffsetFetchApi } from '../../../src/protocol/messages/offset-fetch.js';
import { startBrokerProcess, stopAllBrokers } from '../../helpers/broker-process.js';
import { WireClient } from '../../helpers/wire-client.js';
import { stableMember, waitForCoordinator } from './wire.js';

const dataDir = mkdtempSync(join(tmpdir(), 'samsa-groups-restart-'));
after(async () => {
  await stopAllBrokers();
  rmSync(dataDir, { recursive: true, force: true });
});

const overrides = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '5' };

test('offsets, a classic generation and a consumer group are back after kill -9', async () => {
  let broker = await startBrokerProcess({ dataDir, overrides });
  let client = await WireClient.connect(broker.port);
  await waitForCoordinator(client);
  const created = await client.request(CreateTopicsApi, 5, {
    topics: [
      { name: 'orders', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] },
    ],
    timeoutMs: 5000,
    validateOnly: false,
  });
  assert.equal(created.topics[0]!.errorCode, 0);
  const { memberId, generationId } = await stableMember(
    client,
    'classic-g',
    {},
    { groupInstanceId: 'host-a' },
  );
  const commit = await client.request(OffsetCommitApi, 8, {
    groupId: 'classic-g',
    generationIdOrMemberEpoch: generationId,
    memberId,
    groupInstanceId: 'host-a',
    topics: [
      {
        name: 'orders',
        partitions: [0, 1, 2].map((p) => ({
          partitionIndex: p,
          committedOffset: BigInt(100 + p),
          committedLeaderEpoch: 0,
          committedMetadata: `m${p}`,
        })),
      },
    ],
  });
  assert.deepEqual(
    commit.topics[0]!.partitions.map((p) => p.errorCode),
    [0, 0, 0],
  );
  const joined = await client.request(ConsumerGroupHeartbeatApi, 1, {
    groupId: 'kip848-g',
    memberId: 'member-x',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['orders'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
  });
  assert.equal(joined.memberEpoch, 1);
  client.close();

  assert.equal(await broker.kill('SIGKILL'), 'SIGKILL');
  broker = await startBrokerProcess({ dataDir, overrides });
  client = await WireClient.connect(broker.port);
  await waitForCoordinator(client, 'classic-g');

  const fetched = await client.request(OffsetFetchApi, 8, {
    groups: [{ groupId: 'classic-g', memberId: null, memberEpoch: -1, topics: null }],
    requireStable: true,
  });
  assert.deepEqual(
    fetched.groups![0]!.topics[0]!.partitions.map((p) => [
      p.partitionIndex,
      p.committedOffset,
      p.committedLeaderEpoch,
      p.metadata,
    ]),
    [
      [0, 100n, 0, 'm0'],
      [1, 101n, 0, 'm1'],
      [2, 102n, 0, 'm2'],
    ],
  );
  const described = await client.request(DescribeGroupsApi, 5, {
    groups: ['classic-g'],
    includeAuthorizedOperations: false,
  });
  const g = described.groups[0]!;
  assert.equal(g.groupState, 'Stable');
  assert.equal(g.members[0]!.memberId, memberId);
  assert.equal(g.members[0]!.groupInstanceId, 'host-a');
  assert.equal(g.members[0]!.memberAssignment.toString(), 'assignment');
  // The member kept its generation: its heartbeats are still good after the restart.
  const hb = await client.request(HeartbeatApi, 4, {
    groupId: 'classic-g',
    generationId,
    memberId,
    groupInstanceId: 'host-a',
  });
  assert.equal(hb.errorCode, 0);

  const cg = await client.request(ConsumerGroupDescribeApi, 0, {
    groupIds: ['kip848-g'],
    includeAuthorizedOperations: false,
  });
  assert.equal(cg.groups[0]!.errorCode, 0);
  assert.equal(cg.groups[0]!.groupEpoch, 1);
  assert.equal(cg.groups[0]!.members[0]!.memberId, 'member-x');
  assert.equal(cg.groups[0]!.members[0]!.assignment.topicPartitions[0]!.partitions.length, 3);
  const again = await client.request(ConsumerGroupHeartbeatApi, 1, {
    groupId: 'kip848-g',
    memberId: 'member-x',
    memberEpoch: 1,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: joined.assignment!.topicPartitions,
  });
  assert.deepEqual([again.errorCode, again.memberEpoch], [0, 1]);
  client.close();
  await broker.kill('SIGTERM');
});

test('KafkaJS consumers resume from their committed offsets after the broker is killed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-groups-resume-'));
  try {
    let broker = await startBrokerProcess({ dataDir: dir, overrides });
    const kafka = (b: { bootstrap: string }) =>
      new Kafka({
        brokers: [b.bootstrap],
        clientId: 'resume',
        logLevel: logLevel.NOTHING,
        retry: { retries: 10, initialRetryTime: 100 },
      });
    let k = kafka(broker);
    const admin = k.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'resume', numPartitions: 2 }] });
    await admin.disconnect();
    const send = async (client: Kafka, from: number, n: number) => {
      const p = client.producer();
      await p.connect();
      await p.send({
        topic: 'resume',
        messages: Array.from({ length: n }, (_, i) => ({
          key: `k${from + i}`,
          value: String(from + i),
        })),
      });
      await p.disconnect();
    };
    await send(k, 0, 50);
    const consumeAll = async (client: Kafka, expected: number) => {
      const seen: { partition: number; offset: number; value: string }[] = [];
      const c = client.consumer({
        groupId: 'resumers',
        sessionTimeout: 6000,
        maxWaitTimeInMs: 200,
      });
      await c.connect();
      await c.subscribe({ topic: 'resume', fromBeginning: true });
      await c.run({
        eachMessage: async ({ partition, message }) => {
          seen.push({
            partition,
            offset: Number(message.offset),
            value: message.value!.toString(),
          });
        },
      });
      const deadline = Date.now() + 60_000;
      while (seen.length < expected && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await c.disconnect(); // commits what it consumed
      return seen;
    };
    const first = await consumeAll(k, 50);
    assert.equal(new Set(first.map((m) => m.value)).size, 50);

    assert.equal(await broker.kill('SIGKILL'), 'SIGKILL');
    broker = await startBrokerProcess({ dataDir: dir, overrides });
    k = kafka(broker);
    await send(k, 50, 20);
    const second = await consumeAll(k, 20);
    await new Promise((r) => setTimeout(r, 300)); // nothing older should trickle in
    assert.deepEqual(
      second.map((m) => Number(m.value)).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => 50 + i),
      'only the messages after the committed offsets',
    );
    await broker.kill('SIGTERM');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

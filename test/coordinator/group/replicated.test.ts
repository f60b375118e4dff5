// The group coordinator on a replicated __consumer_offsets partition, without a network: a real
// ReplicaManager leads it with two followers whose fetches the test plays. Answers wait until
// the ISR has the records (acks=all), min.insync.replicas is honoured, and the coordinator loads
// and unloads the partition as leadership moves (NOT_COORDINATOR meanwhile).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { LocalMetadataStore } from '../../../src/cluster/local-metadata-store.js';
import { ReplicaManager } from '../../../src/cluster/replica-manager.js';
import { TopicRegistry } from '../../../src/cluster/topic-registry.js';
import * as classic from '../../../src/coordinator/group/classic-ops.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from '../../../src/coordinator/group/config.js';
import {
  GROUP_METADATA_TOPIC,
  GroupCoordinator,
} from '../../../src/coordinator/group/coordinator.js';
import type { OffsetCommitInput } from '../../../src/coordinator/group/types.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { harness, joinDynamic, joinInput, origin, peek, silentLog } from './harness.js';

let dir: string;
let registry: TopicRegistry;
let logs: LogManager;
let rm: ReplicaManager;
let coordinator: GroupCoordinator;
let live = [1, 2, 3];

const config = {
  ...DEFAULT_GROUP_COORDINATOR_CONFIG,
  offsetsTopicNumPartitions: 1,
  groupInitialRebalanceDelayMs: 0,
  // Long enough never to fire here: the tests settle commits by follower fetches.
  offsetsCommitTimeoutMs: 600_000,
};

function newCoordinator(clusterMode: boolean): GroupCoordinator {
  return new GroupCoordinator({
    nodeId: 1,
    config,
    topics: registry,
    replicaManager: rm,
    liveBrokerIds: () => live,
    clusterMode,
    log: silentLog,
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-groups-replicated-'));
  live = [1, 2, 3];
  registry = await TopicRegistry.load(LocalMetadataStore.inDataDir(dir));
  await registry.createTopic({
    name: 'orders',
    numPartitions: 1,
    replicationFactor: 1,
    brokers: [1],
  });
  const logConfig = Object.freeze({ ...DEFAULT_LOG_CONFIG, minInsyncReplicas: 2 });
  logs = LogManager.open({ dataDir: join(dir, 'logs'), defaultConfig: logConfig });
  rm = new ReplicaManager(1, registry, logs, () => logConfig, { fenceStartupLeadership: false });
  coordinator = newCoordinator(true);
});
afterEach(() => {
  coordinator.close();
  rm.close();
  registry.close();
  logs.close();
  rmSync(dir, { recursive: true, force: true });
});

const offsetsPartition = () => rm.partition(GROUP_METADATA_TOPIC, 0)!;

/** Both followers fetch up to the leader's log end: the ISR has everything. */
function followersCatchUp(): void {
  const p = offsetsPartition();
  for (const follower of [2, 3]) rm.recordFollowerFetch(p, follower, p.logEndOffset);
}

async function createOffsetsTopic(): Promise<void> {
  await coordinator.createOffsetsTopic();
  assert.ok(registry.topic(GROUP_METADATA_TOPIC), `${GROUP_METADATA_TOPIC} was created`);
  await coordinator.ready();
}

const commit = (offset: number): OffsetCommitInput => ({
  groupId: 'g',
  generationIdOrMemberEpoch: -1,
  memberId: '',
  groupInstanceId: null,
  retentionTimeMs: -1,
  topics: [
    {
      name: 'orders',
      partitions: [
        {
          partitionIndex: 0,
          committedOffset: offset,
          committedLeaderEpoch: -1,
          committedMetadata: '',
        },
      ],
    },
  ],
});
const commitCode = async (p: ReturnType<GroupCoordinator['commitOffsets']>) =>
  (await p)[0]!.partitions[0]!.errorCode;
const fetchOffset = async () => {
  const r = await coordinator.fetchOffsets({
    groupId: 'g',
    memberId: null,
    memberEpoch: -1,
    topics: [{ name: 'orders', partitionIndexes: [0] }],
  });
  return r.errorCode || r.topics[0]!.partitions[0]!.committedOffset;
};

test('in a cluster, __consumer_offsets waits for offsets.topic.replication.factor live brokers', async () => {
  live = [1, 2];
  assert.equal(
    coordinator.findGroupCoordinator('g').errorCode,
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
  );
  await coordinator.createOffsetsTopic();
  assert.equal(registry.topic(GROUP_METADATA_TOPIC), undefined, 'not created with 2 of 3 brokers');
  live = [1, 2, 3];
  await createOffsetsTopic();
  assert.deepEqual(registry.topic(GROUP_METADATA_TOPIC)!.partitions[0]!.replicas.length, 3);
  assert.deepEqual(coordinator.findGroupCoordinator('g'), {
    errorCode: 0,
    nodeId: registry.topic(GROUP_METADATA_TOPIC)!.partitions[0]!.leader,
  });
});

test('a single node caps the replication factor at the brokers there are', async () => {
  coordinator.close();
  coordinator = newCoordinator(false);
  live = [1];
  await createOffsetsTopic();
  assert.deepEqual(registry.topic(GROUP_METADATA_TOPIC)!.partitions[0]!.replicas, [1]);
  assert.equal(await commitCode(coordinator.commitOffsets(commit(5), 8)), 0);
  assert.equal(await fetchOffset(), 5);
});

test('an offset commit is answered once the ISR has it; reads wait for earlier writes', async () => {
  await registry.createTopic({
    name: GROUP_METADATA_TOPIC,
    numPartitions: 1,
    replicationFactor: 3,
    brokers: [1, 2, 3],
    assignments: [[1, 2, 3]],
  });
  await coordinator.ready();
  const committing = coordinator.commitOffsets(commit(42), 8);
  assert.equal(await peek(committing), 'pending', 'the followers do not have the record yet');
  const reading = fetchOffset();
  assert.equal(await peek(reading), 'pending', 'the offset is not committed yet');
  const p = offsetsPartition();
  rm.recordFollowerFetch(p, 2, p.logEndOffset);
  assert.equal(await peek(committing), 'pending', 'one follower of two has it');
  rm.recordFollowerFetch(p, 3, p.logEndOffset);
  assert.equal(await commitCode(committing), 0);
  assert.equal(await reading, 42);
});

test('fewer in-sync replicas than min.insync.replicas: COORDINATOR_NOT_AVAILABLE, nothing written', async () => {
  await registry.createTopic({
    name: GROUP_METADATA_TOPIC,
    numPartitions: 1,
    replicationFactor: 3,
    brokers: [1, 2, 3],
    assignments: [[1, 2, 3]],
  });
  await registry.updatePartition(GROUP_METADATA_TOPIC, 0, (a) => ({ ...a, isr: [1] }));
  await coordinator.ready();
  const end = offsetsPartition().logEndOffset;
  assert.equal(
    await commitCode(coordinator.commitOffsets(commit(7), 8)),
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
  );
  assert.equal(offsetsPartition().logEndOffset, end);
});

test('leadership moving away unloads the groups; coming back replays the log to its end', async () => {
  await registry.createTopic({
    name: GROUP_METADATA_TOPIC,
    numPartitions: 1,
    replicationFactor: 3,
    brokers: [1, 2, 3],
    assignments: [[1, 2, 3]],
  });
  await coordinator.ready();
  const first = coordinator.commitOffsets(commit(10), 8);
  followersCatchUp();
  assert.equal(await commitCode(first), 0);
  // A second commit the followers never confirm before leadership moves to broker 2.
  const pending = coordinator.commitOffsets(commit(11), 8);
  assert.equal(await peek(pending), 'pending');
  await registry.updatePartition(GROUP_METADATA_TOPIC, 0, (a) => ({
    ...a,
    leader: 2,
    leaderEpoch: a.leaderEpoch + 1,
  }));
  assert.equal(await commitCode(pending), ErrorCode.NOT_COORDINATOR);
  assert.equal(await fetchOffset(), ErrorCode.NOT_COORDINATOR);
  assert.deepEqual(coordinator.findGroupCoordinator('g'), { errorCode: 0, nodeId: 2 });

  // Back to broker 1 (its log still holds offset 11: it leads again under a newer epoch).
  await registry.updatePartition(GROUP_METADATA_TOPIC, 0, (a) => ({
    ...a,
    leader: 1,
    leaderEpoch: a.leaderEpoch + 1,
  }));
  await coordinator.ready();
  const reading = fetchOffset();
  assert.equal(await peek(reading), 'pending', 'the replayed tail is not committed yet');
  followersCatchUp();
  assert.equal(await reading, 11);
});

test('a SyncGroup answer waits until the generation is replicated, and hears a failed commit', async () => {
  const h = harness();
  const { memberId, result } = await joinDynamic(h, 'cg', 'c1');
  h.clock.advance(0);
  const joined = await result;
  const commits = h.holdCommits();
  const assignment = [{ memberId, assignment: Buffer.from('A') }];
  const first = h.shard.write(() =>
    classic.syncGroup(h.shard, {
      groupId: 'cg',
      generationId: joined.generationId,
      memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: assignment,
    }),
  );
  assert.equal(await peek(first), 'pending');
  assert.equal(commits.held, 1);
  // A heartbeat writes nothing, but it waits for the write before it.
  const beat = h.shard.write(() =>
    classic.heartbeat(h.shard, {
      groupId: 'cg',
      memberId,
      generationId: joined.generationId,
      groupInstanceId: null,
    }),
  );
  assert.equal(await peek(beat), 'pending');
  commits.settle();
  assert.equal((await first).errorCode, 0);
  assert.deepEqual((await first).assignment, Buffer.from('A'));
  assert.equal(await beat, 0);

  // The next generation's record is never replicated: leadership was lost meanwhile.
  const rejoin = h.shard.write(() =>
    classic.joinGroup(h.shard, joinInput('cg', { memberId }), origin('c1')),
  );
  h.clock.advance(0);
  const next = await rejoin;
  const second = h.shard.write(() =>
    classic.syncGroup(h.shard, {
      groupId: 'cg',
      generationId: next.generationId,
      memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: assignment,
    }),
  );
  commits.settle(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'moved'));
  await assert.rejects(second, (e: KafkaError) => e.code === ErrorCode.NOT_COORDINATOR);
});

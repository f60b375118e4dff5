// The leader side of replication without a network: follower positions come in as fetch
// offsets, the high watermark is the smallest log end offset in the ISR, acks=all waits resolve
// from it, the ISR grows by compare-and-swap, and a lost session fences leadership until it is
// reclaimed under a newer epoch.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { LocalMetadataStore } from '../../src/cluster/local-metadata-store.js';
import { type Partition, ReplicaManager } from '../../src/cluster/replica-manager.js';
import { TopicRegistry } from '../../src/cluster/topic-registry.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { LogManager } from '../../src/storage/log-manager.js';

let dir: string;
let registry: TopicRegistry;
let logs: LogManager;
let rm: ReplicaManager;
let p: Partition;

const batch = () =>
  buildRecordBatch({ records: [{ value: Buffer.from('v'), timestamp: Date.now() }] }).buf;
const tick = () => new Promise((r) => setTimeout(r, 20));

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-replicas-'));
  registry = await TopicRegistry.load(LocalMetadataStore.inDataDir(dir));
  await registry.createTopic({
    name: 't',
    numPartitions: 1,
    replicationFactor: 3,
    brokers: [1, 2, 3],
    assignments: [[1, 2, 3]],
  });
  const config = Object.freeze({ ...DEFAULT_LOG_CONFIG, minInsyncReplicas: 2 });
  logs = LogManager.open({ dataDir: join(dir, 'logs'), defaultConfig: config });
  rm = new ReplicaManager(1, registry, logs, () => config, { fenceStartupLeadership: false });
  p = rm.leaderPartition('t', 0);
});
afterEach(() => {
  rm.close();
  registry.close();
  logs.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the high watermark waits for every ISR member, and acks=all with it', async () => {
  const appended = rm.appendRecordsToLeader(p, batch(), -1);
  assert.equal(p.logEndOffset, 1);
  assert.equal(p.highWatermark, 0);
  let outcome: number | undefined;
  void rm.waitForCommit(p, appended.lastOffset + 1, 10_000).then((c) => {
    outcome = c;
  });
  rm.recordFollowerFetch(p, 2, 1);
  await tick();
  assert.equal(p.highWatermark, 0, 'broker 3 has not fetched yet');
  assert.equal(outcome, undefined);
  rm.recordFollowerFetch(p, 3, 1);
  await tick();
  assert.equal(p.highWatermark, 1);
  assert.equal(outcome, ErrorCode.NONE);
});

test('an ISR without a follower lets the high watermark pass it; it rejoins once caught up', async () => {
  assert.ok(await registry.updatePartition('t', 0, (a) => ({ ...a, isr: [1, 2] })));
  rm.appendRecordsToLeader(p, batch(), -1);
  rm.recordFollowerFetch(p, 2, 1);
  assert.equal(p.highWatermark, 1);
  rm.recordFollowerFetch(p, 3, 1);
  await tick();
  assert.deepEqual(registry.topic('t')!.partitions[0]!.isr, [1, 2, 3]);
});

test('below min.insync.replicas acks=all is refused before the append', async () => {
  assert.ok(await registry.updatePartition('t', 0, (a) => ({ ...a, isr: [1] })));
  assert.throws(
    () => rm.appendRecordsToLeader(p, batch(), -1),
    (e: { code?: number }) => e.code === ErrorCode.NOT_ENOUGH_REPLICAS,
  );
  assert.equal(p.logEndOffset, 0);
});

test('a lost session fences leadership until it is reclaimed under a newer epoch', async () => {
  rm.appendRecordsToLeader(p, batch(), -1);
  const waiting = rm.waitForCommit(p, 1, 10_000);
  rm.fenceLeadership();
  assert.equal(await waiting, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(p.isLeader, false);
  assert.throws(() => rm.leaderPartition('t', 0));
  await rm.reclaimLeadership();
  assert.equal(p.isLeader, true);
  assert.equal(p.leaderEpoch, 1);
});

test('a single replica that a reassignment gives followers keeps its high watermark', async () => {
  await registry.createTopic({
    name: 'solo',
    numPartitions: 1,
    replicationFactor: 1,
    brokers: [1],
    assignments: [[1]],
  });
  const solo = rm.leaderPartition('solo', 0);
  rm.appendRecordsToLeader(solo, batch(), 1);
  rm.appendRecordsToLeader(solo, batch(), 1);
  assert.equal(solo.highWatermark, 2);
  await registry.updatePartition('solo', 0, (a) => ({
    ...a,
    replicas: [1, 2],
    addingReplicas: [2],
    removingReplicas: [],
  }));
  assert.equal(solo.isReplicated, true);
  assert.equal(solo.highWatermark, 2, 'the committed records stay visible');
});

test('a replica reassigned away is dropped with its log, and its acks=all waits end', async () => {
  const appended = rm.appendRecordsToLeader(p, batch(), -1);
  const outcome = rm.waitForCommit(p, appended.lastOffset + 1, 10_000);
  let changes = 0;
  rm.onLeadershipChange(() => changes++);
  await registry.updatePartition('t', 0, (a) => ({
    ...a,
    replicas: [2, 3],
    isr: [2, 3],
    leader: 2,
    leaderEpoch: a.leaderEpoch + 1,
  }));
  assert.equal(await outcome, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(rm.partition('t', 0), undefined);
  assert.ok(changes > 0, 'the fetchers are told');
  assert.equal(logs.getLog('t', 0), undefined);
});

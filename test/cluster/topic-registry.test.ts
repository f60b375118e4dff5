import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { LocalMetadataStore } from '../../src/cluster/local-metadata-store.js';
import {
  type TopicChange,
  TopicRegistry,
  validateTopicName,
} from '../../src/cluster/topic-registry.js';
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-registry-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const rejectsWith = (code: number) => (err: unknown) =>
  err instanceof KafkaError && err.code === code;

test('topics are created, listed by name and id, and survive a reload from disk', async () => {
  const registry = await TopicRegistry.load(LocalMetadataStore.inDataDir(dir));
  const changes: TopicChange[] = [];
  registry.onChange((c) => changes.push(c));
  const t = await registry.createTopic({
    name: 'orders',
    numPartitions: 3,
    replicationFactor: 1,
    brokers: [1],
    configs: { 'retention.ms': '1000' },
  });
  assert.equal(t.partitions.length, 3);
  assert.deepEqual(t.partitions[2], {
    partition: 2,
    replicas: [1],
    leader: 1,
    leaderEpoch: 0,
    isr: [1],
  });
  assert.equal(registry.topicById(t.topicId)?.name, 'orders');
  assert.deepEqual(
    changes.map((c) => c.type),
    ['created'],
  );

  const reloaded = await TopicRegistry.load(LocalMetadataStore.inDataDir(dir));
  assert.deepEqual(reloaded.topic('orders'), t);
});

test('Kafka topic name rules and creation errors', async () => {
  const registry = await TopicRegistry.load(LocalMetadataStore.inDataDir(dir));
  for (const bad of ['', '.', '..', 'a b', 'x'.repeat(250), 'ünïcode']) {
    assert.throws(
      () => validateTopicName(bad),
      rejectsWith(ErrorCode.INVALID_TOPIC_EXCEPTION),
      bad,
    );
  }
  validateTopicName('a.b_c-D9');
  await registry.createTopic({ name: 'a.b', numPartitions: 1, replicationFactor: 1, brokers: [1] });
  await assert.rejects(
    registry.createTopic({ name: 'a.b', numPartitions: 1, replicationFactor: 1, brokers: [1] }),
    rejectsWith(ErrorCode.TOPIC_ALREADY_EXISTS),
  );
  await assert.rejects(
    registry.createTopic({ name: 'a_b', numPartitions: 1, replicationFactor: 1, brokers: [1] }),
    rejectsWith(ErrorCode.INVALID_TOPIC_EXCEPTION),
  );
  await assert.rejects(
    registry.createTopic({ name: 'p0', numPartitions: 0, replicationFactor: 1, brokers: [1] }),
    rejectsWith(ErrorCode.INVALID_PARTITIONS),
  );
  await assert.rejects(
    registry.createTopic({ name: 'rf', numPartitions: 1, replicationFactor: 3, brokers: [1] }),
    rejectsWith(ErrorCode.INVALID_REPLICATION_FACTOR),
  );
  const dry = await registry.createTopic({
    name: 'dry',
    numPartitions: 2,
    replicationFactor: 1,
    brokers: [1],
    validateOnly: true,
  });
  assert.equal(dry.partitions.length, 2);
  assert.equal(registry.topic('dry'), undefined);
});

test('partitions grow but never shrink; configs and deletion', async () => {
  const registry = await TopicRegistry.load(LocalMetadataStore.inDataDir(dir));
  await registry.createTopic({
    name: 't',
    numPartitions: 2,
    replicationFactor: 2,
    brokers: [1, 2, 3],
  });
  const grown = await registry.createPartitions('t', 5, [1, 2, 3]);
  assert.deepEqual(
    grown.partitions.map((p) => p.replicas),
    [
      [1, 2],
      [2, 3],
      [3, 1],
      [1, 2],
      [2, 3],
    ],
  );
  await assert.rejects(
    registry.createPartitions('t', 5, [1]),
    rejectsWith(ErrorCode.INVALID_PARTITIONS),
  );
  await registry.setConfigs('t', { 'cleanup.policy': 'compact' });
  assert.equal(registry.topic('t')?.configs['cleanup.policy'], 'compact');
  await registry.deleteTopic('t');
  assert.equal(registry.topic('t'), undefined);
  await assert.rejects(
    registry.deleteTopic('t'),
    rejectsWith(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
  );
  const reloaded = await TopicRegistry.load(LocalMetadataStore.inDataDir(dir));
  assert.equal(reloaded.topics().length, 0);
});

test('compare-and-swap refuses a write based on a stale revision', async () => {
  const store = LocalMetadataStore.inDataDir(dir);
  const r1 = await store.put('/k', { v: 1 });
  assert.equal(await store.compareAndSwap('/k', r1 - 1, { v: 2 }), undefined);
  const r2 = await store.compareAndSwap('/k', r1, { v: 3 });
  assert.ok(r2 !== undefined && r2 > r1);
  assert.equal((await store.compareAndSwap('/new', 0, { v: 1 })) !== undefined, true);
  assert.equal(await store.compareAndSwap('/new', 0, { v: 2 }), undefined);
  assert.deepEqual((await store.get('/k'))?.value, { v: 3 });
});

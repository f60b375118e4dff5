// The admin client against a real broker.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaError, Samsa } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import {
  GROUP_APIS,
  PRODUCE_CONSUME_APIS,
  startTarget,
  type Target,
  uniqueTopic,
} from './target.js';

let target: Target;
let samsa: Samsa;

before(async () => {
  target = await startTarget();
  samsa = new Samsa({ brokers: [target.bootstrap], clientId: 'admin-test', logger: 'error' });
});
after(async () => {
  await target?.stop();
});

const isKafkaError = (name: string) => (err: unknown) =>
  err instanceof KafkaError && err.errorName === name;

describe('admin', () => {
  it('describes the cluster', async (t) => {
    if (target.skipUnless(t, ApiKey.Metadata)) return;
    const admin = samsa.admin();
    const d = await admin.describeCluster();
    assert.equal(d.brokers.length, 1);
    assert.equal(`${d.brokers[0]!.host}:${d.brokers[0]!.port}`, target.bootstrap);
    assert.ok(d.controllerId >= 0 || target.kind === 'samsa');
    await admin.close();
  });

  it('creates, lists, describes, grows and deletes topics', async (t) => {
    if (
      target.skipUnless(
        t,
        ApiKey.Metadata,
        ApiKey.CreateTopics,
        ApiKey.CreatePartitions,
        ApiKey.DeleteTopics,
      )
    )
      return;
    const admin = samsa.admin();
    const topic = uniqueTopic('adm');
    await admin.createTopics({
      topics: [{ topic, numPartitions: 2, configs: { 'cleanup.policy': 'compact' } }],
    });
    await assert.rejects(
      admin.createTopics({ topics: [{ topic }] }),
      isKafkaError('TOPIC_ALREADY_EXISTS'),
    );
    await admin.createTopics({ topics: [{ topic }], ifNotExists: true });
    assert.ok((await admin.listTopics()).includes(topic));
    let [d] = await admin.describeTopics({ topics: [topic] });
    assert.equal(d!.partitions.length, 2);
    assert.ok(d!.partitions.every((p) => p.leader >= 0 && p.isr.length === 1));
    await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
    [d] = await admin.describeTopics({ topics: [topic] });
    assert.equal(d!.partitions.length, 3);
    await admin.deleteTopics({ topics: [topic] });
    await assert.rejects(
      admin.describeTopics({ topics: [topic] }),
      isKafkaError('UNKNOWN_TOPIC_OR_PARTITION'),
    );
    await admin.close();
  });

  it('describes and incrementally alters configs', async (t) => {
    if (
      target.skipUnless(
        t,
        ApiKey.CreateTopics,
        ApiKey.DescribeConfigs,
        ApiKey.IncrementalAlterConfigs,
      )
    )
      return;
    const admin = samsa.admin();
    const topic = uniqueTopic('cfg');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const retention = async () =>
      (
        await admin.describeConfigs({
          resources: [{ type: 'topic', name: topic, configNames: ['retention.ms'] }],
        })
      )[0]!.configs[0]!;
    assert.equal((await retention()).source, 'DEFAULT_CONFIG');
    await admin.alterConfigs({
      resources: [
        { type: 'topic', name: topic, configs: [{ name: 'retention.ms', value: '123456' }] },
      ],
    });
    const set = await retention();
    assert.equal(set.value, '123456');
    assert.equal(set.source, 'DYNAMIC_TOPIC_CONFIG');
    await admin.alterConfigs({
      resources: [
        { type: 'topic', name: topic, configs: [{ name: 'retention.ms', op: 'delete' }] },
      ],
    });
    assert.equal((await retention()).source, 'DEFAULT_CONFIG');
    const broker = await admin.describeConfigs({
      resources: [{ type: 'broker', name: '1', configNames: ['num.partitions'] }],
    });
    assert.equal(broker[0]!.configs[0]!.name, 'num.partitions');
    await assert.rejects(
      admin.alterConfigs({
        resources: [
          { type: 'topic', name: topic, configs: [{ name: 'no.such.config', value: '1' }] },
        ],
      }),
      isKafkaError('INVALID_CONFIG'),
    );
    await admin.close();
  });

  it('lists offsets (earliest, latest, by timestamp) and deletes records', async (t) => {
    if (target.skipUnless(t, ...PRODUCE_CONSUME_APIS, ApiKey.DeleteRecords)) return;
    const admin = samsa.admin();
    const topic = uniqueTopic('off');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const p = samsa.producer();
    await p.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({
        value: String(i),
        timestamp: 1_000_000 + i * 10,
      })),
    });
    await p.close();
    const at = async (spec: Parameters<typeof admin.listOffsets>[0]['at']) =>
      (await admin.listOffsets({ topic, at: spec }))[0]!.offset;
    assert.equal(await at('earliest'), 0);
    assert.equal(await at('latest'), 10);
    assert.equal(await at({ timestamp: 1_000_035 }), 4);
    assert.equal(await at({ timestamp: 9_000_000_000_000 }), -1);
    assert.deepEqual(
      await admin.deleteRecords({ topic, partitions: [{ partition: 0, offset: 7 }] }),
      [{ partition: 0, lowWatermark: 7 }],
    );
    assert.equal(await at('earliest'), 7);
    await admin.close();
  });

  it('lists, describes, resets and deletes consumer groups', async (t) => {
    if (
      target.skipUnless(
        t,
        ...GROUP_APIS,
        ApiKey.ListGroups,
        ApiKey.DescribeGroups,
        ApiKey.DeleteGroups,
      )
    )
      return;
    const admin = samsa.admin();
    const topic = uniqueTopic('grp');
    const groupId = uniqueTopic('g');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const p = samsa.producer();
    await p.send({
      topic,
      messages: Array.from({ length: 4 }, (_, i) => ({ value: String(i), partition: i % 2 })),
    });
    await p.close();
    const c = samsa.consumer({ groupId, heartbeatIntervalMs: 200, assignors: ['roundrobin'] });
    await c.subscribe({ topics: [topic] });
    while (c.assignment().length < 2) await new Promise((r) => setTimeout(r, 50));
    assert.ok(
      (await admin.listGroups()).some(
        (g) => g.groupId === groupId && g.protocolType === 'consumer',
      ),
    );
    const [d] = await admin.describeGroups([groupId]);
    assert.equal(d!.state, 'Stable');
    assert.equal(d!.protocol, 'roundrobin');
    assert.deepEqual(d!.members[0]!.subscribedTopics, [topic]);
    assert.equal(d!.members[0]!.assignment!.length, 2);
    await assert.rejects(admin.deleteGroups([groupId]), isKafkaError('NON_EMPTY_GROUP'));
    await c.close();
    assert.deepEqual(
      (await admin.resetGroupOffsets({ groupId, topic, to: 'latest' })).map((o) => o.offset),
      [2, 2],
    );
    await admin.resetGroupOffsets({ groupId, topic, offsets: [{ partition: 1, offset: 1 }] });
    assert.deepEqual(await admin.fetchGroupOffsets({ groupId, topics: [topic] }), [
      { topic, partition: 0, offset: 2 },
      { topic, partition: 1, offset: 1 },
    ]);
    await admin.deleteGroups([groupId]);
    assert.ok(!(await admin.listGroups()).some((g) => g.groupId === groupId));
    await admin.close();
  });
});

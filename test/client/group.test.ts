// Consumer groups (classic protocol) against a real broker: assignors, rebalances, commits.
// With the default target they run against Samsa's group coordinator when its ApiVersions
// lists the group APIs (and skip, saying so, when it does not).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Consumer, Samsa, type TopicPartition } from '../../src/client/index.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { GROUP_APIS, startTarget, type Target, uniqueTopic } from './target.js';

let target: Target;
let samsa: Samsa;

before(async () => {
  target = await startTarget();
  samsa = new Samsa({ brokers: [target.bootstrap], clientId: 'group-test', logger: 'error' });
});
after(async () => {
  await target?.stop();
});

const FAST = { heartbeatIntervalMs: 200, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000 };

async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function topicWith(partitions: number, messages = 0): Promise<string> {
  const topic = uniqueTopic('grp');
  const admin = samsa.admin();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.close();
  if (messages > 0) {
    const p = samsa.producer();
    await p.send({
      topic,
      messages: Array.from({ length: messages }, (_, i) => ({ key: `k${i}`, value: String(i) })),
    });
    await p.close();
  }
  return topic;
}

const names = (tps: TopicPartition[]) => tps.map((tp) => tp.partition).sort((a, b) => a - b);

describe('consumer groups', () => {
  for (const assignor of ['range', 'roundrobin'] as const) {
    it(`splits partitions between members with ${assignor} and hands them over on leave`, async (t) => {
      if (target.skipUnless(t, ...GROUP_APIS)) return;
      const topic = await topicWith(4);
      const groupId = uniqueTopic('g');
      const a = samsa.consumer({ groupId, assignors: [assignor], ...FAST });
      const b = samsa.consumer({ groupId, assignors: [assignor], ...FAST });
      try {
        await a.subscribe({ topics: [topic] });
        await waitFor('a owns 4', () => a.assignment().length === 4);
        await b.subscribe({ topics: [topic] });
        await waitFor('2 + 2', () => a.assignment().length === 2 && b.assignment().length === 2);
        assert.deepEqual([...names(a.assignment()), ...names(b.assignment())].sort(), [0, 1, 2, 3]);
        if (assignor === 'range') assert.deepEqual(names(a.assignment()).length, 2);
        await b.close();
        await waitFor('a owns 4 again', () => a.assignment().length === 4);
      } finally {
        await a.close();
        await b.close();
      }
    });
  }

  it('cooperative-sticky moves only what must move: the first member never gives up everything', async (t) => {
    if (target.skipUnless(t, ...GROUP_APIS)) return;
    const topic = await topicWith(4);
    const groupId = uniqueTopic('g');
    const revokedFromA: number[][] = [];
    const a = samsa.consumer({
      groupId,
      assignors: ['cooperative-sticky'],
      ...FAST,
      onPartitionsRevoked: (tps) => {
        revokedFromA.push(names(tps));
      },
    });
    const b = samsa.consumer({ groupId, assignors: ['cooperative-sticky'], ...FAST });
    try {
      await a.subscribe({ topics: [topic] });
      await waitFor('a owns 4', () => a.assignment().length === 4);
      await b.subscribe({ topics: [topic] });
      await waitFor('2 + 2', () => a.assignment().length === 2 && b.assignment().length === 2);
      const owned = new Set([...names(a.assignment()), ...names(b.assignment())]);
      assert.equal(owned.size, 4, 'disjoint');
      assert.equal(revokedFromA.flat().length, 2, `a revoked ${JSON.stringify(revokedFromA)}`);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('rebalances when a subscribed topic gains partitions', async (t) => {
    if (target.skipUnless(t, ...GROUP_APIS, ApiKey.CreatePartitions)) return;
    const topic = await topicWith(2);
    const quick = new Samsa({
      brokers: [target.bootstrap],
      logger: 'error',
      metadataMaxAgeMs: 300,
    });
    const c = quick.consumer({ groupId: uniqueTopic('g'), ...FAST });
    try {
      await c.subscribe({ topics: [topic] });
      await waitFor('2 partitions', () => c.assignment().length === 2);
      const admin = samsa.admin();
      await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
      await admin.close();
      await waitFor('4 partitions', () => c.assignment().length === 4);
    } finally {
      await c.close();
    }
  });

  it('auto-commits consumed offsets; a new member resumes after them', async (t) => {
    if (target.skipUnless(t, ...GROUP_APIS)) return;
    const topic = await topicWith(1, 10);
    const groupId = uniqueTopic('g');
    const first = samsa.consumer({
      groupId,
      autoOffsetReset: 'earliest',
      autoCommitIntervalMs: 100,
      ...FAST,
    });
    await first.subscribe({ topics: [topic] });
    let n = 0;
    for await (const _ of first) if (++n === 10) break;
    await first.close(); // commits position 10
    const p = samsa.producer();
    await p.send({ topic, messages: [{ value: 'after' }] });
    await p.close();
    const second = samsa.consumer({ groupId, autoOffsetReset: 'earliest', ...FAST });
    await second.subscribe({ topics: [topic] });
    const next = await second[Symbol.asyncIterator]().next();
    assert.equal(next.value?.offset, 10);
    assert.equal(next.value?.value?.toString(), 'after');
    await second.close();
  });

  it('commits manually (autoCommit off) and reads committed offsets back', async (t) => {
    if (target.skipUnless(t, ...GROUP_APIS)) return;
    const topic = await topicWith(2, 6);
    const groupId = uniqueTopic('g');
    const c: Consumer = samsa.consumer({
      groupId,
      autoCommit: false,
      autoOffsetReset: 'earliest',
      ...FAST,
    });
    try {
      await c.subscribe({ topics: [topic] });
      await waitFor('assignment', () => c.assignment().length === 2);
      await c.commitOffsets([
        { topic, partition: 0, offset: 2 },
        { topic, partition: 1, offset: 1, metadata: 'm' },
      ]);
      assert.deepEqual(
        await c.committed([
          { topic, partition: 0 },
          { topic, partition: 1 },
        ]),
        [
          { topic, partition: 0, offset: 2 },
          { topic, partition: 1, offset: 1 },
        ],
      );
    } finally {
      await c.close();
    }
    const admin = samsa.admin();
    assert.deepEqual(await admin.fetchGroupOffsets({ groupId }), [
      { topic, partition: 0, offset: 2 },
      { topic, partition: 1, offset: 1 },
    ]);
    await admin.close();
  });

  it('commits for a manually assigned consumer (no membership) and starts from the commit', async (t) => {
    if (target.skipUnless(t, ...GROUP_APIS)) return;
    const topic = await topicWith(1, 5);
    const groupId = uniqueTopic('g');
    const a = samsa.consumer({ groupId, autoCommit: false });
    await a.assign([{ topic, partition: 0, offset: 0 }]);
    const it1 = a[Symbol.asyncIterator]();
    await it1.next();
    await it1.next();
    await a.commitOffsets();
    await a.close();
    const b = samsa.consumer({ groupId, autoOffsetReset: 'earliest' });
    await b.assign([{ topic, partition: 0 }]);
    assert.equal((await b[Symbol.asyncIterator]().next()).value?.offset, 2);
    await b.close();
  });
});

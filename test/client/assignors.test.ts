// Assignors and the consumer protocol's subscription/assignment bytes, without a broker.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AssignerProtocol } from 'kafkajs';
import {
  cooperativeStickyAssignor,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type GroupAssignment,
  type MemberSubscription,
  rangeAssignor,
  roundRobinAssignor,
  type TopicPartition,
} from '../../src/client/assignors.js';

const member = (
  memberId: string,
  topics: string[],
  owned: TopicPartition[] = [],
  generationId = -1,
): MemberSubscription => ({
  memberId,
  groupInstanceId: null,
  topics,
  ownedPartitions: owned,
  generationId,
  userData: null,
});
const tp = (s: string): TopicPartition => {
  const [topic, p] = s.split('-') as [string, string];
  return { topic, partition: Number(p) };
};
const show = (a: GroupAssignment) =>
  Object.fromEntries(
    [...a].map(([m, tps]) => [m, tps.map((x) => `${x.topic}-${x.partition}`).sort()]),
  );

describe('range assignor', () => {
  it('gives each member consecutive ranges per topic (Kafka docs example)', () => {
    const a = rangeAssignor.assign(
      [member('C0', ['t0', 't1']), member('C1', ['t0', 't1'])],
      new Map([
        ['t0', 3],
        ['t1', 3],
      ]),
    );
    assert.deepEqual(show(a), { C0: ['t0-0', 't0-1', 't1-0', 't1-1'], C1: ['t0-2', 't1-2'] });
  });

  it('only assigns a topic among its subscribers', () => {
    const a = rangeAssignor.assign(
      [member('a', ['x']), member('b', ['x', 'y'])],
      new Map([
        ['x', 2],
        ['y', 2],
      ]),
    );
    assert.deepEqual(show(a), { a: ['x-0'], b: ['x-1', 'y-0', 'y-1'] });
  });
});

describe('roundrobin assignor', () => {
  it('deals all partitions round the members (Kafka docs example)', () => {
    const a = roundRobinAssignor.assign(
      [member('C1', ['t0', 't1']), member('C0', ['t0', 't1'])],
      new Map([
        ['t0', 3],
        ['t1', 3],
      ]),
    );
    assert.deepEqual(show(a), { C0: ['t0-0', 't0-2', 't1-1'], C1: ['t0-1', 't1-0', 't1-2'] });
  });
});

describe('cooperative-sticky assignor', () => {
  const counts = new Map([['t', 6]]);
  const all = Array.from({ length: 6 }, (_, i) => tp(`t-${i}`));

  it('balances a fresh group', () => {
    const a = cooperativeStickyAssignor.assign(
      [member('a', ['t']), member('b', ['t']), member('c', ['t'])],
      counts,
    );
    assert.deepEqual(
      [...a.values()].map((x) => x.length),
      [2, 2, 2],
    );
    assert.equal(new Set([...a.values()].flat().map((x) => x.partition)).size, 6);
  });

  it('keeps owned partitions and withholds those that change owner', () => {
    // a owned everything; b joins. a keeps 3, b gets nothing yet: its 3 are withheld until a revokes them.
    const a = cooperativeStickyAssignor.assign(
      [member('a', ['t'], all, 1), member('b', ['t'])],
      counts,
    );
    assert.equal(a.get('a')!.length, 3);
    assert.equal(a.get('b')!.length, 0);
    // Next round a owns 3: b gets the other 3, a keeps exactly its own.
    const kept = a.get('a')!;
    const b = cooperativeStickyAssignor.assign(
      [member('a', ['t'], kept, 2), member('b', ['t'], [], 2)],
      counts,
    );
    assert.deepEqual(b.get('a'), kept);
    assert.equal(b.get('b')!.length, 3);
  });

  it('resolves a partition claimed by two members in favour of the newer generation', () => {
    const r = cooperativeStickyAssignor.assign(
      [member('a', ['t'], [tp('t-0')], 1), member('b', ['t'], [tp('t-0')], 2)],
      new Map([['t', 2]]),
    );
    assert.deepEqual(show(r), { a: ['t-1'], b: ['t-0'] });
  });

  it('drops owned partitions of topics no longer subscribed or deleted', () => {
    const r = cooperativeStickyAssignor.assign(
      [member('a', ['t'], [tp('gone-0'), tp('t-9')], 3)],
      new Map([['t', 2]]),
    );
    assert.deepEqual(show(r), { a: ['t-0', 't-1'] });
  });
});

describe('consumer protocol bytes', () => {
  it('round-trips a subscription and an assignment', () => {
    const s = decodeSubscription(
      encodeSubscription({
        topics: ['a', 'b'],
        userData: null,
        ownedPartitions: [{ topic: 'a', partitions: [1, 2] }],
        generationId: 4,
        rackId: null,
      }),
    );
    assert.deepEqual(s.topics, ['a', 'b']);
    assert.deepEqual(s.ownedPartitions, [{ topic: 'a', partitions: [1, 2] }]);
    assert.equal(s.generationId, 4);
    assert.deepEqual(decodeAssignment(encodeAssignment([tp('a-2'), tp('a-0'), tp('b-1')])), [
      tp('a-0'),
      tp('a-2'),
      tp('b-1'),
    ]);
    assert.deepEqual(decodeAssignment(Buffer.alloc(0)), []);
  });

  it('reads what KafkaJS writes and KafkaJS reads what we write', () => {
    const theirs = AssignerProtocol.MemberMetadata.encode({
      version: 0,
      topics: ['x', 'y'],
      userData: Buffer.from('u'),
    });
    const s = decodeSubscription(theirs);
    assert.deepEqual(s.topics, ['x', 'y']);
    assert.deepEqual(s.userData, Buffer.from('u'));
    const theirAssignment = AssignerProtocol.MemberAssignment.encode({
      version: 0,
      assignment: { x: [0, 3] },
      userData: Buffer.alloc(0),
    });
    assert.deepEqual(decodeAssignment(theirAssignment), [tp('x-0'), tp('x-3')]);
    const decoded = AssignerProtocol.MemberAssignment.decode(
      encodeAssignment([tp('x-1'), tp('y-0')]),
    );
    assert.deepEqual(decoded?.assignment, { x: [1], y: [0] });
    const meta = AssignerProtocol.MemberMetadata.decode(
      encodeSubscription({
        topics: ['z'],
        userData: null,
        ownedPartitions: [],
        generationId: -1,
        rackId: null,
      }),
    );
    assert.deepEqual(meta?.topics, ['z']);
  });
});

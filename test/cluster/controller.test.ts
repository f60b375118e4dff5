// The controller's election rules, without a store: who leads a partition after brokers leave
// or return, and what happens to the ISR and the leader epoch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { electLeader, rebalanceCandidates } from '../../src/cluster/controller.js';
import type { PartitionAssignment } from '../../src/cluster/topic-registry.js';

const p = (leader: number, isr: number[], leaderEpoch = 3): PartitionAssignment => ({
  partition: 0,
  replicas: [1, 2, 3],
  leader,
  leaderEpoch,
  isr,
});

test('a live leader with a live ISR is left alone', () => {
  assert.equal(electLeader(p(1, [1, 2, 3]), new Set([1, 2, 3]), false), undefined);
});

test('a dead follower leaves the ISR without a new leader epoch', () => {
  assert.deepEqual(electLeader(p(1, [1, 2, 3]), new Set([1, 3]), false), p(1, [1, 3]));
});

test('a dead leader is replaced by the first live ISR member in replica order, epoch bumped', () => {
  assert.deepEqual(electLeader(p(1, [1, 3]), new Set([2, 3]), false), p(3, [3], 4));
  assert.deepEqual(electLeader(p(1, [1, 2, 3]), new Set([2, 3]), false), p(2, [2, 3], 4));
});

test('no live ISR member: offline (leader -1, ISR kept) unless unclean election is enabled', () => {
  const offline = electLeader(p(1, [1]), new Set([2, 3]), false);
  assert.deepEqual(offline, p(-1, [1], 4));
  assert.equal(electLeader(offline!, new Set([2, 3]), false), undefined);
  assert.deepEqual(electLeader(p(1, [1]), new Set([2, 3]), true), p(2, [2], 4));
});

test('an offline partition gets its last ISR member back as leader when it returns', () => {
  assert.deepEqual(electLeader(p(-1, [1], 4), new Set([1, 2]), false), p(1, [1], 5));
});

test('auto leader rebalance: a broker leading too few of its preferred partitions gets them back', () => {
  const part = (partition: number, replicas: number[], leader: number, isr = replicas) => ({
    partition,
    replicas,
    leader,
    leaderEpoch: 1,
    isr,
  });
  const topic = {
    name: 't',
    topicId: 'id',
    configs: {},
    partitions: [
      part(0, [1, 2, 3], 2), // broker 1 prefers 0, 3 and 6, and leads only 3
      part(1, [2, 3, 1], 2),
      part(2, [3, 1, 2], 3),
      part(3, [1, 2, 3], 1),
      part(4, [2, 3, 1], 2),
      part(5, [3, 1, 2], 3),
      part(6, [1, 2, 3], 3, [2, 3]), // not in the ISR: not a candidate
      part(7, [1, 2, 3], 2, [1, 2, 3]),
    ],
  };
  const live = new Set([1, 2, 3]);
  assert.deepEqual(rebalanceCandidates([topic], live, 10), [
    { topic: 't', partition: 0 },
    { topic: 't', partition: 7 },
  ]);
  // 3 of broker 1's 4 preferred partitions are led elsewhere: 75 %, over 10 but not over 75.
  assert.deepEqual(rebalanceCandidates([topic], live, 75), []);
  // A broker that is not live is left alone.
  assert.deepEqual(rebalanceCandidates([topic], new Set([2, 3]), 10), []);
  // A partition being moved is left to the move.
  const moving = {
    ...topic,
    partitions: topic.partitions.map((a) => ({ ...a, addingReplicas: [4] })),
  };
  assert.deepEqual(rebalanceCandidates([moving], live, 10), []);
});

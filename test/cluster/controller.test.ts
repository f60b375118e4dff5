// The controller's election rules, without a store: who leads a partition after brokers leave
// or return, and what happens to the ISR and the leader epoch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { electLeader } from '../../src/cluster/controller.js';
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

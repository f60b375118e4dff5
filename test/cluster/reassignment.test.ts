// Reassignment and admin election rules, without a store: what a partition's state becomes when
// a move starts, is redirected, completes or is cancelled, and what ElectLeaders may do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { controllerDecision } from '../../src/cluster/controller.js';
import {
  cancelReassignment,
  completeReassignment,
  electForAdmin,
  isReassigning,
  startReassignment,
  targetReplicas,
  validateTarget,
} from '../../src/cluster/reassignment.js';
import type { PartitionAssignment } from '../../src/cluster/topic-registry.js';
import { ErrorCode, type KafkaError } from '../../src/protocol/errors.js';

const base: PartitionAssignment = {
  partition: 0,
  replicas: [1, 2, 3],
  leader: 1,
  leaderEpoch: 5,
  isr: [1, 2, 3],
};
const live = new Set([1, 2, 3, 4]);
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as KafkaError).code;
  }
  return ErrorCode.NONE;
};

test('a move records the union of replicas with what is added and removed, leader and ISR unchanged', () => {
  const moving = startReassignment(base, [2, 3, 4])!;
  assert.deepEqual(moving, {
    ...base,
    replicas: [2, 3, 4, 1],
    addingReplicas: [4],
    removingReplicas: [1],
  });
  assert.ok(isReassigning(moving));
  assert.deepEqual(targetReplicas(moving), [2, 3, 4]);
});

test('the move waits until every target replica is in the ISR', () => {
  const moving = startReassignment(base, [2, 3, 4])!;
  assert.equal(completeReassignment(moving, live), undefined);
  assert.equal(controllerDecision(moving, live, false), undefined);
});

test('once caught up, the removed replicas go; a removed leader hands over to a target replica, epoch bumped', () => {
  const caughtUp = { ...startReassignment(base, [2, 3, 4])!, isr: [1, 2, 3, 4] };
  assert.deepEqual(completeReassignment(caughtUp, live), {
    partition: 0,
    replicas: [2, 3, 4],
    leader: 2,
    leaderEpoch: 6,
    isr: [2, 3, 4],
  });
});

test('a leader that stays keeps leading; the epoch is still bumped to fence removed replicas', () => {
  const caughtUp = { ...startReassignment(base, [1, 2, 4])!, isr: [1, 2, 3, 4] };
  assert.deepEqual(completeReassignment(caughtUp, live), {
    partition: 0,
    replicas: [1, 2, 4],
    leader: 1,
    leaderEpoch: 6,
    isr: [1, 2, 4],
  });
});

test('the controller also completes a move when a dead leader is replaced in the same pass', () => {
  const caughtUp = { ...startReassignment(base, [2, 3, 4])!, isr: [1, 2, 3, 4] };
  const decided = controllerDecision(caughtUp, new Set([2, 3, 4]), false)!;
  assert.equal(isReassigning(decided), false);
  assert.deepEqual(decided.replicas, [2, 3, 4]);
  assert.ok(decided.isr.every((r) => decided.replicas.includes(r)));
  assert.ok([2, 3, 4].includes(decided.leader));
});

// As in Kafka's KRaft controller, the original order is not kept: the union is target first.
test('cancelling reverts to the original replicas; the leader moves back if a new replica led', () => {
  const moving = { ...startReassignment(base, [2, 3, 4])!, isr: [1, 2, 3, 4], leader: 4 };
  assert.deepEqual(cancelReassignment(moving, live), {
    partition: 0,
    replicas: [2, 3, 1],
    leader: 2,
    leaderEpoch: 6,
    isr: [1, 2, 3],
  });
  assert.equal(
    code(() => cancelReassignment(base, live)),
    ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
  );
});

test('a redirected move still cancels back to where the first one started', () => {
  const first = startReassignment(base, [1, 2, 4])!;
  const second = startReassignment(first, [1, 2, 5])!;
  assert.deepEqual(second.replicas, [1, 2, 5, 4, 3]);
  assert.deepEqual(second.addingReplicas, [5, 4]);
  assert.deepEqual(second.removingReplicas, [4, 3]);
  assert.deepEqual(targetReplicas(second), [1, 2, 5]);
  assert.deepEqual(cancelReassignment(second, new Set([1, 2, 3, 4, 5])).replicas, [1, 2, 3]);
});

test('a target that only reorders the replicas changes the preferred leader at once; the same list is no change', () => {
  assert.deepEqual(startReassignment(base, [3, 2, 1]), { ...base, replicas: [3, 2, 1] });
  assert.equal(startReassignment(base, [1, 2, 3]), undefined);
});

test('a target is refused when empty, with a broker twice, or naming an unregistered broker', () => {
  const registered = new Set([1, 2, 3]);
  assert.equal(
    code(() => validateTarget([], registered)),
    ErrorCode.INVALID_REPLICA_ASSIGNMENT,
  );
  assert.equal(
    code(() => validateTarget([1, 1], registered)),
    ErrorCode.INVALID_REPLICA_ASSIGNMENT,
  );
  assert.equal(
    code(() => validateTarget([1, 9], registered)),
    ErrorCode.INVALID_REPLICA_ASSIGNMENT,
  );
  assert.equal(
    code(() => validateTarget([3, 1], registered)),
    ErrorCode.NONE,
  );
});

test('preferred election: the first replica leads if live and in sync', () => {
  const moved = { ...base, leader: 2 };
  assert.deepEqual(electForAdmin(moved, 'preferred', live), { ...base, leader: 1, leaderEpoch: 6 });
  assert.equal(
    code(() => electForAdmin(base, 'preferred', live)),
    ErrorCode.ELECTION_NOT_NEEDED,
  );
  assert.equal(
    code(() => electForAdmin({ ...moved, isr: [2, 3] }, 'preferred', live)),
    ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
  );
  assert.equal(
    code(() => electForAdmin(moved, 'preferred', new Set([2, 3]))),
    ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
  );
});

test('unclean election: only without a live leader; an ISR member first, else any live replica', () => {
  assert.equal(
    code(() => electForAdmin(base, 'unclean', live)),
    ErrorCode.ELECTION_NOT_NEEDED,
  );
  const offline = { ...base, leader: -1, isr: [1] };
  assert.deepEqual(electForAdmin(offline, 'unclean', new Set([2, 3])), {
    ...offline,
    leader: 2,
    leaderEpoch: 6,
    isr: [2],
  });
  assert.deepEqual(electForAdmin(offline, 'unclean', new Set([1, 3])), {
    ...offline,
    leader: 1,
    leaderEpoch: 6,
    isr: [1],
  });
  assert.equal(
    code(() => electForAdmin(offline, 'unclean', new Set([7]))),
    ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
  );
});

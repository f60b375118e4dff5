// The KIP-848 consumer group protocol as a state machine: ConsumerGroupHeartbeat joins, server-
// side assignment, revocation before reassignment, leaving, fencing by session and rebalance
// timeouts, static members, and the error codes Kafka gives.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ConsumerGroup, MemberState } from '../../../src/coordinator/group/consumer-group.js';
import {
  consumerGroupHeartbeat,
  describeConsumerGroup,
} from '../../../src/coordinator/group/consumer-ops.js';
import type {
  ConsumerGroupHeartbeatInput,
  ConsumerGroupHeartbeatResult,
  TopicPartitionsById,
} from '../../../src/coordinator/group/types.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import {
  consumerGroup,
  decoded,
  type Harness,
  harness,
  join,
  joinInput,
  origin,
  thrownCode,
} from './harness.js';

const G = 'cg';

function hb(
  h: Harness,
  over: Partial<ConsumerGroupHeartbeatInput>,
  clientId = 'java',
): ConsumerGroupHeartbeatResult {
  const input: ConsumerGroupHeartbeatInput = {
    groupId: G,
    memberId: '',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: null,
    ...over,
  };
  return h.shard.run(() => consumerGroupHeartbeat(h.shard, input, origin(clientId)));
}

/** A member joining: epoch 0, its subscription, a rebalance timeout, no partitions. */
function joinMember(
  h: Harness,
  memberId: string,
  topics: string[],
  over: Partial<ConsumerGroupHeartbeatInput> = {},
) {
  return hb(h, {
    memberId,
    memberEpoch: 0,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: topics,
    topicPartitions: [],
    ...over,
  });
}

/** A steady-state heartbeat reporting what the member owns. */
function beat(h: Harness, memberId: string, epoch: number, owned: TopicPartitionsById[] | null) {
  return hb(h, { memberId, memberEpoch: epoch, topicPartitions: owned });
}

const count = (a: TopicPartitionsById[] | null | undefined) =>
  (a ?? []).reduce((n, t) => n + t.partitions.length, 0);
const group = (h: Harness): ConsumerGroup => consumerGroup(h.shard, G);

/** No partition is owned (assigned or pending revocation) by two members at once. */
function assertDisjoint(g: ConsumerGroup): void {
  const seen = new Map<string, string>();
  for (const m of g.members.values()) {
    for (const a of [m.assignedPartitions, m.partitionsPendingRevocation]) {
      for (const [t, ps] of a) {
        for (const p of ps) {
          const key = `${t}:${p}`;
          assert.ok(!seen.has(key), `${key} owned by ${seen.get(key)} and ${m.memberId}`);
          seen.set(key, m.memberId);
        }
      }
    }
  }
}

describe('consumer group: joining and assignment', () => {
  test('the first member gets every partition at epoch 1, and the records say so', () => {
    const h = harness();
    const t = h.topics.add('orders', 3);
    const r = joinMember(h, 'm1', ['orders']);
    assert.equal(r.errorCode, 0);
    assert.equal(r.memberId, 'm1');
    assert.equal(r.memberEpoch, 1);
    assert.equal(r.heartbeatIntervalMs, 5000);
    assert.deepEqual(r.assignment, [{ topicId: t.topicId, partitions: [0, 1, 2] }]);
    assert.deepEqual(
      decoded(h).map((x) => x.type),
      [
        'ConsumerGroupMemberMetadata',
        'ConsumerGroupPartitionMetadata',
        'ConsumerGroupMetadata',
        'ConsumerGroupTargetAssignmentMember',
        'ConsumerGroupTargetAssignmentMetadata',
        'ConsumerGroupCurrentMemberAssignment',
      ],
    );
    assert.equal(group(h).state, 'Stable');
    assert.equal(group(h).groupEpoch, 1);
  });

  test('a member id is generated when the client sends none', () => {
    const h = harness();
    h.topics.add('orders', 1);
    const r = joinMember(h, '', ['orders']);
    assert.match(r.memberId ?? '', /^[A-Za-z0-9_-]{22}$/);
  });

  test('a second member: the first revokes before the second gets the partitions, never both at once', () => {
    const h = harness();
    const t = h.topics.add('orders', 4);
    const r1 = joinMember(h, 'm1', ['orders']);
    assert.equal(count(r1.assignment), 4);
    const r2 = joinMember(h, 'm2', ['orders']);
    assert.equal(r2.memberEpoch, 2);
    assert.equal(count(r2.assignment), 0, 'its partitions are still owned by m1');
    assert.equal(group(h).state, 'Reconciling');
    assertDisjoint(group(h));
    // m1 learns it must give two partitions up: it keeps its epoch until it confirms.
    const all = [{ topicId: t.topicId, partitions: [0, 1, 2, 3] }];
    const r1b = beat(h, 'm1', 1, all);
    assert.equal(r1b.memberEpoch, 1);
    assert.equal(count(r1b.assignment), 2);
    assert.equal(group(h).members.get('m1')!.state, MemberState.UnrevokedPartitions);
    assertDisjoint(group(h));
    assert.equal(count(beat(h, 'm2', 2, []).assignment), 0, 'still waiting for m1');
    const kept = r1b.assignment!;
    const r1c = beat(h, 'm1', 1, kept);
    assert.equal(r1c.memberEpoch, 2);
    const r2b = beat(h, 'm2', 2, []);
    assert.equal(count(r2b.assignment), 2);
    assertDisjoint(group(h));
    assert.equal(group(h).state, 'Stable');
  });

  test('a leaving member (epoch -1) is removed and its partitions go to the others', () => {
    const h = harness();
    const t = h.topics.add('orders', 2);
    joinMember(h, 'm1', ['orders']);
    const r2 = joinMember(h, 'm2', ['orders']);
    beat(h, 'm1', 1, [{ topicId: t.topicId, partitions: [0, 1] }]);
    const r1 = beat(h, 'm1', 1, [{ topicId: t.topicId, partitions: [0] }]);
    beat(h, 'm2', r2.memberEpoch, []);
    assert.equal(r1.memberEpoch, 2);
    const left = hb(h, { memberId: 'm2', memberEpoch: -1 });
    assert.equal(left.errorCode, 0);
    assert.equal(left.memberEpoch, -1);
    assert.equal(group(h).members.has('m2'), false);
    const after = beat(h, 'm1', 2, [{ topicId: t.topicId, partitions: [0] }]);
    assert.equal(after.memberEpoch, 3, 'm1 join, m2 join, m2 leave');
    assert.equal(count(after.assignment), 2);
  });

  test('a member whose session expires is fenced; a member that does not revoke in time is fenced too', () => {
    const h = harness({ consumerSessionTimeoutMs: 10_000 });
    h.topics.add('orders', 2);
    joinMember(h, 'm1', ['orders']);
    joinMember(h, 'm2', ['orders']);
    h.clock.advance(9000);
    beat(h, 'm2', 2, []);
    h.clock.advance(1000); // m1 silent for 10 s
    assert.equal(group(h).members.has('m1'), false);
    const r2 = beat(h, 'm2', 2, []);
    assert.equal(count(r2.assignment), 2);

    const h2 = harness();
    const t2 = h2.topics.add('orders', 2);
    joinMember(h2, 'a', ['orders'], { rebalanceTimeoutMs: 5000 });
    joinMember(h2, 'b', ['orders']);
    beat(h2, 'a', 1, [{ topicId: t2.topicId, partitions: [0, 1] }]); // told to revoke one
    h2.clock.advance(4999);
    beat(h2, 'b', 2, []);
    assert.equal(consumerGroup(h2.shard, G).members.has('a'), true);
    h2.clock.advance(1);
    assert.equal(
      consumerGroup(h2.shard, G).members.has('a'),
      false,
      'fenced by its rebalance timeout',
    );
  });

  test('a regex subscription follows topics created later; new partitions are assigned on the next heartbeat', () => {
    const h = harness();
    h.topics.add('orders-eu', 1);
    h.topics.add('payments', 1);
    const r = hb(h, {
      memberId: 'm1',
      memberEpoch: 0,
      rebalanceTimeoutMs: 1000,
      subscribedTopicNames: [],
      subscribedTopicRegex: 'orders-.*',
      topicPartitions: [],
    });
    assert.equal(count(r.assignment), 1);
    h.topics.add('orders-us', 2);
    const r2 = beat(h, 'm1', r.memberEpoch, r.assignment);
    assert.equal(count(r2.assignment), 3);
    h.topics.add('orders-eu', 4);
    const r3 = beat(h, 'm1', r2.memberEpoch, r2.assignment);
    assert.equal(count(r3.assignment), 6);
  });

  test('the range assignor is used when members ask for it', () => {
    const h = harness();
    const t = h.topics.add('orders', 5);
    joinMember(h, 'a', ['orders'], { serverAssignor: 'range' });
    joinMember(h, 'b', ['orders'], { serverAssignor: 'range' });
    const target = group(h).targetAssignment;
    assert.deepEqual([...target.get('a')!.get(t.topicId)!].sort(), [0, 1, 2]);
    assert.deepEqual([...target.get('b')!.get(t.topicId)!].sort(), [3, 4]);
    assert.equal(describeConsumerGroup(h.shard, G).assignorName, 'range');
  });

  test('an empty classic group (e.g. of simple commits) becomes a consumer group; a live one is refused', async () => {
    const h = harness();
    h.topics.add('orders', 1);
    h.shard.getOrCreateClassicGroup(G);
    assert.equal(joinMember(h, 'm1', ['orders']).errorCode, 0);
    assert.equal(decoded(h)[0]!.type, 'GroupMetadata', 'the classic group is deleted first');
    const live = join(h, joinInput('classic-live'), origin('c', 3));
    h.clock.advance(0);
    assert.equal((await live).errorCode, 0);
    assert.equal(
      thrownCode(() =>
        hb(h, {
          groupId: 'classic-live',
          memberId: 'x',
          rebalanceTimeoutMs: 1,
          subscribedTopicNames: ['orders'],
          topicPartitions: [],
        }),
      ),
      ErrorCode.GROUP_ID_NOT_FOUND,
    );
  });
});

describe('consumer group: static members', () => {
  test('a static member leaving with epoch -2 keeps its partitions for its next incarnation', () => {
    const h = harness();
    const t = h.topics.add('orders', 2);
    const first = joinMember(h, 'old', ['orders'], { instanceId: 'i-1' });
    assert.equal(count(first.assignment), 2);
    const left = hb(h, { memberId: 'old', memberEpoch: -2, instanceId: 'i-1' });
    assert.equal(left.memberEpoch, -2);
    assert.equal(group(h).members.get('old')!.memberEpoch, -2);
    const epochBefore = group(h).groupEpoch;
    const back = joinMember(h, 'new', ['orders'], { instanceId: 'i-1' });
    assert.equal(back.errorCode, 0);
    assert.deepEqual(back.assignment, [{ topicId: t.topicId, partitions: [0, 1] }]);
    assert.equal(group(h).groupEpoch, epochBefore, 'no rebalance');
    assert.equal(group(h).members.has('old'), false);
    assert.equal(group(h).staticMember('i-1')?.memberId, 'new');
  });

  test('a second instance with the same id while the first has not left: UNRELEASED_INSTANCE_ID', () => {
    const h = harness();
    h.topics.add('orders', 1);
    joinMember(h, 'old', ['orders'], { instanceId: 'i-1' });
    assert.equal(
      thrownCode(() => joinMember(h, 'new', ['orders'], { instanceId: 'i-1' })),
      ErrorCode.UNRELEASED_INSTANCE_ID,
    );
    assert.equal(
      thrownCode(() => beat(h, 'impostor', 1, null)),
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    assert.equal(
      thrownCode(() => hb(h, { memberId: 'impostor', memberEpoch: 1, instanceId: 'i-1' })),
      ErrorCode.FENCED_INSTANCE_ID,
    );
  });
});

describe('consumer group: error codes', () => {
  test('invalid requests', () => {
    const h = harness();
    h.topics.add('orders', 1);
    const invalid = (over: Partial<ConsumerGroupHeartbeatInput>) =>
      thrownCode(() =>
        hb(h, {
          memberId: 'm',
          memberEpoch: 0,
          rebalanceTimeoutMs: 1000,
          subscribedTopicNames: ['orders'],
          topicPartitions: [],
          ...over,
        }),
      );
    assert.equal(invalid({ groupId: '' }), ErrorCode.INVALID_REQUEST);
    assert.equal(invalid({ instanceId: '' }), ErrorCode.INVALID_REQUEST);
    assert.equal(invalid({ rackId: '' }), ErrorCode.INVALID_REQUEST);
    assert.equal(invalid({ rebalanceTimeoutMs: -1 }), ErrorCode.INVALID_REQUEST);
    assert.equal(invalid({ topicPartitions: null }), ErrorCode.INVALID_REQUEST);
    assert.equal(
      invalid({ topicPartitions: [{ topicId: 'x', partitions: [0] }] }),
      ErrorCode.INVALID_REQUEST,
    );
    assert.equal(invalid({ subscribedTopicNames: [] }), ErrorCode.INVALID_REQUEST);
    assert.equal(invalid({ memberEpoch: -3 }), ErrorCode.INVALID_REQUEST);
    assert.equal(invalid({ memberEpoch: 5, memberId: '' }), ErrorCode.INVALID_REQUEST);
    assert.equal(invalid({ memberEpoch: -2, instanceId: null }), ErrorCode.INVALID_REQUEST);
    assert.equal(invalid({ serverAssignor: 'sticky' }), ErrorCode.UNSUPPORTED_ASSIGNOR);
    assert.equal(invalid({ subscribedTopicRegex: '(' }), ErrorCode.INVALID_REGULAR_EXPRESSION);
  });

  test('unknown groups and members, stale and future epochs', () => {
    const h = harness({ consumerMaxSize: 2 });
    const t = h.topics.add('orders', 2);
    assert.equal(
      thrownCode(() => beat(h, 'm1', 1, null)),
      ErrorCode.GROUP_ID_NOT_FOUND,
    );
    assert.equal(
      thrownCode(() => hb(h, { memberId: 'm1', memberEpoch: -1 })),
      ErrorCode.GROUP_ID_NOT_FOUND,
    );
    joinMember(h, 'm1', ['orders']);
    assert.equal(
      thrownCode(() => beat(h, 'm9', 1, null)),
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    assert.equal(
      thrownCode(() => hb(h, { memberId: 'm9', memberEpoch: -1 })),
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    assert.equal(
      thrownCode(() => beat(h, 'm1', 7, null)),
      ErrorCode.FENCED_MEMBER_EPOCH,
    );
    joinMember(h, 'm2', ['orders']);
    assert.equal(
      thrownCode(() => joinMember(h, 'm3', ['orders'])),
      ErrorCode.GROUP_MAX_SIZE_REACHED,
    );
    const all = [{ topicId: t.topicId, partitions: [0, 1] }];
    const r = beat(h, 'm1', 1, all);
    const kept = beat(h, 'm1', 1, r.assignment);
    assert.equal(kept.memberEpoch, 2);
    // The answer with epoch 2 may have been lost: epoch 1 with a subset is still accepted.
    assert.equal(kept.assignment, null, 'no change to announce');
    assert.equal(beat(h, 'm1', 1, r.assignment).errorCode, 0);
    assert.equal(
      thrownCode(() => beat(h, 'm1', 1, all)),
      ErrorCode.FENCED_MEMBER_EPOCH,
    );
    // As in Kafka, a known member id rejoining with epoch 0 is fenced until its session ends.
    assert.equal(
      thrownCode(() => joinMember(h, 'm1', ['orders'])),
      ErrorCode.FENCED_MEMBER_EPOCH,
    );
  });

  test('ConsumerGroupDescribe', () => {
    const h = harness();
    const t = h.topics.add('orders', 2);
    assert.equal(describeConsumerGroup(h.shard, 'nope').errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.equal(describeConsumerGroup(h.shard, '').errorCode, ErrorCode.INVALID_GROUP_ID);
    joinMember(h, 'm1', ['orders'], { instanceId: 'i-1', rackId: 'rack-a' });
    const d = describeConsumerGroup(h.shard, G);
    assert.equal(d.errorCode, 0);
    assert.equal(d.groupState, 'Stable');
    assert.equal(d.groupEpoch, 1);
    assert.equal(d.assignmentEpoch, 1);
    assert.equal(d.assignorName, 'uniform');
    assert.deepEqual(d.members[0]!.assignment, [
      { topicId: t.topicId, topicName: 'orders', partitions: [0, 1] },
    ]);
    assert.equal(d.members[0]!.instanceId, 'i-1');
    assert.equal(d.members[0]!.rackId, 'rack-a');
    assert.equal(d.members[0]!.clientHost, '/127.0.0.1');
  });
});

describe('consumer group: replay', () => {
  test('a shard rebuilt from the records has the same epochs, members, assignments and targets', () => {
    const h = harness();
    const t = h.topics.add('orders', 4);
    joinMember(h, 'm1', ['orders']);
    joinMember(h, 'm2', ['orders'], { instanceId: 'i-2' });
    beat(h, 'm1', 1, [{ topicId: t.topicId, partitions: [0, 1, 2, 3] }]); // mid-revocation
    const live = group(h);
    const rebuilt = consumerGroup(h.rebuild(), G);
    assert.equal(rebuilt.groupEpoch, live.groupEpoch);
    assert.equal(rebuilt.assignmentEpoch, live.assignmentEpoch);
    assert.equal(rebuilt.state, live.state);
    assert.deepEqual([...rebuilt.members.keys()].sort(), [...live.members.keys()].sort());
    for (const [id, m] of live.members) assert.deepEqual(rebuilt.members.get(id), m);
    assert.deepEqual(rebuilt.targetAssignment, live.targetAssignment);
    assert.deepEqual(rebuilt.subscriptionMetadata, live.subscriptionMetadata);
    for (let p = 0; p < 4; p++) {
      assert.equal(
        rebuilt.currentPartitionEpoch(t.topicId, p),
        live.currentPartitionEpoch(t.topicId, p),
      );
    }
  });
});

// The classic protocol as a state machine: JoinGroup/SyncGroup/Heartbeat/LeaveGroup against a
// shard with a manual clock, checking states, generations, error codes and timeouts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClassicGroup } from '../../../src/coordinator/group/classic-group.js';
import * as classic from '../../../src/coordinator/group/classic-ops.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import {
  classicGroup,
  decoded,
  type Harness,
  harness,
  heartbeat,
  join,
  joinDynamic,
  joinInput,
  origin,
  peek,
  settle,
  sync,
} from './harness.js';

const G = 'group-a';

/** One dynamic member forms a stable group; returns its id and generation. */
async function stableGroupOfOne(h: Harness, clientId = 'c1') {
  const { memberId, result } = await joinDynamic(h, G, clientId);
  h.clock.advance(0);
  const joined = await result;
  assert.equal(joined.errorCode, 0);
  const synced = await sync(h, G, memberId, joined.generationId, [
    { memberId, assignment: Buffer.from('A') },
  ]);
  assert.equal(synced.errorCode, 0);
  return { memberId, generationId: joined.generationId };
}

/** Two members, A leading; both synced. */
async function stableGroupOfTwo(h: Harness) {
  const a = await stableGroupOfOne(h, 'c1');
  const b = await joinDynamic(h, G, 'c2');
  assert.equal(classicGroup(h, G).state, 'PreparingRebalance');
  const aJoin = join(h, joinInput(G, { memberId: a.memberId }));
  const [ra, rb] = await Promise.all([aJoin, b.result]);
  assert.equal(ra.generationId, 2);
  const syncB = sync(h, G, b.memberId, 2);
  const syncA = sync(h, G, a.memberId, 2, [
    { memberId: a.memberId, assignment: Buffer.from('for-a') },
    { memberId: b.memberId, assignment: Buffer.from('for-b') },
  ]);
  const [sa, sb] = await Promise.all([syncA, syncB]);
  assert.equal(sa.assignment.toString(), 'for-a');
  assert.equal(sb.assignment.toString(), 'for-b');
  assert.equal(rb.leader, a.memberId);
  return { a: a.memberId, b: b.memberId, generationId: 2 };
}

describe('classic group: joining', () => {
  test('a new member is given an id to rejoin with (MEMBER_ID_REQUIRED), then leads a group of one', async () => {
    const h = harness();
    const first = await join(h, joinInput(G), origin('c1'));
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.match(first.memberId, /^c1-[0-9a-f-]{36}$/);
    const second = join(h, joinInput(G, { memberId: first.memberId }));
    assert.equal(await peek(second), 'pending', 'the initial delay holds the first join');
    h.clock.advance(0);
    const r = await second;
    assert.equal(r.errorCode, 0);
    assert.equal(r.generationId, 1);
    assert.equal(r.leader, first.memberId);
    assert.equal(r.protocolName, 'range');
    assert.deepEqual(
      r.members.map((m) => [m.memberId, m.metadata.toString()]),
      [[first.memberId, 'meta']],
    );
    assert.equal(classicGroup(h, G).state, 'CompletingRebalance');
    const s = await sync(h, G, first.memberId, 1, [
      { memberId: first.memberId, assignment: Buffer.from('A') },
    ]);
    assert.equal(s.errorCode, 0);
    assert.equal(s.assignment.toString(), 'A');
    assert.equal(classicGroup(h, G).state, 'Stable');
    const stored = decoded(h).filter((r) => r.type === 'GroupMetadata');
    const last = stored.at(-1)!;
    assert.equal(last.type === 'GroupMetadata' && last.value?.generation, 1);
    assert.equal(
      last.type === 'GroupMetadata' && last.value?.members[0]?.assignment.toString(),
      'A',
    );
  });

  test('JoinGroup v0-3 adds an unknown member at once, without MEMBER_ID_REQUIRED', async () => {
    const h = harness();
    const r = join(h, joinInput(G), origin('old', 3));
    h.clock.advance(0);
    const joined = await r;
    assert.equal(joined.errorCode, 0);
    assert.match(joined.memberId, /^old-/);
  });

  test('the first rebalance waits group.initial.rebalance.delay.ms, longer while members keep coming', async () => {
    const h = harness({ groupInitialRebalanceDelayMs: 3000 });
    const a = await joinDynamic(h, G, 'c1');
    h.clock.advance(2000);
    assert.equal(await peek(a.result), 'pending');
    const b = await joinDynamic(h, G, 'c2');
    h.clock.advance(1000); // the first delay ends, but a member came: wait another delay
    assert.equal(await peek(a.result), 'pending');
    h.clock.advance(2999);
    assert.equal(await peek(b.result), 'pending');
    h.clock.advance(1);
    const [ra, rb] = await Promise.all([a.result, b.result]);
    assert.equal(ra.generationId, 1);
    assert.equal(rb.generationId, 1);
    assert.equal(ra.members.length + rb.members.length, 2, 'only the leader receives the members');
  });

  test('a member joining a stable group starts a rebalance; followers wait in SyncGroup for the leader', async () => {
    const h = harness();
    const { a, b } = await stableGroupOfTwo(h);
    assert.equal(classicGroup(h, G).state, 'Stable');
    assert.notEqual(a, b);
  });

  test('a member rejoining with the same metadata during CompletingRebalance gets its generation again', async () => {
    const h = harness();
    const a = await joinDynamic(h, G, 'c1');
    h.clock.advance(0);
    const first = await a.result;
    const again = await join(h, joinInput(G, { memberId: a.memberId }));
    assert.equal(again.generationId, first.generationId);
    assert.equal(again.members.length, 1, 'the leader gets the members again');
    assert.equal(classicGroup(h, G).state, 'CompletingRebalance');
  });

  test('the leader rejoining a stable group forces a rebalance; a follower with unchanged metadata does not', async () => {
    const h = harness();
    const { a, b } = await stableGroupOfTwo(h);
    const followerAgain = await join(h, joinInput(G, { memberId: b }));
    assert.equal(followerAgain.generationId, 2);
    assert.equal(classicGroup(h, G).state, 'Stable');
    const leaderAgain = join(h, joinInput(G, { memberId: a }));
    assert.equal(classicGroup(h, G).state, 'PreparingRebalance');
    assert.equal(heartbeat(h, G, b, 2), ErrorCode.REBALANCE_IN_PROGRESS);
    const bAgain = join(h, joinInput(G, { memberId: b }));
    const [ra, rb] = await Promise.all([leaderAgain, bAgain]);
    assert.equal(ra.generationId, 3);
    assert.equal(rb.generationId, 3);
  });

  test('the protocol is the one every member supports that most members prefer', async () => {
    const h = harness();
    const both = [
      { name: 'cooperative-sticky', metadata: Buffer.from('x') },
      { name: 'range', metadata: Buffer.from('y') },
    ];
    const a = await joinDynamic(h, G, 'c1', { protocols: both });
    const b = await joinDynamic(h, G, 'c2', { protocols: [both[1]!, both[0]!] });
    const c = await joinDynamic(h, G, 'c3', { protocols: both });
    h.clock.advance(0);
    const results = await Promise.all([a.result, b.result, c.result]);
    for (const r of results) assert.equal(r.protocolName, 'cooperative-sticky');
  });
});

describe('classic group: failures and timeouts', () => {
  test('a member that stops heartbeating is removed after its session timeout; the group rebalances', async () => {
    const h = harness();
    const { a, b } = await stableGroupOfTwo(h);
    for (let t = 0; t < 3; t++) {
      h.clock.advance(3000);
      assert.equal(heartbeat(h, G, a, 2), 0);
    }
    h.clock.advance(1000); // b has been silent for 10 s
    const g = classicGroup(h, G);
    assert.equal(g.hasMember(b), false);
    assert.equal(g.state, 'PreparingRebalance');
    assert.equal(heartbeat(h, G, a, 2), ErrorCode.REBALANCE_IN_PROGRESS);
    const r = await join(h, joinInput(G, { memberId: a }));
    assert.equal(r.generationId, 3);
    assert.deepEqual(
      r.members.map((m) => m.memberId),
      [a],
    );
    assert.equal(heartbeat(h, G, b, 2), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('members that do not rejoin within the rebalance timeout are dropped from the next generation', async () => {
    const h = harness();
    const { a, b } = await stableGroupOfTwo(h);
    const c = await joinDynamic(h, G, 'c3');
    const aAgain = join(h, joinInput(G, { memberId: a }));
    for (let t = 0; t < 9; t++) {
      h.clock.advance(3000);
      // b stays alive but never rejoins
      assert.equal(heartbeat(h, G, b, 2), ErrorCode.REBALANCE_IN_PROGRESS);
    }
    assert.equal(await peek(aAgain), 'pending');
    h.clock.advance(3000); // the rebalance timeout (30 s) ends the join phase
    const [ra, rc] = await Promise.all([aAgain, c.result]);
    assert.equal(ra.generationId, 3);
    assert.deepEqual(new Set(ra.members.map((m) => m.memberId)), new Set([a, c.memberId]));
    assert.equal(rc.errorCode, 0);
    assert.equal(heartbeat(h, G, b, 3), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('members that never send SyncGroup are removed after the rebalance timeout', async () => {
    const h = harness();
    const a = await stableGroupOfOne(h);
    const b = await joinDynamic(h, G, 'c2');
    const ra = join(h, joinInput(G, { memberId: a.memberId }));
    await Promise.all([ra, b.result]);
    const s = await sync(h, G, a.memberId, 2, []);
    assert.equal(s.errorCode, 0, 'the leader syncs; b heartbeats but never syncs');
    for (let t = 0; t < 9; t++) {
      h.clock.advance(3000);
      assert.equal(heartbeat(h, G, b.memberId, 2), 0);
      assert.equal(heartbeat(h, G, a.memberId, 2), 0);
    }
    h.clock.advance(2999);
    assert.equal(classicGroup(h, G).hasMember(b.memberId), true);
    h.clock.advance(1);
    assert.equal(classicGroup(h, G).hasMember(b.memberId), false);
    assert.equal(classicGroup(h, G).state, 'PreparingRebalance');
  });

  test('a pending member that never comes back with its id expires after its session timeout', async () => {
    const h = harness();
    const a = await stableGroupOfOne(h);
    const first = await join(h, joinInput(G), origin('ghost'));
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.equal(classicGroup(h, G).isPendingMember(first.memberId), true);
    heartbeat(h, G, a.memberId, a.generationId);
    h.clock.advance(10_000);
    assert.equal(classicGroup(h, G).isPendingMember(first.memberId), false);
  });

  test('a group whose members all leave becomes Empty with a new generation, persisted', async () => {
    const h = harness();
    const { a, b } = await stableGroupOfTwo(h);
    const r = h.shard.run(() =>
      classic.leaveGroup(h.shard, {
        groupId: G,
        members: [
          { memberId: a, groupInstanceId: null, reason: 'bye' },
          { memberId: b, groupInstanceId: null, reason: null },
          { memberId: 'stranger', groupInstanceId: null, reason: null },
        ],
      }),
    );
    assert.deepEqual(
      r.members.map((m) => m.errorCode),
      [0, 0, ErrorCode.UNKNOWN_MEMBER_ID],
    );
    const g = classicGroup(h, G);
    assert.equal(g.state, 'Empty');
    assert.equal(g.generationId, 3);
    const last = decoded(h).at(-1)!;
    assert.equal(last.type, 'GroupMetadata');
    assert.equal(last.type === 'GroupMetadata' && last.value?.members.length, 0);
  });

  test('a failed append of the assignment answers every waiting member with the mapped error', async () => {
    const h = harness();
    const a = await joinDynamic(h, G, 'c1');
    h.clock.advance(0);
    const r = await a.result;
    h.failAppends(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'moved'));
    assert.throws(
      () => sync(h, G, a.memberId, r.generationId, []),
      (e: KafkaError) => e.code === ErrorCode.NOT_COORDINATOR,
    );
    h.failAppends(undefined);
    assert.equal(
      classicGroup(h, G).state,
      'PreparingRebalance',
      'the failed generation starts over',
    );
  });
});

describe('classic group: static membership', () => {
  async function staticPair(h: Harness) {
    const a = join(h, joinInput(G, { groupInstanceId: 'i-1' }), origin('c1'));
    const b = join(h, joinInput(G, { groupInstanceId: 'i-2' }), origin('c2'));
    h.clock.advance(0);
    const [ra, rb] = await Promise.all([a, b]);
    assert.match(ra.memberId, /^i-1-/, 'static member ids start with the instance id');
    const leader = ra.leader === ra.memberId ? ra : rb;
    const follower = leader === ra ? rb : ra;
    const sf = sync(h, G, follower.memberId, 1, [], follower === ra ? 'i-1' : 'i-2');
    await sync(
      h,
      G,
      leader.memberId,
      1,
      [
        { memberId: ra.memberId, assignment: Buffer.from('one') },
        { memberId: rb.memberId, assignment: Buffer.from('two') },
      ],
      leader === ra ? 'i-1' : 'i-2',
    );
    await sf;
    return { one: ra.memberId, two: rb.memberId, leader: leader.memberId };
  }

  test('a restarted instance takes its old place without a rebalance; its old member id is fenced', async () => {
    const h = harness();
    const { one, two } = await staticPair(h);
    const again = await join(h, joinInput(G, { groupInstanceId: 'i-1' }), origin('c1'));
    assert.equal(again.errorCode, 0);
    assert.notEqual(again.memberId, one);
    assert.equal(again.generationId, 1, 'same generation: no rebalance');
    assert.equal(classicGroup(h, G).state, 'Stable');
    assert.equal(heartbeat(h, G, one, 1, 'i-1'), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(heartbeat(h, G, again.memberId, 1, 'i-1'), 0);
    const s = await sync(h, G, again.memberId, 1, [], 'i-1');
    assert.equal(s.assignment.toString(), 'one', 'it keeps the assignment of its instance');
    assert.equal(heartbeat(h, G, two, 1, 'i-2'), 0);
  });

  test('static members stay through a rebalance they miss, until their session expires', async () => {
    const h = harness();
    const { one, two, leader } = await staticPair(h);
    const other = leader === one ? two : one;
    const otherInstance = other === one ? 'i-1' : 'i-2';
    const leaderInstance = leader === one ? 'i-1' : 'i-2';
    const rejoin = join(h, joinInput(G, { memberId: leader, groupInstanceId: leaderInstance }));
    for (let t = 0; t < 10; t++) {
      assert.equal(heartbeat(h, G, other, 1, otherInstance), ErrorCode.REBALANCE_IN_PROGRESS);
      h.clock.advance(3000); // up to the rebalance timeout: the static member is not dropped
    }
    const r = await rejoin;
    assert.equal(r.generationId, 2);
    assert.equal(classicGroup(h, G).hasMember(other), true);
    assert.equal(heartbeat(h, G, other, 1, otherInstance), ErrorCode.ILLEGAL_GENERATION);
    h.clock.advance(10_000); // now its session ends
    assert.equal(classicGroup(h, G).hasMember(other), false);
  });

  test('an admin removes a static member by instance id alone; unknown instances get UNKNOWN_MEMBER_ID', async () => {
    const h = harness();
    const { one } = await staticPair(h);
    const r = h.shard.run(() =>
      classic.leaveGroup(h.shard, {
        groupId: G,
        members: [
          { memberId: '', groupInstanceId: 'i-1', reason: null },
          { memberId: '', groupInstanceId: 'i-9', reason: null },
          { memberId: 'wrong', groupInstanceId: 'i-2', reason: null },
        ],
      }),
    );
    assert.deepEqual(
      r.members.map((m) => m.errorCode),
      [0, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID],
    );
    assert.equal(classicGroup(h, G).hasMember(one), false);
  });
});

describe('classic group: error codes', () => {
  test('JoinGroup', async () => {
    const h = harness();
    const code = async (input: Parameters<typeof joinInput>[1], o = origin()) =>
      (await join(h, joinInput(G, input), o)).errorCode;
    assert.equal((await join(h, joinInput(''))).errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal(await code({ sessionTimeoutMs: 1000 }), ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal(await code({ sessionTimeoutMs: 3_600_000 }), ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal(await code({ memberId: 'made-up' }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await code({ protocolType: '' }), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal(await code({ protocols: [] }), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const a = await stableGroupOfOne(h);
    assert.equal(await code({ memberId: 'made-up' }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await code({ protocolType: 'connect' }), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal(
      await code({ protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }),
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    assert.equal(
      await code({ memberId: a.memberId, groupInstanceId: 'not-mine' }),
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    const full = harness({ groupMaxSize: 1 });
    await stableGroupOfOne(full);
    assert.equal(
      (await join(full, joinInput(G), origin('c', 3))).errorCode,
      ErrorCode.GROUP_MAX_SIZE_REACHED,
    );
  });

  test('SyncGroup', async () => {
    const h = harness();
    const code = async (groupId: string, memberId: string, generation: number, over = {}) =>
      (
        await h.shard.run(() =>
          classic.syncGroup(h.shard, {
            groupId,
            memberId,
            generationId: generation,
            groupInstanceId: null,
            protocolType: null,
            protocolName: null,
            assignments: [],
            ...over,
          }),
        )
      ).errorCode;
    assert.equal(await code('', 'm', 1), ErrorCode.INVALID_GROUP_ID);
    assert.equal(await code('nope', 'm', 1), ErrorCode.UNKNOWN_MEMBER_ID);
    const a = await stableGroupOfOne(h);
    assert.equal(await code(G, 'stranger', 1), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await code(G, a.memberId, 0), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(
      await code(G, a.memberId, 1, { protocolName: 'roundrobin' }),
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    assert.equal(
      await code(G, a.memberId, 1, { protocolType: 'connect' }),
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    assert.equal(
      await code(G, a.memberId, 1, { groupInstanceId: 'x' }),
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    assert.equal(await code(G, a.memberId, 1), 0);
    await joinDynamic(h, G, 'c2'); // a new member: PreparingRebalance until a rejoins
    assert.equal(await code(G, a.memberId, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  });

  test('Heartbeat', async () => {
    const h = harness();
    assert.equal(heartbeat(h, '', 'm', 1), ErrorCode.INVALID_GROUP_ID);
    assert.equal(heartbeat(h, 'nope', 'm', 1), ErrorCode.UNKNOWN_MEMBER_ID);
    const a = await stableGroupOfOne(h);
    assert.equal(heartbeat(h, G, 'stranger', 1), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(heartbeat(h, G, a.memberId, 7), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(heartbeat(h, G, a.memberId, 1, 'i-x'), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(heartbeat(h, G, a.memberId, 1), 0);
  });

  test('LeaveGroup', () => {
    const h = harness();
    const leave = (groupId: string) =>
      h.shard.run(() =>
        classic.leaveGroup(h.shard, {
          groupId,
          members: [{ memberId: 'm', groupInstanceId: null, reason: null }],
        }),
      );
    assert.equal(leave('').errorCode, ErrorCode.INVALID_GROUP_ID);
    const unknown = leave('nope');
    assert.equal(unknown.errorCode, 0);
    assert.equal(unknown.members[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('requests to a group that moved away (Dead) answer COORDINATOR_NOT_AVAILABLE', async () => {
    const h = harness();
    const a = await stableGroupOfOne(h);
    const g = classicGroup(h, G);
    classic.onClassicGroupUnloaded(g);
    assert.equal(heartbeat(h, G, a.memberId, 1), ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal((await join(h, joinInput(G))).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.ok(g instanceof ClassicGroup);
    await settle();
  });
});

describe('classic group: replay', () => {
  test('a shard rebuilt from the records has the same generation, leader, protocol, members and assignments', async () => {
    const h = harness();
    const { a, b } = await stableGroupOfTwo(h);
    const rebuilt = h.rebuild();
    const g = rebuilt.groups.get(G);
    assert.ok(g instanceof ClassicGroup);
    assert.equal(g.state, 'Stable');
    assert.equal(g.generationId, 2);
    assert.equal(g.leaderId, a);
    assert.equal(g.protocolName, 'range');
    assert.equal(g.protocolType, 'consumer');
    assert.equal(g.member(b)?.assignment.toString(), 'for-b');
    assert.equal(g.member(a)?.clientId, 'c1');
    assert.equal(g.member(a)?.clientHost, '/127.0.0.1');
  });
});

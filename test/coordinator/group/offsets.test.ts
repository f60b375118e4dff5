// OffsetCommit / OffsetFetch / OffsetDelete rules and the retention of committed offsets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as classic from '../../../src/coordinator/group/classic-ops.js';
import {
  cleanupGroupMetadata,
  commitOffsets,
  deleteOffsets,
  fetchOffsets,
  onTopicDeleted,
} from '../../../src/coordinator/group/offset-ops.js';
import { result } from '../../../src/coordinator/group/result.js';
import type { OffsetCommitInput } from '../../../src/coordinator/group/types.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { decoded, type Harness, harness, joinDynamic, sync } from './harness.js';

const G = 'g';

function commit(h: Harness, over: Partial<OffsetCommitInput> = {}, apiVersion = 8) {
  const input: OffsetCommitInput = {
    groupId: G,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [
      {
        name: 'orders',
        partitions: [
          {
            partitionIndex: 0,
            committedOffset: 10,
            committedLeaderEpoch: 3,
            committedMetadata: 'm',
          },
        ],
      },
    ],
    ...over,
  };
  return h.shard.run(() => commitOffsets(h.shard, input, apiVersion));
}
const codes = (r: ReturnType<typeof commit>) =>
  r.flatMap((t) => t.partitions.map((p) => p.errorCode));
const fetch = (
  h: Harness,
  topics: { name: string; partitionIndexes: number[] }[] | null,
  groupId = G,
) => fetchOffsets(h.shard, { groupId, memberId: null, memberEpoch: -1, topics });

async function stableMember(h: Harness) {
  const m = await joinDynamic(h, G, 'c1');
  h.clock.advance(0);
  const r = await m.result;
  await sync(h, G, m.memberId, r.generationId, []);
  return { memberId: m.memberId, generationId: r.generationId };
}

describe('offsets: commit', () => {
  test('a simple commit (no member, generation -1) creates a group and stores offset, leader epoch and metadata', () => {
    const h = harness();
    h.topics.add('orders', 2);
    assert.deepEqual(codes(commit(h)), [0]);
    assert.ok(h.shard.groups.has(G));
    assert.deepEqual(
      fetch(h, [{ name: 'orders', partitionIndexes: [0, 1] }]).topics[0]!.partitions,
      [
        {
          partitionIndex: 0,
          committedOffset: 10,
          committedLeaderEpoch: 3,
          metadata: 'm',
          errorCode: 0,
        },
        {
          partitionIndex: 1,
          committedOffset: -1,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: 0,
        },
      ],
    );
    const rec = decoded(h)[0]!;
    assert.equal(rec.type, 'OffsetCommit');
    assert.equal(rec.type === 'OffsetCommit' && rec.value?.commitTimestamp, BigInt(h.clock.now()));
  });

  test('members commit with their generation; others are refused with Kafka’s codes', async () => {
    const h = harness();
    h.topics.add('orders', 1);
    const { memberId, generationId } = await stableMember(h);
    assert.deepEqual(codes(commit(h, { memberId, generationIdOrMemberEpoch: generationId })), [0]);
    assert.deepEqual(codes(commit(h, { memberId, generationIdOrMemberEpoch: 9 })), [
      ErrorCode.ILLEGAL_GENERATION,
    ]);
    assert.deepEqual(codes(commit(h, { memberId: 'x', generationIdOrMemberEpoch: 1 })), [
      ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
    assert.deepEqual(
      codes(commit(h)),
      [ErrorCode.UNKNOWN_MEMBER_ID],
      'a simple commit to a live group',
    );
    assert.deepEqual(
      codes(commit(h, { memberId, generationIdOrMemberEpoch: generationId, groupInstanceId: 'i' })),
      [ErrorCode.UNKNOWN_MEMBER_ID],
    );
    assert.deepEqual(codes(commit(h, { groupId: 'gone', generationIdOrMemberEpoch: 3 })), [
      ErrorCode.ILLEGAL_GENERATION,
    ]);
    assert.deepEqual(codes(commit(h, { groupId: 'gone', generationIdOrMemberEpoch: 3 }, 9)), [
      ErrorCode.GROUP_ID_NOT_FOUND,
    ]);
    // A second member joins: during CompletingRebalance commits are refused until SyncGroup.
    const b = await joinDynamic(h, G, 'c2');
    const again = h.shard.run(() =>
      classic.joinGroup(
        h.shard,
        {
          groupId: G,
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 30_000,
          memberId,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata: Buffer.from('meta') }],
          reason: null,
        },
        { clientId: 'c1', clientHost: '/h', apiVersion: 9 },
      ),
    );
    const [r] = await Promise.all([again, b.result]);
    assert.deepEqual(codes(commit(h, { memberId, generationIdOrMemberEpoch: r.generationId })), [
      ErrorCode.REBALANCE_IN_PROGRESS,
    ]);
  });

  test('answers are grouped by topic, unknown partitions first, as Kafka does', () => {
    const h = harness();
    h.topics.add('orders', 1);
    const p = (partitionIndex: number) => ({
      partitionIndex,
      committedOffset: 1,
      committedLeaderEpoch: -1,
      committedMetadata: null,
    });
    const r = commit(h, {
      topics: [
        { name: 'orders', partitions: [p(0)] },
        { name: 'nope', partitions: [p(0)] },
        { name: 'orders', partitions: [p(9)] },
      ],
    });
    assert.deepEqual(
      r.map((t) => [t.name, t.partitions.map((x) => [x.partitionIndex, x.errorCode])]),
      [
        [
          'orders',
          [
            [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
            [0, 0],
          ],
        ],
        ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ],
    );
  });

  test('unknown topics and partitions, and metadata over offset.metadata.max.bytes, fail per partition', () => {
    const h = harness({ offsetMetadataMaxBytes: 4 });
    h.topics.add('orders', 1);
    const r = commit(h, {
      topics: [
        {
          name: 'orders',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 1,
              committedLeaderEpoch: -1,
              committedMetadata: 'ok',
            },
            {
              partitionIndex: 0,
              committedOffset: 1,
              committedLeaderEpoch: -1,
              committedMetadata: 'too long',
            },
            {
              partitionIndex: 5,
              committedOffset: 1,
              committedLeaderEpoch: -1,
              committedMetadata: null,
            },
          ],
        },
        {
          name: 'nope',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 1,
              committedLeaderEpoch: -1,
              committedMetadata: null,
            },
          ],
        },
      ],
    });
    assert.deepEqual(codes(r), [
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      0,
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
  });
});

describe('offsets: fetch and delete', () => {
  test('fetching all offsets of a group (topics null); unknown groups have none', () => {
    const h = harness();
    h.topics.add('orders', 2);
    h.topics.add('payments', 1);
    commit(h, {
      topics: [
        {
          name: 'orders',
          partitions: [
            {
              partitionIndex: 1,
              committedOffset: 5,
              committedLeaderEpoch: -1,
              committedMetadata: null,
            },
          ],
        },
        {
          name: 'payments',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 7,
              committedLeaderEpoch: -1,
              committedMetadata: null,
            },
          ],
        },
      ],
    });
    const all = fetch(h, null);
    assert.deepEqual(
      all.topics.map((t) => [
        t.name,
        t.partitions.map((p) => [p.partitionIndex, p.committedOffset]),
      ]),
      [
        ['orders', [[1, 5]]],
        ['payments', [[0, 7]]],
      ],
    );
    assert.deepEqual(fetch(h, null, 'nobody'), { groupId: 'nobody', errorCode: 0, topics: [] });
  });

  test('OffsetDelete: not for topics a live group consumes; removes the others', async () => {
    const h = harness();
    h.topics.add('orders', 1);
    h.topics.add('old', 1);
    assert.equal(
      h.shard.run(() => deleteOffsets(h.shard, { groupId: '', topics: [] })).errorCode,
      ErrorCode.INVALID_GROUP_ID,
    );
    assert.equal(
      h.shard.run(() => deleteOffsets(h.shard, { groupId: 'nope', topics: [] })).errorCode,
      ErrorCode.GROUP_ID_NOT_FOUND,
    );
    commit(h, {
      topics: [
        {
          name: 'old',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 1,
              committedLeaderEpoch: -1,
              committedMetadata: null,
            },
          ],
        },
      ],
    });
    // A consumer-protocol member subscribed to "orders" (subscription v0: topics + user data).
    const subscription = Buffer.from([
      0,
      0,
      0,
      0,
      0,
      1,
      0,
      6,
      ...Buffer.from('orders'),
      0xff,
      0xff,
      0xff,
      0xff,
    ]);
    const m = await joinDynamic(h, G, 'c1', {
      protocols: [{ name: 'range', metadata: subscription }],
    });
    h.clock.advance(0);
    await m.result;
    const r = h.shard.run(() =>
      deleteOffsets(h.shard, {
        groupId: G,
        topics: [
          { name: 'orders', partitions: [0] },
          { name: 'old', partitions: [0] },
          { name: 'missing', partitions: [0] },
        ],
      }),
    );
    assert.deepEqual(
      r.topics.map((t) => t.partitions[0]!.errorCode),
      [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    );
    assert.equal(
      fetch(h, [{ name: 'old', partitionIndexes: [0] }]).topics[0]!.partitions[0]!.committedOffset,
      -1,
    );
    // A non-consumer protocol group with members cannot have offsets deleted at all.
    const other = harness();
    const c = await joinDynamic(other, 'connect', 'w', { protocolType: 'connect' });
    other.clock.advance(0);
    await c.result;
    assert.equal(
      other.shard.run(() => deleteOffsets(other.shard, { groupId: 'connect', topics: [] }))
        .errorCode,
      ErrorCode.NON_EMPTY_GROUP,
    );
  });

  test('offsets of a deleted topic are removed', () => {
    const h = harness();
    h.topics.add('orders', 1);
    commit(h);
    h.shard.run(() => result(undefined, onTopicDeleted(h.shard, 'orders')));
    assert.deepEqual(fetch(h, null).topics, []);
  });
});

describe('offsets: retention', () => {
  test('offsets of a simple group expire offsets.retention.minutes after their commit; then the group goes', () => {
    const h = harness({ offsetsRetentionMs: 60_000 });
    h.topics.add('orders', 1);
    commit(h);
    h.clock.advance(59_999);
    assert.deepEqual(cleanupGroupMetadata(h.shard), []);
    h.clock.advance(1);
    const records = cleanupGroupMetadata(h.shard);
    assert.deepEqual(
      records.map((r) => [r.type, r.value]),
      [
        ['OffsetCommit', null],
        ['GroupMetadata', null],
      ],
    );
    h.shard.run(() => result(undefined, records));
    assert.equal(h.shard.groups.has(G), false);
  });

  test('offsets of a consumer group are kept while it is live, and expire only after it became empty', async () => {
    const h = harness({ offsetsRetentionMs: 60_000 });
    h.topics.add('orders', 1);
    const { memberId, generationId } = await stableMember(h);
    commit(h, { memberId, generationIdOrMemberEpoch: generationId });
    for (let t = 0; t < 24; t++) {
      h.clock.advance(5000);
      heartbeatKeepAlive(h, memberId, generationId);
    }
    assert.deepEqual(
      cleanupGroupMetadata(h.shard),
      [],
      'a live group whose subscription is unknown keeps everything',
    );
    h.shard.run(() =>
      classic.leaveGroup(h.shard, {
        groupId: G,
        members: [{ memberId, groupInstanceId: null, reason: null }],
      }),
    );
    h.clock.advance(59_999);
    assert.deepEqual(
      cleanupGroupMetadata(h.shard),
      [],
      'measured from when the group became empty',
    );
    h.clock.advance(1);
    assert.equal(cleanupGroupMetadata(h.shard).length, 2);
  });

  test('an explicit retention time (OffsetCommit v2-4) sets the expiry of that commit', () => {
    const h = harness({ offsetsRetentionMs: 3_600_000 });
    h.topics.add('orders', 1);
    commit(h, { retentionTimeMs: 1000 });
    const rec = decoded(h)[0]!;
    assert.equal(
      rec.type === 'OffsetCommit' && rec.value?.expireTimestamp,
      BigInt(h.clock.now() + 1000),
    );
    h.clock.advance(1000);
    assert.equal(cleanupGroupMetadata(h.shard).length, 2);
  });
});

function heartbeatKeepAlive(h: Harness, memberId: string, generationId: number): void {
  h.shard.run(() =>
    classic.heartbeat(h.shard, { groupId: G, memberId, generationId, groupInstanceId: null }),
  );
}

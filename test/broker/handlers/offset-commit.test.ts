import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import {
  OffsetCommitApi,
  type OffsetCommitRequest,
} from '../../../src/protocol/messages/offset-commit.js';
import { OffsetFetchApi } from '../../../src/protocol/messages/offset-fetch.js';
import { type GroupBroker, groupBroker, stableMember } from '../../coordinator/group/wire.js';

let gb: GroupBroker;
before(async () => {
  gb = await groupBroker({ 'offset.metadata.max.bytes': '16' });
  await gb.broker.broker.topics.createTopic({
    name: 'orders',
    numPartitions: 2,
    replicationFactor: 1,
    brokers: [1],
  });
});
after(() => gb.close());

const request = (
  groupId: string,
  over: Partial<OffsetCommitRequest> = {},
  offset = 7n,
): OffsetCommitRequest => ({
  groupId,
  generationIdOrMemberEpoch: -1,
  memberId: '',
  groupInstanceId: null,
  retentionTimeMs: -1n,
  topics: [
    {
      name: 'orders',
      partitions: [
        {
          partitionIndex: 1,
          committedOffset: offset,
          committedLeaderEpoch: 2,
          commitTimestamp: -1n,
          committedMetadata: 'meta',
        },
      ],
    },
  ],
  ...over,
});
const fetched = async (groupId: string) =>
  (
    await gb.client.request(OffsetFetchApi, 5, {
      groupId,
      topics: [{ name: 'orders', partitionIndexes: [1] }],
    })
  ).topics![0]!.partitions[0]!;

test('every version (v2-v9): a simple commit (generation -1, no member) is stored', async () => {
  for (let v = 2; v <= 9; v++) {
    const groupId = `simple-v${v}`;
    const r = await gb.client.request(OffsetCommitApi, v, request(groupId, {}, BigInt(100 + v)));
    assert.equal(r.topics[0]!.partitions[0]!.errorCode, 0, `v${v}`);
    const p = await fetched(groupId);
    assert.equal(p.committedOffset, BigInt(100 + v));
    assert.equal(p.metadata, 'meta');
    assert.equal(p.committedLeaderEpoch, v >= 6 ? 2 : -1, 'the leader epoch exists from v6');
  }
});

test('members commit with their generation; stale generations and strangers are refused', async () => {
  const { memberId, generationId } = await stableMember(gb.client, 'members');
  const code = async (over: Partial<OffsetCommitRequest>, v = 8) =>
    (await gb.client.request(OffsetCommitApi, v, request('members', over))).topics[0]!
      .partitions[0]!.errorCode;
  assert.equal(await code({ memberId, generationIdOrMemberEpoch: generationId }), 0);
  assert.equal(
    await code({ memberId, generationIdOrMemberEpoch: generationId + 1 }),
    ErrorCode.ILLEGAL_GENERATION,
  );
  assert.equal(
    await code({ memberId: 'ghost', generationIdOrMemberEpoch: generationId }),
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  assert.equal(
    await code({}),
    ErrorCode.UNKNOWN_MEMBER_ID,
    'no simple commits while the group is live',
  );
  assert.equal(
    await code({ groupId: 'gone', generationIdOrMemberEpoch: 1 }),
    ErrorCode.ILLEGAL_GENERATION,
  );
  assert.equal(
    await code({ groupId: 'gone', generationIdOrMemberEpoch: 1 }, 9),
    ErrorCode.GROUP_ID_NOT_FOUND,
  );
});

test('unknown topics/partitions and oversized metadata fail per partition', async () => {
  const r = await gb.client.request(OffsetCommitApi, 8, {
    ...request('per-partition'),
    topics: [
      {
        name: 'orders',
        partitions: [
          {
            partitionIndex: 0,
            committedOffset: 1n,
            committedLeaderEpoch: -1,
            committedMetadata: 'x'.repeat(17),
          },
          {
            partitionIndex: 9,
            committedOffset: 1n,
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
            committedOffset: 1n,
            committedLeaderEpoch: -1,
            committedMetadata: null,
          },
        ],
      },
    ],
  });
  assert.deepEqual(
    r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
    [
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ],
  );
});

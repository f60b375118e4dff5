import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { OffsetCommitApi } from '../../../src/protocol/messages/offset-commit.js';
import { OffsetFetchApi } from '../../../src/protocol/messages/offset-fetch.js';
import { type GroupBroker, groupBroker } from '../../coordinator/group/wire.js';

let gb: GroupBroker;
before(async () => {
  gb = await groupBroker();
  await gb.broker.broker.topics.createTopic({
    name: 'orders',
    numPartitions: 3,
    replicationFactor: 1,
    brokers: [1],
  });
  for (const groupId of ['a', 'b']) {
    await gb.client.request(OffsetCommitApi, 8, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: 'orders',
          partitions: [
            {
              partitionIndex: 2,
              committedOffset: groupId === 'a' ? 11n : 22n,
              committedLeaderEpoch: 4,
              committedMetadata: groupId,
            },
          ],
        },
      ],
    });
  }
});
after(() => gb.close());

test('v1-v7: one group, named partitions (and every partition from v2 with topics null)', async () => {
  for (let v = 1; v <= 7; v++) {
    const r = await gb.client.request(OffsetFetchApi, v, {
      groupId: 'a',
      topics: [{ name: 'orders', partitionIndexes: [0, 2] }],
      requireStable: true,
    });
    assert.deepEqual(
      r.topics![0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata]),
      [
        [0, -1n, ''],
        [2, 11n, 'a'],
      ],
      `v${v}`,
    );
    if (v >= 2) {
      const all = await gb.client.request(OffsetFetchApi, v, { groupId: 'a', topics: null });
      assert.equal(all.errorCode, 0);
      assert.deepEqual(
        all.topics!.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]),
        [['orders', [2]]],
      );
    }
  }
});

test('v8-v9: several groups in one request; v9 checks the member epoch of consumer groups', async () => {
  for (let v = 8; v <= 9; v++) {
    const r = await gb.client.request(OffsetFetchApi, v, {
      groups: [
        {
          groupId: 'a',
          memberId: null,
          memberEpoch: -1,
          topics: [{ name: 'orders', partitionIndexes: [2] }],
        },
        { groupId: 'b', memberId: null, memberEpoch: -1, topics: null },
        { groupId: 'unknown', memberId: null, memberEpoch: -1, topics: null },
      ],
      requireStable: false,
    });
    assert.deepEqual(
      r.groups!.map((g) => [
        g.groupId,
        g.errorCode,
        g.topics.flatMap((t) => t.partitions.map((p) => p.committedOffset)),
      ]),
      [
        ['a', 0, [11n]],
        ['b', 0, [22n]],
        ['unknown', 0, []],
      ],
      `v${v}`,
    );
  }
  assert.equal(ErrorCode.NONE, 0);
});

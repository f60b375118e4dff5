import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { OffsetCommitApi } from '../../../src/protocol/messages/offset-commit.js';
import { OffsetDeleteApi } from '../../../src/protocol/messages/offset-delete.js';
import { OffsetFetchApi } from '../../../src/protocol/messages/offset-fetch.js';
import { type GroupBroker, groupBroker, stableMember } from '../../coordinator/group/wire.js';

let gb: GroupBroker;
before(async () => {
  gb = await groupBroker();
  for (const name of ['orders', 'old']) {
    await gb.broker.broker.topics.createTopic({
      name,
      numPartitions: 1,
      replicationFactor: 1,
      brokers: [1],
    });
  }
});
after(() => gb.close());

test('deletes offsets of topics the group does not consume; refuses the subscribed ones', async () => {
  const { memberId, generationId } = await stableMember(gb.client, 'od');
  await gb.client.request(OffsetCommitApi, 8, {
    groupId: 'od',
    generationIdOrMemberEpoch: generationId,
    memberId,
    groupInstanceId: null,
    topics: ['orders', 'old'].map((name) => ({
      name,
      partitions: [
        {
          partitionIndex: 0,
          committedOffset: 5n,
          committedLeaderEpoch: -1,
          committedMetadata: null,
        },
      ],
    })),
  });
  const r = await gb.client.request(OffsetDeleteApi, 0, {
    groupId: 'od',
    topics: ['orders', 'old', 'missing'].map((name) => ({
      name,
      partitions: [{ partitionIndex: 0 }],
    })),
  });
  assert.equal(r.errorCode, 0);
  assert.deepEqual(
    r.topics.map((t) => [t.name, t.partitions[0]!.errorCode]),
    [
      ['orders', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
      ['old', 0],
      ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ],
  );
  const left = await gb.client.request(OffsetFetchApi, 7, { groupId: 'od', topics: null });
  assert.deepEqual(
    left.topics!.map((t) => t.name),
    ['orders'],
  );
  assert.equal(
    (await gb.client.request(OffsetDeleteApi, 0, { groupId: 'none', topics: [] })).errorCode,
    ErrorCode.GROUP_ID_NOT_FOUND,
  );
  assert.equal(
    (await gb.client.request(OffsetDeleteApi, 0, { groupId: '', topics: [] })).errorCode,
    ErrorCode.INVALID_GROUP_ID,
  );
});

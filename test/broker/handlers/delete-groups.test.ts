import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { DeleteGroupsApi } from '../../../src/protocol/messages/delete-groups.js';
import { LeaveGroupApi } from '../../../src/protocol/messages/leave-group.js';
import { OffsetCommitApi } from '../../../src/protocol/messages/offset-commit.js';
import { OffsetFetchApi } from '../../../src/protocol/messages/offset-fetch.js';
import { type GroupBroker, groupBroker, stableMember } from '../../coordinator/group/wire.js';

let gb: GroupBroker;
before(async () => {
  gb = await groupBroker();
  await gb.broker.broker.topics.createTopic({
    name: 'orders',
    numPartitions: 1,
    replicationFactor: 1,
    brokers: [1],
  });
});
after(() => gb.close());

test('every version: empty groups go with their offsets; live ones are NON_EMPTY_GROUP', async () => {
  for (let v = 0; v <= 2; v++) {
    const groupId = `del-v${v}`;
    const { memberId, generationId } = await stableMember(gb.client, groupId);
    await gb.client.request(OffsetCommitApi, 8, {
      groupId,
      generationIdOrMemberEpoch: generationId,
      memberId,
      groupInstanceId: null,
      topics: [
        {
          name: 'orders',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 3n,
              committedLeaderEpoch: -1,
              committedMetadata: null,
            },
          ],
        },
      ],
    });
    let r = await gb.client.request(DeleteGroupsApi, v, { groupsNames: [groupId, 'nothing-here'] });
    assert.deepEqual(
      r.results.map((x) => [x.groupId, x.errorCode]),
      [
        [groupId, ErrorCode.NON_EMPTY_GROUP],
        ['nothing-here', ErrorCode.GROUP_ID_NOT_FOUND],
      ],
    );
    await gb.client.request(LeaveGroupApi, 1, { groupId, memberId });
    r = await gb.client.request(DeleteGroupsApi, v, { groupsNames: [groupId] });
    assert.deepEqual(r.results, [{ groupId, errorCode: 0 }]);
    const offsets = await gb.client.request(OffsetFetchApi, 7, { groupId, topics: null });
    assert.deepEqual(offsets.topics, []);
    r = await gb.client.request(DeleteGroupsApi, v, { groupsNames: [groupId] });
    assert.equal(r.results[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  }
});

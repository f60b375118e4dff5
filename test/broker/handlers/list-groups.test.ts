import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ListGroupsApi } from '../../../src/protocol/messages/list-groups.js';
import { OffsetCommitApi } from '../../../src/protocol/messages/offset-commit.js';
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
  await stableMember(gb.client, 'live');
  await gb.client.request(OffsetCommitApi, 8, {
    groupId: 'simple',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [
      {
        name: 'orders',
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
});
after(() => gb.close());

test('every version lists the groups; v4+ filters by state (any case), v5+ by type', async () => {
  for (let v = 0; v <= 5; v++) {
    const all = await gb.client.request(ListGroupsApi, v, { statesFilter: [], typesFilter: [] });
    const byId = new Map(all.groups.map((g) => [g.groupId, g]));
    assert.equal(byId.get('live')?.protocolType, 'consumer', `v${v}`);
    assert.equal(
      byId.get('simple')?.protocolType,
      '',
      'a group of simple commits has no protocol type',
    );
    if (v >= 4) {
      assert.equal(byId.get('live')?.groupState, 'Stable');
      const stable = await gb.client.request(ListGroupsApi, v, {
        statesFilter: ['STABLE'],
        typesFilter: [],
      });
      assert.deepEqual(
        stable.groups.map((g) => g.groupId),
        ['live'],
      );
    }
    if (v >= 5) {
      assert.equal(byId.get('live')?.groupType, 'classic');
      const consumers = await gb.client.request(ListGroupsApi, v, {
        statesFilter: [],
        typesFilter: ['consumer'],
      });
      assert.deepEqual(consumers.groups, []);
    }
  }
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ConsumerGroupDescribeApi } from '../../../src/protocol/messages/consumer-group-describe.js';
import { ConsumerGroupHeartbeatApi } from '../../../src/protocol/messages/consumer-group-heartbeat.js';
import { type GroupBroker, groupBroker, stableMember } from '../../coordinator/group/wire.js';

let gb: GroupBroker;
before(async () => {
  gb = await groupBroker();
  await gb.broker.broker.topics.createTopic({
    name: 'orders',
    numPartitions: 3,
    replicationFactor: 1,
    brokers: [1],
  });
});
after(() => gb.close());

test('v0: epochs, members, current and target assignments; classic and unknown groups are not found', async () => {
  for (const memberId of ['m-1', 'm-2']) {
    await gb.client.request(ConsumerGroupHeartbeatApi, 1, {
      groupId: 'cgd',
      memberId,
      memberEpoch: 0,
      instanceId: null,
      rackId: 'rack-1',
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ['orders'],
      subscribedTopicRegex: null,
      serverAssignor: 'range',
      topicPartitions: [],
    });
  }
  await stableMember(gb.client, 'classic-one');
  const r = await gb.client.request(ConsumerGroupDescribeApi, 0, {
    groupIds: ['cgd', 'classic-one', 'missing', ''],
    includeAuthorizedOperations: true,
  });
  const [g, classic, missing, empty] = r.groups;
  assert.equal(g!.errorCode, 0);
  assert.equal(g!.groupEpoch, 2);
  assert.equal(g!.assignmentEpoch, 2);
  assert.equal(g!.assignorName, 'range');
  assert.equal(g!.groupState, 'Reconciling', 'm-1 still owns what m-2 is to get');
  assert.equal(g!.authorizedOperations, (1 << 3) | (1 << 6) | (1 << 8));
  const targets = g!.members.map(
    (m) => m.targetAssignment.topicPartitions[0]?.partitions.length ?? 0,
  );
  assert.deepEqual(targets.sort(), [1, 2]);
  assert.equal(g!.members[0]!.rackId, 'rack-1');
  assert.equal(classic!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.equal(classic!.errorMessage, 'Group classic-one is not a consumer group.');
  assert.equal(missing!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.equal(empty!.errorCode, ErrorCode.INVALID_GROUP_ID);
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ConsumerGroupDescribeApi } from '../../../src/protocol/messages/consumer-group-describe.js';
import {
  ConsumerGroupHeartbeatApi,
  type ConsumerGroupHeartbeatRequest,
} from '../../../src/protocol/messages/consumer-group-heartbeat.js';
import { type GroupBroker, groupBroker } from '../../coordinator/group/wire.js';

let gb: GroupBroker;
let topicId: string;
before(async () => {
  gb = await groupBroker();
  topicId = (
    await gb.broker.broker.topics.createTopic({
      name: 'orders',
      numPartitions: 2,
      replicationFactor: 1,
      brokers: [1],
    })
  ).topicId;
  await gb.broker.broker.topics.createTopic({
    name: 'orders-eu',
    numPartitions: 1,
    replicationFactor: 1,
    brokers: [1],
  });
});
after(() => gb.close());

const hb = (v: number, over: Partial<ConsumerGroupHeartbeatRequest>) =>
  gb.client.request(ConsumerGroupHeartbeatApi, v, {
    groupId: `cg-v${v}`,
    memberId: 'member-1',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 60_000,
    subscribedTopicNames: ['orders'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    ...over,
  });

test('every version: join, heartbeat, describe, leave', async () => {
  for (let v = 0; v <= 1; v++) {
    const joined = await hb(v, {});
    assert.equal(joined.errorCode, 0);
    assert.equal(joined.memberEpoch, 1);
    assert.deepEqual(joined.assignment, { topicPartitions: [{ topicId, partitions: [0, 1] }] });
    const steady = await hb(v, {
      memberEpoch: 1,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      topicPartitions: joined.assignment!.topicPartitions,
    });
    assert.deepEqual([steady.errorCode, steady.memberEpoch, steady.assignment], [0, 1, null]);
    const d = await gb.client.request(ConsumerGroupDescribeApi, 0, {
      groupIds: [`cg-v${v}`, 'nope'],
      includeAuthorizedOperations: false,
    });
    assert.equal(d.groups[0]!.groupState, 'Stable');
    assert.deepEqual(d.groups[0]!.members[0]!.assignment.topicPartitions, [
      { topicId, topicName: 'orders', partitions: [0, 1] },
    ]);
    assert.equal(d.groups[1]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    const left = await hb(v, {
      memberEpoch: -1,
      subscribedTopicNames: null,
      topicPartitions: null,
      rebalanceTimeoutMs: -1,
    });
    assert.deepEqual([left.errorCode, left.memberEpoch], [0, -1]);
  }
});

test('v1: a regular expression subscription', async () => {
  const r = await hb(1, {
    groupId: 'regex',
    subscribedTopicNames: [],
    subscribedTopicRegex: 'orders.*',
  });
  assert.equal(r.errorCode, 0);
  assert.equal(
    r.assignment!.topicPartitions.reduce((n, t) => n + t.partitions.length, 0),
    3,
  );
});

test('errors come with Kafka’s codes and a message', async () => {
  const bad = await hb(0, { rebalanceTimeoutMs: -1, groupId: 'errs' });
  assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(bad.errorMessage, 'RebalanceTimeoutMs must be provided in first request.');
  assert.equal((await hb(0, { groupId: '' })).errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(
    (await hb(0, { groupId: 'errs', memberEpoch: 3 })).errorCode,
    ErrorCode.GROUP_ID_NOT_FOUND,
  );
  assert.equal(
    (await hb(0, { groupId: 'errs', serverAssignor: 'magic' })).errorCode,
    ErrorCode.UNSUPPORTED_ASSIGNOR,
  );
  assert.equal(
    (await hb(1, { groupId: 'errs', subscribedTopicRegex: '[' })).errorCode,
    ErrorCode.INVALID_REGULAR_EXPRESSION,
  );
});

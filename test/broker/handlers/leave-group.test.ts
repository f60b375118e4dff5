import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { DescribeGroupsApi } from '../../../src/protocol/messages/describe-groups.js';
import { LeaveGroupApi } from '../../../src/protocol/messages/leave-group.js';
import { type GroupBroker, groupBroker, stableMember } from '../../coordinator/group/wire.js';

let gb: GroupBroker;
before(async () => {
  gb = await groupBroker();
});
after(() => gb.close());

const state = async (groupId: string) =>
  (await gb.client.request(DescribeGroupsApi, 0, { groups: [groupId] })).groups[0]!.groupState;

test('v0-2: one member id, one error code', async () => {
  for (let v = 0; v <= 2; v++) {
    const groupId = `leave-v${v}`;
    const { memberId } = await stableMember(gb.client, groupId);
    assert.equal(
      (await gb.client.request(LeaveGroupApi, v, { groupId, memberId: 'ghost' })).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    assert.equal((await gb.client.request(LeaveGroupApi, v, { groupId, memberId })).errorCode, 0);
    assert.equal(await state(groupId), 'Empty');
  }
});

test('v3-5: several members at once, static ones by instance id, an error per member', async () => {
  for (let v = 3; v <= 5; v++) {
    const groupId = `leave-v${v}`;
    await stableMember(gb.client, groupId, {}, { groupInstanceId: 'i-1' });
    const r = await gb.client.request(LeaveGroupApi, v, {
      groupId,
      members: [
        { memberId: '', groupInstanceId: 'i-1', reason: 'shutting down' },
        { memberId: 'ghost', groupInstanceId: null, reason: null },
      ],
    });
    assert.equal(r.errorCode, 0);
    assert.deepEqual(
      r.members!.map((m) => m.errorCode),
      [0, ErrorCode.UNKNOWN_MEMBER_ID],
    );
    assert.equal(await state(groupId), 'Empty');
  }
  const unknown = await gb.client.request(LeaveGroupApi, 3, {
    groupId: 'never-existed',
    members: [{ memberId: 'm', groupInstanceId: null }],
  });
  assert.equal(unknown.members![0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(
    (await gb.client.request(LeaveGroupApi, 3, { groupId: '', members: [] })).errorCode,
    ErrorCode.INVALID_GROUP_ID,
  );
});

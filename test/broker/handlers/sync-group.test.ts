import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { JoinGroupApi } from '../../../src/protocol/messages/join-group.js';
import { SyncGroupApi } from '../../../src/protocol/messages/sync-group.js';
import { type GroupBroker, groupBroker, joinRequest } from '../../coordinator/group/wire.js';

let gb: GroupBroker;
before(async () => {
  gb = await groupBroker();
});
after(() => gb.close());

test('every version: the leader’s assignment is stored and returned', async () => {
  for (let v = 0; v <= 5; v++) {
    const groupId = `sync-v${v}`;
    const j = await gb.client.request(JoinGroupApi, 3, joinRequest(groupId));
    const r = await gb.client.request(SyncGroupApi, v, {
      groupId,
      generationId: j.generationId,
      memberId: j.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId: j.memberId, assignment: Buffer.from(`mine-${v}`) }],
    });
    assert.equal(r.errorCode, 0, `v${v}`);
    assert.equal(r.assignment.toString(), `mine-${v}`);
    if (v >= 5) assert.deepEqual([r.protocolType, r.protocolName], ['consumer', 'range']);
  }
});

test('errors: unknown group or member, stale generation, wrong protocol (v5)', async () => {
  const j = await gb.client.request(JoinGroupApi, 3, joinRequest('sync-errors'));
  const sync = (over: object, v = 5) =>
    gb.client.request(SyncGroupApi, v, {
      groupId: 'sync-errors',
      generationId: j.generationId,
      memberId: j.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
      ...over,
    });
  assert.equal(
    (await sync({ protocolName: null })).errorCode,
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    'mandatory from v5',
  );
  assert.equal(
    (await sync({ protocolType: null, protocolName: null }, 4)).errorCode,
    0,
    'optional before v5',
  );
  assert.equal((await sync({ groupId: '' })).errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.equal((await sync({ groupId: 'nobody' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await sync({ memberId: 'who' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await sync({ generationId: 99 })).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal(
    (await sync({ protocolName: 'roundrobin' })).errorCode,
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  );
  assert.equal((await sync({})).errorCode, 0);
});

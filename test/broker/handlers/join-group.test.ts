import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { FindCoordinatorApi } from '../../../src/protocol/messages/find-coordinator.js';
import { JoinGroupApi } from '../../../src/protocol/messages/join-group.js';
import { type GroupBroker, groupBroker, joinRequest } from '../../coordinator/group/wire.js';

let gb: GroupBroker;
before(async () => {
  gb = await groupBroker();
});
after(() => gb.close());

test('every version: a member joins and leads a group of one', async () => {
  for (let v = 0; v <= 9; v++) {
    const groupId = `join-v${v}`;
    let r = await gb.client.request(JoinGroupApi, v, joinRequest(groupId), 'app');
    if (v >= 4) {
      assert.equal(r.errorCode, ErrorCode.MEMBER_ID_REQUIRED, `v${v}`);
      assert.equal(r.protocolName, v >= 7 ? null : '', `v${v}: no protocol yet`);
      r = await gb.client.request(
        JoinGroupApi,
        v,
        joinRequest(groupId, { memberId: r.memberId }),
        'app',
      );
    }
    assert.equal(r.errorCode, 0, `v${v}`);
    assert.match(r.memberId, /^app-/);
    assert.equal(r.generationId, 1);
    assert.equal(r.leader, r.memberId);
    assert.equal(r.protocolName, 'range');
    if (v >= 7) assert.equal(r.protocolType, 'consumer');
    assert.equal(r.members.length, 1);
    if (v >= 9) assert.equal(r.skipAssignment, false);
  }
});

test('a second member on its own connection: both answers come when the join phase ends', async () => {
  const other = await gb.connect();
  const a1 = await gb.client.request(JoinGroupApi, 5, joinRequest('pair'));
  const a = gb.client.request(JoinGroupApi, 5, joinRequest('pair', { memberId: a1.memberId }));
  const ra = await a;
  const b1 = await other.request(JoinGroupApi, 5, joinRequest('pair'));
  const b = other.request(JoinGroupApi, 5, joinRequest('pair', { memberId: b1.memberId }));
  const again = gb.client.request(JoinGroupApi, 5, joinRequest('pair', { memberId: ra.memberId }));
  const [rb, ra2] = await Promise.all([b, again]);
  assert.equal(rb.generationId, 2);
  assert.equal(ra2.generationId, 2);
  assert.equal(ra2.members.length + rb.members.length, 2);
});

test('static members join without MEMBER_ID_REQUIRED (v5+)', async () => {
  const r = await gb.client.request(
    JoinGroupApi,
    5,
    joinRequest('static', { groupInstanceId: 'host-1' }),
  );
  assert.equal(r.errorCode, 0);
  assert.match(r.memberId, /^host-1-/);
  assert.equal(r.members[0]!.groupInstanceId, 'host-1');
});

test('bad input gets Kafka’s error codes', async () => {
  const code = async (over: Parameters<typeof joinRequest>[1], groupId = 'bad') =>
    (await gb.client.request(JoinGroupApi, 5, joinRequest(groupId, over))).errorCode;
  assert.equal(await code({}, ''), ErrorCode.INVALID_GROUP_ID);
  assert.equal(await code({ sessionTimeoutMs: 10 }), ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal(await code({ memberId: 'who?' }), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(await code({ protocolType: '' }), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
});

test('a group id longer than Kafka allows closes that connection only', async () => {
  const victim = await gb.connect();
  void victim.request(JoinGroupApi, 6, joinRequest('x'.repeat(40_000))).catch(() => {});
  await victim.closed;
  const r = await gb.client.request(FindCoordinatorApi, 3, { key: 'still-alive', keyType: 0 });
  assert.equal(r.errorCode, 0);
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { HeartbeatApi } from '../../../src/protocol/messages/heartbeat.js';
import { type GroupBroker, groupBroker, stableMember } from '../../coordinator/group/wire.js';

let gb: GroupBroker;
before(async () => {
  gb = await groupBroker();
});
after(() => gb.close());

test('every version: a member of the current generation heartbeats; others learn why not', async () => {
  const { memberId, generationId } = await stableMember(gb.client, 'hb');
  for (let v = 0; v <= 4; v++) {
    const hb = (over: object) =>
      gb.client.request(HeartbeatApi, v, {
        groupId: 'hb',
        generationId,
        memberId,
        groupInstanceId: null,
        ...over,
      });
    assert.equal((await hb({})).errorCode, 0, `v${v}`);
    assert.equal(
      (await hb({ generationId: generationId + 1 })).errorCode,
      ErrorCode.ILLEGAL_GENERATION,
    );
    assert.equal((await hb({ memberId: 'ghost' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await hb({ groupId: 'no-such-group' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await hb({ groupId: '' })).errorCode, ErrorCode.INVALID_GROUP_ID);
    if (v >= 3)
      assert.equal((await hb({ groupInstanceId: 'x' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  }
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DescribeGroupsApi } from '../../../src/protocol/messages/describe-groups.js';
import { type GroupBroker, groupBroker, stableMember } from '../../coordinator/group/wire.js';

let gb: GroupBroker;
before(async () => {
  gb = await groupBroker();
});
after(() => gb.close());

test('every version: state, protocol and members with metadata and assignment; unknown groups are Dead', async () => {
  const { memberId } = await stableMember(gb.client, 'dg', {}, { groupInstanceId: 'inst' });
  for (let v = 0; v <= 5; v++) {
    const r = await gb.client.request(
      DescribeGroupsApi,
      v,
      { groups: ['dg', 'nobody'], includeAuthorizedOperations: true },
      'describer',
    );
    const [g, unknown] = r.groups;
    assert.equal(g!.errorCode, 0);
    assert.equal(g!.groupState, 'Stable');
    assert.equal(g!.protocolType, 'consumer');
    assert.equal(g!.protocolData, 'range');
    const m = g!.members[0]!;
    assert.equal(m.memberId, memberId);
    assert.equal(m.clientId, 'samsa-test');
    assert.equal(m.clientHost, '/127.0.0.1');
    assert.equal(m.memberAssignment.toString(), 'assignment');
    if (v >= 4) assert.equal(m.groupInstanceId, 'inst');
    if (v >= 3) assert.equal(g!.authorizedOperations, (1 << 3) | (1 << 6) | (1 << 8));
    assert.deepEqual(
      [unknown!.errorCode, unknown!.groupState, unknown!.members.length],
      [0, 'Dead', 0],
    );
  }
});

// __consumer_offsets records: Kafka's key/value versions and bytes, and round trips.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  javaStringHashCode,
  partitionForGroup,
} from '../../../src/coordinator/group/partitioner.js';
import {
  buildCoordinatorBatches,
  decodeGroupRecord,
  encodeGroupRecord,
  type GroupRecord,
  offsetCommitRecord,
} from '../../../src/coordinator/group/records.js';
import { splitBatches } from '../../../src/protocol/records/batch-header.js';
import { readRecords } from '../../../src/protocol/records/record.js';

test('OffsetCommit: key v1 and value v3 bytes as Kafka writes them', () => {
  const { key, value } = encodeGroupRecord(
    offsetCommitRecord('g', 't', 2, {
      offset: 5,
      leaderEpoch: 1,
      metadata: '',
      commitTimestamp: 1000,
    }),
  );
  assert.equal(key.toString('hex'), ['0001', '0001', '67', '0001', '74', '00000002'].join(''));
  assert.equal(
    value!.toString('hex'),
    ['0003', '0000000000000005', '00000001', '0000', '00000000000003e8'].join(''),
  );
  const withExpiry = encodeGroupRecord(
    offsetCommitRecord('g', 't', 2, {
      offset: 5,
      leaderEpoch: 1,
      metadata: '',
      commitTimestamp: 1000,
      expireTimestamp: 2000,
    }),
  );
  assert.equal(withExpiry.value!.readInt16BE(0), 1, 'an explicit expiry needs value v1');
});

test('every record type round-trips, tombstones included; unknown key versions are skipped', () => {
  const tp = [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [0, 2] }];
  const records: GroupRecord[] = [
    offsetCommitRecord('g', 't', 0, {
      offset: 1,
      leaderEpoch: -1,
      metadata: 'x',
      commitTimestamp: 5,
    }),
    { type: 'OffsetCommit', key: { group: 'g', topic: 't', partition: 0 }, value: null },
    {
      type: 'GroupMetadata',
      key: { group: 'g' },
      value: {
        protocolType: 'consumer',
        generation: 3,
        protocol: 'range',
        leader: 'm',
        currentStateTimestamp: 9n,
        members: [
          {
            memberId: 'm',
            groupInstanceId: 'i',
            clientId: 'c',
            clientHost: '/h',
            rebalanceTimeout: 1,
            sessionTimeout: 2,
            subscription: Buffer.from('s'),
            assignment: Buffer.from('a'),
          },
        ],
      },
    },
    { type: 'ConsumerGroupMetadata', key: { groupId: 'g' }, value: { epoch: 4 } },
    {
      type: 'ConsumerGroupPartitionMetadata',
      key: { groupId: 'g' },
      value: {
        topics: [
          { topicId: tp[0]!.topicId, topicName: 't', numPartitions: 3, partitionMetadata: [] },
        ],
      },
    },
    {
      type: 'ConsumerGroupMemberMetadata',
      key: { groupId: 'g', memberId: 'm' },
      value: {
        instanceId: null,
        rackId: 'r',
        clientId: 'c',
        clientHost: '/h',
        subscribedTopicNames: ['t'],
        subscribedTopicRegex: null,
        rebalanceTimeoutMs: 100,
        serverAssignor: 'uniform',
      },
    },
    {
      type: 'ConsumerGroupTargetAssignmentMetadata',
      key: { groupId: 'g' },
      value: { assignmentEpoch: 4 },
    },
    {
      type: 'ConsumerGroupTargetAssignmentMember',
      key: { groupId: 'g', memberId: 'm' },
      value: { topicPartitions: tp },
    },
    {
      type: 'ConsumerGroupCurrentMemberAssignment',
      key: { groupId: 'g', memberId: 'm' },
      value: {
        memberEpoch: 4,
        previousMemberEpoch: 3,
        state: 0,
        assignedPartitions: tp,
        partitionsPendingRevocation: [],
      },
    },
    { type: 'ConsumerGroupMetadata', key: { groupId: 'g' }, value: null },
  ];
  const batches = buildCoordinatorBatches(records, 1234);
  const decoded = splitBatches(batches).flatMap((b) =>
    readRecords(b).map((r) => decodeGroupRecord(r.key, r.value)),
  );
  assert.equal(decoded.length, records.length);
  for (let i = 0; i < records.length; i++) {
    const want = records[i]!;
    const got = decoded[i]!;
    assert.equal(got.type, want.type);
    assert.deepEqual(got.key, want.key);
    if (want.value === null) assert.equal(got.value, null);
    else assert.deepEqual(encodeGroupRecord(got), encodeGroupRecord(want));
  }
  const share = Buffer.from([0, 10, 0, 1, 0x67]);
  assert.equal(decodeGroupRecord(share, null), undefined, 'share group records are not kept here');
});

test('large writes are split into several batches under max.message.bytes', () => {
  const records = Array.from({ length: 5000 }, (_, i) =>
    offsetCommitRecord('group', 'a-topic-with-a-long-name', i, {
      offset: i,
      leaderEpoch: 0,
      metadata: 'x'.repeat(50),
      commitTimestamp: 1,
    }),
  );
  const batches = splitBatches(buildCoordinatorBatches(records, 1));
  assert.ok(batches.length > 1);
  for (const b of batches) assert.ok(b.buf.length < 1_000_000);
  assert.equal(
    batches.reduce((n, b) => n + b.recordsCount, 0),
    5000,
  );
});

test("group → partition is Kafka's abs(String.hashCode) % partitions", () => {
  assert.equal(javaStringHashCode(''), 0);
  assert.equal(javaStringHashCode('a'), 97);
  assert.equal(javaStringHashCode('hello'), 99162322);
  assert.equal(javaStringHashCode('Aa'), javaStringHashCode('BB'));
  assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
  assert.equal(partitionForGroup('polygenelubricants', 50), 0, 'Integer.MIN_VALUE maps to 0');
  assert.equal(partitionForGroup('hello', 50), 99162322 % 50);
  assert.equal(
    javaStringHashCode('ü€😀'),
    (((0xfc * 31 + 0x20ac) * 31 + 0xd83d) * 31 + 0xde00) | 0,
  );
});

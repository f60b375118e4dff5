// The same bad or edge-case group requests against any broker, printed as one JSON line each,
// to diff Samsa's answers with Apache Kafka's (not a test: a tool to keep the tests honest).
//   node --import tsx test/coordinator/group/kafka-side-by-side.ts HOST:PORT > answers.jsonl
// Against Kafka: KAFKA_VERSION=4.0.2 KAFKA_RUN_DIR=/tmp/x KAFKA_EXTRA_PROPS=... tools/capture/kafka-broker.sh start
import { ConsumerGroupDescribeApi } from '../../../src/protocol/messages/consumer-group-describe.js';
import { ConsumerGroupHeartbeatApi } from '../../../src/protocol/messages/consumer-group-heartbeat.js';
import { CreateTopicsApi } from '../../../src/protocol/messages/create-topics.js';
import { DeleteGroupsApi } from '../../../src/protocol/messages/delete-groups.js';
import { DescribeGroupsApi } from '../../../src/protocol/messages/describe-groups.js';
import { FindCoordinatorApi } from '../../../src/protocol/messages/find-coordinator.js';
import { HeartbeatApi } from '../../../src/protocol/messages/heartbeat.js';
import { JoinGroupApi } from '../../../src/protocol/messages/join-group.js';
import { LeaveGroupApi } from '../../../src/protocol/messages/leave-group.js';
import { ListGroupsApi } from '../../../src/protocol/messages/list-groups.js';
import { OffsetCommitApi } from '../../../src/protocol/messages/offset-commit.js';
import { OffsetDeleteApi } from '../../../src/protocol/messages/offset-delete.js';
import { OffsetFetchApi } from '../../../src/protocol/messages/offset-fetch.js';
import { SyncGroupApi } from '../../../src/protocol/messages/sync-group.js';
import { WireClient } from '../../helpers/wire-client.js';
import { joinRequest } from './wire.js';

const [host, port] = (process.argv[2] ?? '127.0.0.1:9092').split(':') as [string, string];
const c = await WireClient.connect(Number(port), host);
const show = (label: string, r: unknown) =>
  console.log(
    JSON.stringify({ label, r }, (_k, v) =>
      typeof v === 'bigint' ? Number(v) : v?.type === 'Buffer' ? `<${v.data.length} bytes>` : v,
    ),
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (let i = 0; i < 100; i++) {
  const r = await c.request(FindCoordinatorApi, 3, { key: 'probe', keyType: 0 });
  if (i === 0) show('FindCoordinator first', r);
  if (r.errorCode === 0) break;
  await sleep(100);
}
await c.request(CreateTopicsApi, 5, {
  topics: [
    { name: 'probe-topic', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] },
  ],
  timeoutMs: 5000,
  validateOnly: false,
});
const cgh = {
  groupId: 'probe-cg',
  memberId: 'probe-member-aaaaaaaaaa',
  memberEpoch: 0,
  instanceId: null,
  rackId: null,
  rebalanceTimeoutMs: 30000,
  subscribedTopicNames: ['probe-topic'],
  subscribedTopicRegex: null,
  serverAssignor: null,
  topicPartitions: [],
};
const probes: [string, () => Promise<unknown>][] = [
  [
    'FindCoordinator v4 share key',
    () => c.request(FindCoordinatorApi, 4, { keyType: 2, coordinatorKeys: ['x'] }),
  ],
  ['FindCoordinator v3 empty key', () => c.request(FindCoordinatorApi, 3, { key: '', keyType: 0 })],
  ['JoinGroup empty group', () => c.request(JoinGroupApi, 5, joinRequest(''))],
  [
    'JoinGroup session 1 ms',
    () => c.request(JoinGroupApi, 5, joinRequest('probe-a', { sessionTimeoutMs: 1 })),
  ],
  [
    'JoinGroup unknown member, new group',
    () => c.request(JoinGroupApi, 5, joinRequest('probe-b', { memberId: 'x' })),
  ],
  [
    'JoinGroup empty protocol type',
    () => c.request(JoinGroupApi, 5, joinRequest('probe-c', { protocolType: '' })),
  ],
  [
    'JoinGroup no protocols',
    () => c.request(JoinGroupApi, 5, joinRequest('probe-c2', { protocols: [] })),
  ],
  [
    'SyncGroup unknown group',
    () =>
      c.request(SyncGroupApi, 5, {
        groupId: 'probe-none',
        generationId: 1,
        memberId: 'm',
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [],
      }),
  ],
  [
    'Heartbeat unknown group',
    () =>
      c.request(HeartbeatApi, 4, {
        groupId: 'probe-none',
        generationId: 1,
        memberId: 'm',
        groupInstanceId: null,
      }),
  ],
  [
    'Heartbeat empty group',
    () =>
      c.request(HeartbeatApi, 4, {
        groupId: '',
        generationId: 1,
        memberId: 'm',
        groupInstanceId: null,
      }),
  ],
  [
    'LeaveGroup v0 unknown group',
    () => c.request(LeaveGroupApi, 0, { groupId: 'probe-none', memberId: 'm' }),
  ],
  [
    'LeaveGroup v3 unknown group',
    () =>
      c.request(LeaveGroupApi, 3, {
        groupId: 'probe-none',
        members: [{ memberId: 'm', groupInstanceId: null }],
      }),
  ],
  ...[8, 9].map(
    (v) =>
      [
        `OffsetCommit v${v} generation 5, unknown group`,
        () =>
          c.request(OffsetCommitApi, v, {
            groupId: 'probe-none2',
            generationIdOrMemberEpoch: 5,
            memberId: 'm',
            groupInstanceId: null,
            topics: [
              {
                name: 'probe-topic',
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
          }),
      ] as [string, () => Promise<unknown>],
  ),
  [
    'OffsetCommit simple, unknown topic and partition, empty group id',
    () =>
      c.request(OffsetCommitApi, 8, {
        groupId: '',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [
          {
            name: 'probe-topic',
            partitions: [
              {
                partitionIndex: 9,
                committedOffset: 1n,
                committedLeaderEpoch: -1,
                committedMetadata: null,
              },
            ],
          },
          {
            name: 'no-such-topic',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 1n,
                committedLeaderEpoch: -1,
                committedMetadata: null,
              },
            ],
          },
          {
            name: 'probe-topic',
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
      }),
  ],
  [
    'OffsetFetch v7 empty group id',
    () => c.request(OffsetFetchApi, 7, { groupId: '', topics: null, requireStable: true }),
  ],
  [
    'OffsetFetch v9 unknown member of unknown group',
    () =>
      c.request(OffsetFetchApi, 9, {
        groups: [{ groupId: 'probe-none', memberId: 'x', memberEpoch: 3, topics: null }],
        requireStable: false,
      }),
  ],
  [
    'OffsetDelete unknown group',
    () => c.request(OffsetDeleteApi, 0, { groupId: 'probe-none', topics: [] }),
  ],
  ['OffsetDelete empty group', () => c.request(OffsetDeleteApi, 0, { groupId: '', topics: [] })],
  [
    'DescribeGroups unknown and empty',
    () =>
      c.request(DescribeGroupsApi, 5, {
        groups: ['probe-none', ''],
        includeAuthorizedOperations: false,
      }),
  ],
  [
    'DeleteGroups unknown and empty',
    () => c.request(DeleteGroupsApi, 2, { groupsNames: ['probe-none', ''] }),
  ],
  [
    'ListGroups v5 filter',
    () => c.request(ListGroupsApi, 5, { statesFilter: ['empty'], typesFilter: ['classic'] }),
  ],
  [
    'CGHeartbeat no rebalance timeout',
    () => c.request(ConsumerGroupHeartbeatApi, 0, { ...cgh, rebalanceTimeoutMs: -1 }),
  ],
  [
    'CGHeartbeat epoch 3, unknown group',
    () =>
      c.request(ConsumerGroupHeartbeatApi, 0, { ...cgh, groupId: 'probe-none', memberEpoch: 3 }),
  ],
  [
    'CGHeartbeat unknown assignor',
    () => c.request(ConsumerGroupHeartbeatApi, 0, { ...cgh, serverAssignor: 'magic' }),
  ],
  ['CGHeartbeat join', () => c.request(ConsumerGroupHeartbeatApi, 0, cgh)],
  [
    'CGHeartbeat epoch 7',
    () =>
      c.request(ConsumerGroupHeartbeatApi, 0, {
        ...cgh,
        memberEpoch: 7,
        rebalanceTimeoutMs: -1,
        subscribedTopicNames: null,
        topicPartitions: null,
      }),
  ],
  ['CGHeartbeat rejoin epoch 0, same member', () => c.request(ConsumerGroupHeartbeatApi, 0, cgh)],
  [
    'CGHeartbeat unknown member',
    () =>
      c.request(ConsumerGroupHeartbeatApi, 0, {
        ...cgh,
        memberId: 'other-member-aaaaaaaaaa',
        memberEpoch: 1,
        rebalanceTimeoutMs: -1,
        subscribedTopicNames: null,
        topicPartitions: null,
      }),
  ],
  [
    'OffsetCommit v8 to consumer group',
    () =>
      c.request(OffsetCommitApi, 8, {
        groupId: 'probe-cg',
        generationIdOrMemberEpoch: 1,
        memberId: cgh.memberId,
        groupInstanceId: null,
        topics: [
          {
            name: 'probe-topic',
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
      }),
  ],
  [
    'OffsetCommit v9 stale epoch',
    () =>
      c.request(OffsetCommitApi, 9, {
        groupId: 'probe-cg',
        generationIdOrMemberEpoch: 0,
        memberId: cgh.memberId,
        groupInstanceId: null,
        topics: [
          {
            name: 'probe-topic',
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
      }),
  ],
  [
    'DescribeGroups consumer group',
    () =>
      c.request(DescribeGroupsApi, 5, { groups: ['probe-cg'], includeAuthorizedOperations: false }),
  ],
  [
    'ConsumerGroupDescribe unknown, empty',
    () =>
      c.request(ConsumerGroupDescribeApi, 0, {
        groupIds: ['probe-none', ''],
        includeAuthorizedOperations: false,
      }),
  ],
  [
    'DeleteGroups live consumer group',
    () => c.request(DeleteGroupsApi, 2, { groupsNames: ['probe-cg'] }),
  ],
];
for (const [label, probe] of probes) {
  try {
    show(label, await probe());
  } catch (err) {
    show(label, { thrown: String(err) });
  }
}
c.close();

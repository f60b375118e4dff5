// Two `samsa broker` processes on etcd, each with two listeners (PLAINTEXT and INTERNAL, on
// their own ports): every answer naming brokers gives the endpoints of the listener the request
// came in on, the other broker's included (Kafka matches endpoints by listener name). Covers
// Metadata, DescribeCluster, FindCoordinator, and Fetch v16's and Produce v10's nodeEndpoints for
// a partition led by the other broker.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { CreateTopicsApi } from '../../../src/protocol/messages/create-topics.js';
import { DescribeClusterApi } from '../../../src/protocol/messages/describe-cluster.js';
import { FetchApi } from '../../../src/protocol/messages/fetch.js';
import { FindCoordinatorApi } from '../../../src/protocol/messages/find-coordinator.js';
import { MetadataApi } from '../../../src/protocol/messages/metadata.js';
import { ProduceApi } from '../../../src/protocol/messages/produce.js';
import { buildRecordBatch } from '../../../src/protocol/records/index.js';
import {
  type BrokerProcess,
  startBrokerProcess,
  stopAllBrokers,
} from '../../helpers/broker-process.js';
import { WireClient } from '../../helpers/wire-client.js';
import { sleep } from './cluster-harness.js';
import { EtcdServer, etcdSkipReason } from './etcd-server.js';

const skip = etcdSkipReason();
const LISTENERS = ['PLAINTEXT', 'INTERNAL'] as const;
type ListenerName = (typeof LISTENERS)[number];
const TOPIC = 'two-listeners';

interface Node {
  id: number;
  proc: BrokerProcess;
  ports: Record<ListenerName, number>;
}

describe('brokers with two listeners', { skip }, () => {
  let etcd: EtcdServer;
  const root = mkdtempSync(join(tmpdir(), 'samsa-listeners-'));
  const nodes: Node[] = [];

  async function through<T>(n: Node, l: ListenerName, work: (c: WireClient) => Promise<T>) {
    const c = await WireClient.connect(n.ports[l]);
    try {
      return await work(c);
    } finally {
      c.close();
    }
  }

  const metadata = (n: Node, l: ListenerName) =>
    through(n, l, (c) =>
      c.request(MetadataApi, 12, {
        topics: [{ name: TOPIC }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      }),
    );

  /** Every broker's port on listener `l`, by node id, as the test started them. */
  const expected = (l: ListenerName) => nodes.map((n) => [n.id, n.ports[l]]).sort();

  before(async () => {
    etcd = await EtcdServer.start();
    for (const id of [1, 2]) {
      const proc = await startBrokerProcess({
        dataDir: join(root, `broker-${id}`),
        timeoutMs: 60_000,
        overrides: {
          'node.id': String(id),
          listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
          'metadata.store': `etcd://127.0.0.1:${etcd.clientPort}`,
          'metadata.store.prefix': '/samsa-listeners-test',
          'broker.session.timeout.ms': '3000',
          'offsets.topic.replication.factor': '1',
        },
      });
      // "ready on 127.0.0.1:P1, 127.0.0.1:P2": advertised in the order of listeners.
      const m = /ready on [^\s,]+:(\d+), [^\s,]+:(\d+)/.exec(proc.output());
      assert.ok(m, proc.output());
      nodes.push({ id, proc, ports: { PLAINTEXT: Number(m[1]), INTERNAL: Number(m[2]) } });
    }
    const created = await through(nodes[0]!, 'PLAINTEXT', (c) =>
      c.request(CreateTopicsApi, 5, {
        topics: [
          {
            name: TOPIC,
            numPartitions: -1,
            replicationFactor: -1,
            assignments: [
              { partitionIndex: 0, brokerIds: [1] },
              { partitionIndex: 1, brokerIds: [2] },
            ],
            configs: [],
          },
        ],
        timeoutMs: 10_000,
        validateOnly: false,
      }),
    );
    assert.equal(
      created.topics[0]!.errorCode,
      ErrorCode.NONE,
      created.topics[0]!.errorMessage ?? '',
    );
  });

  after(async () => {
    await stopAllBrokers();
    await etcd?.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  for (const l of LISTENERS) {
    test(`through ${l}: Metadata and DescribeCluster name every broker's ${l} endpoint`, async () => {
      for (const n of nodes) {
        const deadline = Date.now() + 30_000;
        let md = await metadata(n, l);
        while (md.brokers.length < 2 && Date.now() < deadline) {
          await sleep(100);
          md = await metadata(n, l);
        }
        assert.deepEqual(md.brokers.map((b) => [b.nodeId, b.port]).sort(), expected(l));
        const dc = await through(n, l, (c) =>
          c.request(DescribeClusterApi, 1, {
            includeClusterAuthorizedOperations: false,
            endpointType: 1,
          }),
        );
        assert.deepEqual(dc.brokers.map((b) => [b.brokerId, b.port]).sort(), expected(l));
      }
    });

    test(`through ${l}: FindCoordinator names the coordinator's ${l} endpoint`, async () => {
      for (const n of nodes) {
        const r = await through(n, l, async (c) => {
          for (let i = 0; i < 300; i++) {
            const r = await c.request(FindCoordinatorApi, 3, { key: 'a-group', keyType: 0 });
            if (r.errorCode === 0) return r;
            await sleep(100);
          }
          throw new Error('no group coordinator');
        });
        const coordinator = nodes.find((x) => x.id === r.nodeId);
        assert.ok(coordinator, `unknown coordinator ${r.nodeId}`);
        assert.equal(r.port, coordinator.ports[l]);
      }
    });

    test(`through ${l}: Fetch v16 at the wrong broker names the leader's ${l} endpoint`, async () => {
      const [one, two] = nodes as [Node, Node];
      const md = await metadata(one, l);
      const topicId = md.topics[0]!.topicId!;
      // Partition 1 is led by broker 2; ask broker 1 for it.
      const res = await through(one, l, (c) =>
        c.request(FetchApi, 16, {
          replicaState: { replicaId: -1, replicaEpoch: -1n },
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topicId,
              partitions: [
                {
                  partition: 1,
                  currentLeaderEpoch: -1,
                  fetchOffset: 0n,
                  lastFetchedEpoch: -1,
                  logStartOffset: -1n,
                  partitionMaxBytes: 1 << 20,
                },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        }),
      );
      const p = res.responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      assert.equal(p.currentLeader?.leaderId, 2);
      assert.deepEqual(
        (res.nodeEndpoints ?? []).map((e) => [e.nodeId, e.host, e.port]),
        [[2, '127.0.0.1', two.ports[l]]],
      );
    });

    test(`through ${l}: Produce v11 at the wrong broker names the leader's ${l} endpoint`, async () => {
      const [one, two] = nodes as [Node, Node];
      const batch = buildRecordBatch({ records: [{ value: Buffer.from('x'), timestamp: 0 }] });
      const res = await through(one, l, (c) =>
        c.request(ProduceApi, 11, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: TOPIC, partitionData: [{ index: 1, records: batch.buf }] }],
        }),
      );
      const p = res.responses[0]!.partitionResponses[0]!;
      assert.equal(p.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      assert.equal(p.currentLeader?.leaderId, 2);
      assert.deepEqual(
        (res.nodeEndpoints ?? []).map((e) => [e.nodeId, e.host, e.port]),
        [[2, '127.0.0.1', two.ports[l]]],
      );
    });
  }
});

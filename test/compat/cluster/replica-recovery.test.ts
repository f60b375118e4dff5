// Three `samsa broker` processes on a real etcd, for what a replica keeps or resets across a
// restart:
// - the high watermark checkpoint: a leader SIGKILLed and restarted while its followers are
//   frozen (so they cannot tell it the high watermark again) serves consumers exactly the
//   records committed before it died, at once, and nothing above them;
// - a follower that returns after the leader deleted records past its log end
//   (DeleteRecords) gets OFFSET_OUT_OF_RANGE, starts its log over at the leader's log start,
//   and ends with the leader's bytes.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection } from '../../../src/client/connection.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { CreateTopicsApi } from '../../../src/protocol/messages/create-topics.js';
import { DeleteRecordsApi } from '../../../src/protocol/messages/delete-records.js';
import { FetchApi } from '../../../src/protocol/messages/fetch.js';
import { ListOffsetsApi } from '../../../src/protocol/messages/list-offsets.js';
import { MetadataApi } from '../../../src/protocol/messages/metadata.js';
import { ProduceApi } from '../../../src/protocol/messages/produce.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import { buildRecordBatch, splitBatches } from '../../../src/protocol/records/index.js';
import { startBrokerProcess, stopAllBrokers } from '../../helpers/broker-process.js';
import { type ClusterNode, sleep, until } from './cluster-harness.js';
import { EtcdServer, etcdSkipReason } from './etcd-server.js';

const skip = etcdSkipReason();

type Node = ClusterNode;

describe('replica state across restarts in a 3-broker cluster', { skip }, () => {
  let etcd: EtcdServer;
  const nodes = new Map<number, Node>();
  const root = mkdtempSync(join(tmpdir(), 'samsa-replica-recovery-'));

  async function start(node: Node): Promise<void> {
    node.proc = await startBrokerProcess({
      dataDir: node.dataDir,
      port: node.port,
      timeoutMs: 90_000,
      overrides: {
        'node.id': String(node.id),
        'metadata.store': `etcd://127.0.0.1:${etcd.clientPort}`,
        'metadata.store.prefix': '/samsa-replica-recovery-test',
        // Broker 1 (the leader) comes back quickly after SIGKILL; brokers 2 and 3 stay
        // registered (and in the ISR) while frozen, so nobody takes leadership from broker 1.
        'broker.session.timeout.ms': node.id === 1 ? '2000' : '60000',
        'replica.lag.time.max.ms': '120000',
        'replica.fetch.wait.max.ms': '200',
        'replica.high.watermark.checkpoint.interval.ms': '200',
        'auto.create.topics.enable': 'false',
      },
    });
    node.port = node.proc.port;
  }

  async function withConnection<T>(node: Node, work: (c: Connection) => Promise<T>) {
    const c = await Connection.connect({
      host: '127.0.0.1',
      port: node.port,
      clientId: 'replica-recovery-test',
      connectTimeoutMs: 2000,
      requestTimeoutMs: 10_000,
    });
    try {
      return await work(c);
    } finally {
      c.close();
    }
  }

  /** Leader, epoch and ISR of `topic`-0 as `node` reports them. */
  async function state(node: Node, topic: string) {
    const md = await withConnection(node, (c) =>
      c.send(
        MetadataApi,
        {
          topics: [{ name: topic, topicId: ZERO_UUID }],
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        },
        { version: 12 },
      ),
    );
    const p = md.topics[0]?.partitions[0];
    if (!p || p.errorCode !== ErrorCode.NONE) return undefined;
    return { leader: p.leaderId, epoch: p.leaderEpoch ?? -1, isr: [...p.isrNodes].sort() };
  }

  async function createTopic(topic: string) {
    const res = await withConnection(nodes.get(1)!, (c) =>
      c.send(
        CreateTopicsApi,
        {
          topics: [
            {
              name: topic,
              numPartitions: -1,
              replicationFactor: -1,
              assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }],
              configs: [{ name: 'min.insync.replicas', value: '2' }],
            },
          ],
          timeoutMs: 10_000,
          validateOnly: false,
        },
        { version: 5 },
      ),
    );
    assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE, res.topics[0]!.errorMessage ?? '');
    return until(`${topic} led by broker 1 with a full ISR`, async () => {
      const s = await state(nodes.get(1)!, topic);
      return s && s.leader === 1 && s.isr.length === 3 ? s : undefined;
    });
  }

  function produce(node: Node, topic: string, acks: number, values: string[]) {
    return withConnection(node, async (c) => {
      const records = values.map((v) => ({ value: Buffer.from(v), timestamp: Date.now() }));
      const res = await c.send(
        ProduceApi,
        {
          transactionalId: null,
          acks,
          timeoutMs: 10_000,
          topicData: [
            {
              name: topic,
              partitionData: [{ index: 0, records: buildRecordBatch({ records }).buf }],
            },
          ],
        },
        { version: 9 },
      );
      return res.responses[0]!.partitionResponses[0]!;
    });
  }

  /** One consumer Fetch (replica id -1) of `topic`-0 from `offset`. */
  function consume(node: Node, topic: string, offset: number) {
    return withConnection(node, async (c) => {
      const res = await c.send(
        FetchApi,
        {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic,
              partitions: [
                {
                  partition: 0,
                  currentLeaderEpoch: -1,
                  fetchOffset: BigInt(offset),
                  lastFetchedEpoch: -1,
                  logStartOffset: -1n,
                  partitionMaxBytes: 1 << 20,
                },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        },
        { version: 12 },
      );
      const d = res.responses[0]!.partitions[0]!;
      const batches = d.records ? splitBatches(d.records) : [];
      return {
        errorCode: d.errorCode,
        highWatermark: Number(d.highWatermark),
        offsets: batches.flatMap((b) =>
          Array.from({ length: b.lastOffset - b.baseOffset + 1 }, (_, i) => b.baseOffset + i),
        ),
      };
    });
  }

  function latestOffset(node: Node, topic: string) {
    return withConnection(node, async (c) => {
      const res = await c.send(
        ListOffsetsApi,
        {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
        },
        { version: 7 },
      );
      return Number(res.topics[0]!.partitions[0]!.offset);
    });
  }

  function dumpLogs() {
    for (const n of nodes.values()) {
      const out = n.proc?.output() ?? '';
      process.stderr.write(`# --- broker ${n.id} log (tail) ---\n${out.slice(-4000)}\n`);
    }
  }

  before(async () => {
    etcd = await EtcdServer.start();
    for (const id of [1, 2, 3])
      nodes.set(id, { id, dataDir: join(root, `broker-${id}`), port: 0, proc: undefined });
    await Promise.all([...nodes.values()].map((n) => start(n)));
  });

  after(async () => {
    for (const n of nodes.values()) n.proc?.child.kill('SIGCONT');
    await stopAllBrokers();
    await etcd?.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  test('a restarted leader serves the records committed before it died at once, none above', async () => {
    const [leader, f2, f3] = [nodes.get(1)!, nodes.get(2)!, nodes.get(3)!];
    const created = await createTopic('hw');
    const committed = await produce(leader, 'hw', -1, Array(10).fill('committed'));
    assert.equal(committed.errorCode, ErrorCode.NONE);
    const checkpoint = join(leader.dataDir, 'replication-offset-checkpoint');
    await until('the high watermark 10 in the checkpoint', async () =>
      existsSync(checkpoint) && /^hw 0 10$/m.test(readFileSync(checkpoint, 'utf8'))
        ? true
        : undefined,
    );
    // Frozen followers stay registered and in the ISR but fetch nothing: the restarted leader's
    // high watermark can only come from its checkpoint.
    for (const f of [f2, f3]) f.proc!.child.kill('SIGSTOP');
    try {
      await sleep(500); // fetches already parked at the leader answer and none follow
      const uncommitted = await produce(leader, 'hw', 1, Array(5).fill('uncommitted'));
      assert.equal(uncommitted.errorCode, ErrorCode.NONE);
      assert.equal(Number(uncommitted.baseOffset), 10);
      await leader.proc!.kill('SIGKILL');
      await start(leader);
      const back = await until('broker 1 leading again under a newer epoch', async () => {
        const s = await state(leader, 'hw');
        return s && s.leader === 1 && s.epoch > created.epoch ? s : undefined;
      });
      assert.deepEqual(back.isr, [1, 2, 3], 'the frozen followers are still in the ISR');
      const first = await consume(leader, 'hw', 0);
      assert.equal(first.errorCode, ErrorCode.NONE);
      assert.equal(first.highWatermark, 10, 'the checkpointed high watermark, not 0 and not 15');
      assert.deepEqual(
        first.offsets,
        Array.from({ length: 10 }, (_, i) => i),
      );
      assert.equal(await latestOffset(leader, 'hw'), 10);
    } catch (err) {
      dumpLogs();
      throw err;
    } finally {
      for (const f of [f2, f3]) f.proc!.child.kill('SIGCONT');
    }
    // Once the followers fetch again, the records only the leader had become committed.
    await until('the high watermark at 15', async () => {
      const r = await consume(leader, 'hw', 10);
      return r.highWatermark === 15 ? r : undefined;
    });
  });

  test('a follower behind the leader log start starts over there and ends with its bytes', async () => {
    const [leader, f2, f3] = [nodes.get(1)!, nodes.get(2)!, nodes.get(3)!];
    for (const n of nodes.values()) if (!n.proc || n.proc.child.exitCode !== null) await start(n);
    await createTopic('gone');
    assert.equal((await produce(leader, 'gone', -1, Array(10).fill('a'))).errorCode, 0);
    // Broker 3 leaves (and the ISR) cleanly; the others go on and delete records past its end.
    await f3.proc!.kill('SIGTERM');
    await until('broker 3 out of the ISR', async () => {
      const s = await state(leader, 'gone');
      return s && s.isr.join() === '1,2' ? s : undefined;
    });
    for (let i = 0; i < 3; i++) {
      assert.equal((await produce(leader, 'gone', -1, Array(10).fill(`b${i}`))).errorCode, 0);
    }
    const deleted = await withConnection(leader, (c) =>
      c.send(
        DeleteRecordsApi,
        {
          topics: [{ name: 'gone', partitions: [{ partitionIndex: 0, offset: 25n }] }],
          timeoutMs: 10_000,
        },
        { version: 2 },
      ),
    );
    const result = deleted.topics[0]!.partitions[0]!;
    assert.equal(result.errorCode, ErrorCode.NONE);
    assert.equal(result.lowWatermark, 25n);
    await start(f3);
    try {
      await until('broker 3 back in the ISR', async () => {
        const s = await state(leader, 'gone');
        return s && s.isr.length === 3 ? s : undefined;
      });
    } catch (err) {
      dumpLogs();
      throw err;
    }
    const said = f3.proc!.output();
    assert.match(said, /log starts at 25: emptying the log and starting over at 25/, said);
    assert.equal((await produce(leader, 'gone', -1, ['c'])).errorCode, 0);
    await sleep(1000); // followers fetch the last batch
    for (const n of [leader, f2, f3]) await n.proc!.kill('SIGTERM');
    const leaderLog = readPartitionLog(leader.dataDir, 'gone-0');
    const returned = readPartitionLog(f3.dataDir, 'gone-0');
    assert.equal(returned.firstOffset, 20, "the leader's first batch at or after its log start");
    assert.equal(returned.endOffset, 41);
    assert.ok(
      returned.bytes.equals(leaderLog.bytesFrom(returned.firstOffset)),
      "broker 3 holds the leader's bytes from its log start on",
    );
  });
});

/** A partition's batches straight from its segment files. */
function readPartitionLog(dataDir: string, partitionDir: string) {
  const dir = join(dataDir, partitionDir);
  const segments = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();
  const bytes = Buffer.concat(segments.map((f) => readFileSync(join(dir, f))));
  const batches = splitBatches(bytes);
  return {
    bytes,
    firstOffset: batches[0]?.baseOffset ?? -1,
    endOffset: (batches[batches.length - 1]?.lastOffset ?? -2) + 1,
    bytesFrom(offset: number) {
      return Buffer.concat(batches.filter((b) => b.baseOffset >= offset).map((b) => b.buf));
    },
  };
}

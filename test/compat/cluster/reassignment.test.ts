// Growing and shrinking a live cluster: three `samsa broker` processes on a real etcd, an
// idempotent acks=all producer (RF 3, min.insync.replicas 2) writing uniquely numbered records
// and a consumer reading throughout. A 4th broker starts and `samsa cluster add-broker 4` moves
// a fair share of replicas and leaders onto it; `samsa cluster decommission 1` empties broker 1,
// which is then stopped. Every acknowledged record is consumed at the offset it was
// acknowledged with, none is lost, the clients only ever saw retriable errors, broker 1 ends
// with no replica (its logs deleted), and Metadata shows RF 3 with full ISRs on brokers 2-4.
// Then: a replica added to a log trimmed by DeleteRecords starts at the leader's log start
// offset, and a move in flight when the controller is SIGKILLed is finished by its successor.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Logger, Samsa } from '../../../src/client/index.js';
import { samsa as samsaCli } from '../../cli/cli-harness.js';
import {
  type BrokerProcess,
  startBrokerProcess,
  stopAllBrokers,
} from '../../helpers/broker-process.js';
import { sleep } from './cluster-harness.js';
import { EtcdServer, etcdSkipReason } from './etcd-server.js';

const skip = etcdSkipReason();
const TOPIC = 'moving';
const PARTITIONS = 6;

interface Node {
  id: number;
  dataDir: string;
  proc: BrokerProcess | undefined;
}

/** Client log lines that name a Kafka error, counted by error name. */
function errorCollector(): { logger: Logger; seen: Map<string, number>; fatal: string[] } {
  const seen = new Map<string, number>();
  const fatal: string[] = [];
  const note = (m: string) => {
    for (const name of m.match(/\b[A-Z][A-Z_]{5,}\b/g) ?? []) {
      seen.set(name, (seen.get(name) ?? 0) + 1);
    }
  };
  return {
    seen,
    fatal,
    logger: { debug: note, info: note, warn: note, error: (m) => fatal.push(m) },
  };
}

describe('adding and decommissioning brokers under load', { skip }, () => {
  let etcd: EtcdServer;
  const nodes = new Map<number, Node>();
  const root = mkdtempSync(join(tmpdir(), 'samsa-reassign-'));

  async function start(id: number): Promise<Node> {
    const node = nodes.get(id) ?? { id, dataDir: join(root, `broker-${id}`), proc: undefined };
    nodes.set(id, node);
    node.proc = await startBrokerProcess({
      dataDir: node.dataDir,
      timeoutMs: 60_000,
      overrides: {
        'node.id': String(id),
        'metadata.store': `etcd://127.0.0.1:${etcd.clientPort}`,
        'metadata.store.prefix': '/samsa-reassignment-test',
        'broker.session.timeout.ms': '3000',
        'replica.lag.time.max.ms': '10000',
        'replica.fetch.wait.max.ms': '200',
        'auto.create.topics.enable': 'false',
      },
    });
    return node;
  }

  const bootstrap = () =>
    [...nodes.values()]
      .filter((n) => n.proc && n.proc.child.exitCode === null)
      .map((n) => n.proc!.bootstrap)
      .join(',');

  const cli = (...args: string[]) =>
    samsaCli([...args, '--bootstrap', bootstrap()], { timeoutMs: 300_000 });

  before(async () => {
    etcd = await EtcdServer.start();
    await Promise.all([1, 2, 3].map((id) => start(id)));
  });

  after(async () => {
    await stopAllBrokers();
    await etcd?.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  test('add-broker 4, decommission 1, stop 1: every acknowledged record is read at its offset', async () => {
    const produced = errorCollector();
    const consumed = errorCollector();
    const admin = new Samsa({ brokers: bootstrap().split(','), logger: 'nothing' }).admin();
    try {
      await admin.createTopics({
        topics: [
          {
            topic: TOPIC,
            numPartitions: PARTITIONS,
            replicationFactor: 3,
            configs: { 'min.insync.replicas': '2' },
          },
        ],
      });
    } finally {
      await admin.close();
    }

    // Every broker of the run is in the bootstrap list, so the clients never depend on broker 1.
    const producer = new Samsa({
      brokers: bootstrap().split(','),
      clientId: 'reassign-producer',
      logger: produced.logger,
    }).producer({ acks: 'all', lingerMs: 5, deliveryTimeoutMs: 120_000 });
    await producer.connect();
    const acked = new Map<string, string>(); // "partition/offset" -> value
    const failures: string[] = [];
    let seq = 0;
    let producing = true;
    const produceLoop = (async () => {
      while (producing) {
        const batch = Array.from({ length: 10 }, () => seq++);
        await Promise.all(
          batch.map(async (n) => {
            const value = `record-${n}`;
            try {
              const [meta] = await producer.send({
                topic: TOPIC,
                messages: [{ value, partition: n % PARTITIONS }],
              });
              acked.set(`${meta!.partition}/${meta!.offset}`, value);
            } catch (err) {
              failures.push(`${value}: ${(err as Error).message}`);
            }
          }),
        );
        await sleep(20);
      }
    })();

    const consumer = new Samsa({
      brokers: bootstrap().split(','),
      clientId: 'reassign-consumer',
      logger: consumed.logger,
    }).consumer({ maxWaitMs: 200 });
    await consumer.assign(
      Array.from({ length: PARTITIONS }, (_, partition) => ({
        topic: TOPIC,
        partition,
        offset: 'earliest' as const,
      })),
    );
    const read = new Map<string, string>();
    let consumerError: unknown;
    const consumeLoop = (async () => {
      try {
        for await (const m of consumer) {
          const key = `${m.partition}/${m.offset}`;
          const value = m.value?.toString() ?? '';
          const before = read.get(key);
          if (before !== undefined && before !== value) {
            consumerError = new Error(`offset ${key} read as ${before} and later as ${value}`);
          }
          read.set(key, value);
        }
      } catch (err) {
        consumerError = err;
      }
    })();

    try {
      await sleep(2000);
      assert.ok(acked.size > 0, 'the producer is acknowledged before any move');

      await start(4);
      const added = await cli('cluster', 'add-broker', '4');
      assert.equal(added.code, 0, `add-broker:\n${added.stdout}\n${added.stderr}`);
      assert.match(
        added.stdout,
        /^Moved \d+ partitions? \(a fair share onto broker 4\) in [\d.]+ s\./,
      );
      assert.match(added.stderr, /Moving \d+ partitions?: \d+ done/);
      const afterAdd = await describeTopic();
      const onFour = afterAdd.filter((p) => p.replicas.includes(4));
      // 18 replicas over 4 brokers: broker 4 gets 4 of them, and a fair share of the leaders.
      assert.equal(onFour.length, 4, JSON.stringify(afterAdd));
      assert.ok(
        afterAdd.some((p) => p.leader === 4),
        JSON.stringify(afterAdd),
      );
      for (const p of afterAdd) {
        assert.equal(p.replicas.length, 3);
        assert.deepEqual(
          [...p.isr].sort(),
          [...p.replicas].sort(),
          `ISR of ${TOPIC}/${p.partition}`,
        );
      }
      await sleep(1000);

      const decommissioned = await cli('cluster', 'decommission', '1', '--json');
      assert.equal(
        decommissioned.code,
        0,
        `decommission:\n${decommissioned.stdout}\n${decommissioned.stderr}`,
      );
      const report = JSON.parse(decommissioned.stdout) as {
        partitions: { replicas: number[]; isr: number[] }[];
      };
      assert.ok(report.partitions.length > 0);
      for (const p of report.partitions) assert.ok(!p.replicas.includes(1));
      const afterDecommission = await describeTopic();
      for (const p of afterDecommission) {
        assert.equal(p.replicas.length, 3);
        assert.ok(!p.replicas.includes(1), `${TOPIC}/${p.partition} still on broker 1`);
        assert.ok(p.leader !== 1);
      }
      const list = await cli('cluster', 'reassign', '--list', '--json');
      assert.deepEqual(JSON.parse(list.stdout), []);

      // Broker 1 deleted its replicas once it was no longer one.
      const leftOnOne = readdirSync(nodes.get(1)!.dataDir).filter((d) => d.startsWith(`${TOPIC}-`));
      assert.deepEqual(leftOnOne, []);
      // ...and every broker that now holds a replica has its log.
      for (const p of afterDecommission) {
        for (const r of p.replicas) {
          assert.ok(
            existsSync(join(nodes.get(r)!.dataDir, `${TOPIC}-${p.partition}`)),
            `broker ${r} has no log for ${TOPIC}/${p.partition}`,
          );
        }
      }
      await nodes.get(1)!.proc!.kill('SIGTERM');
      await sleep(2000);
    } finally {
      producing = false;
      await produceLoop;
      await producer.close();
    }

    // The consumer reads up to the last acknowledged offset of every partition.
    const ends = new Map<number, number>();
    for (const key of acked.keys()) {
      const [p, o] = key.split('/').map(Number) as [number, number];
      ends.set(p, Math.max(ends.get(p) ?? -1, o));
    }
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && consumerError === undefined) {
      const behind = [...ends].filter(([p, o]) => !read.has(`${p}/${o}`));
      if (behind.length === 0) break;
      await sleep(200);
    }
    await consumer.close();
    await consumeLoop;

    assert.equal(consumerError, undefined, `consumer failed: ${String(consumerError)}`);
    assert.deepEqual(failures, [], 'no send failed');
    assert.deepEqual(produced.fatal, [], 'the producer logged no error');
    assert.deepEqual(consumed.fatal, [], 'the consumer logged no error');
    let missing = 0;
    for (const [key, value] of acked) {
      if (read.get(key) !== value) missing++;
    }
    assert.equal(
      missing,
      0,
      `${missing} of ${acked.size} acknowledged records not read at their offset`,
    );
    const values = new Set(acked.values());
    assert.equal(values.size, acked.size, 'no record acknowledged twice');
    // Whatever the clients met on the way was retriable (leaders moving, epochs bumped).
    const retriable = new Set([
      'NOT_LEADER_OR_FOLLOWER',
      'LEADER_NOT_AVAILABLE',
      'FENCED_LEADER_EPOCH',
      'UNKNOWN_LEADER_EPOCH',
      'NOT_ENOUGH_REPLICAS',
      'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
      'REQUEST_TIMED_OUT',
      'NETWORK_EXCEPTION',
      'UNKNOWN_TOPIC_OR_PARTITION',
      'OFFSET_NOT_AVAILABLE',
    ]);
    const seen = new Map([...produced.seen, ...consumed.seen]);
    const unexpected = [...seen.keys()].filter((n) => /_/.test(n) && !retriable.has(n));
    assert.deepEqual(unexpected, [], `client errors seen: ${JSON.stringify([...seen])}`);
    process.stderr.write(
      `# ${acked.size} records acknowledged and read; client errors met: ${JSON.stringify(Object.fromEntries(seen))}\n`,
    );
  });

  test("a replica added to a partition whose log was trimmed starts at the leader's log start offset", async () => {
    const topic = 'trimmed';
    const live = [...nodes.values()].filter((n) => n.proc && n.proc.child.exitCode === null);
    const [from, to] = live.map((n) => n.id) as [number, number];
    const client = new Samsa({ brokers: bootstrap().split(','), logger: 'nothing' });
    const admin = client.admin();
    const producer = client.producer({ acks: 'all' });
    try {
      await admin.createTopics({
        topics: [{ topic, assignments: [{ partition: 0, replicas: [from] }] }],
      });
      await producer.send({
        topic,
        messages: Array.from({ length: 50 }, (_, i) => ({ value: `v${i}`, partition: 0 })),
      });
      await admin.deleteRecords({ topic, partitions: [{ partition: 0, offset: 30 }] });
      const plan = join(root, 'trimmed.json');
      writeFileSync(
        plan,
        JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, replicas: [to, from] }] }),
      );
      const moved = await cli('cluster', 'reassign', plan, '--json', '--timeout-ms', '60000');
      const brokerLogs = () =>
        live
          .map((n) => `--- broker ${n.id}\n${n.proc!.output().split('\n').slice(-25).join('\n')}`)
          .join('\n');
      assert.equal(moved.code, 0, `reassign:\n${moved.stdout}\n${moved.stderr}\n${brokerLogs()}`);
      const [p] = (
        JSON.parse(moved.stdout) as { partitions: { leader: number; replicas: number[] }[] }
      ).partitions;
      assert.deepEqual(p!.replicas, [to, from]);
      assert.equal(p!.leader, to, 'the preferred leader (the new replica) leads after the move');
      const [earliest] = await admin.listOffsets({ topic, at: 'earliest' });
      assert.equal(earliest!.offset, 30);
      const consumer = client.consumer({ maxWaitMs: 200 });
      await consumer.assign([{ topic, partition: 0, offset: 'earliest' }]);
      const values: string[] = [];
      for await (const m of consumer) {
        values.push(`${m.offset}:${m.value}`);
        if (m.offset >= 49) break;
      }
      await consumer.close();
      assert.deepEqual(
        values,
        Array.from({ length: 20 }, (_, i) => `${30 + i}:v${30 + i}`),
      );
    } finally {
      await producer.close();
      await admin.close();
    }
  });

  test('a move in flight when the controller dies is finished by the next controller', async () => {
    const topic = 'resumed';
    const probe = new Samsa({ brokers: bootstrap().split(','), logger: 'nothing' }).admin();
    const { controllerId } = await probe.describeCluster().finally(() => probe.close());
    // Only the controller as bootstrap: this admin's requests never wait on the stopped broker.
    const admin = new Samsa({
      brokers: [nodes.get(controllerId)!.proc!.bootstrap],
      logger: 'nothing',
    }).admin();
    try {
      const others = [...nodes.values()]
        .filter((n) => n.proc && n.proc.child.exitCode === null && n.id !== controllerId)
        .map((n) => n.id);
      const [holder, joiner] = others as [number, number];
      await admin.createTopics({
        topics: [{ topic, assignments: [{ partition: 0, replicas: [holder] }] }],
      });
      // The joiner cannot fetch while stopped, so the move stays in flight.
      const stopped = nodes.get(joiner)!.proc!.child;
      stopped.kill('SIGSTOP');
      try {
        await admin.alterPartitionReassignments({
          reassignments: [{ topic, partition: 0, replicas: [holder, joiner] }],
        });
        assert.deepEqual(await admin.listPartitionReassignments(), [
          {
            topic,
            partition: 0,
            replicas: [holder, joiner],
            addingReplicas: [joiner],
            removingReplicas: [],
          },
        ]);
        await nodes.get(controllerId)!.proc!.kill('SIGKILL');
      } finally {
        stopped.kill('SIGCONT');
      }
    } finally {
      await admin.close();
    }
    const survivor = new Samsa({ brokers: bootstrap().split(','), logger: 'nothing' }).admin();
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const ongoing = await survivor.listPartitionReassignments().catch(() => undefined);
        const [t] = await survivor.describeTopics({ topics: [topic] }).catch(() => [undefined]);
        const p = t?.partitions[0];
        if (ongoing?.length === 0 && p && p.isr.length === 2) {
          assert.equal(p.replicas.length, 2);
          break;
        }
        if (Date.now() > deadline) throw new Error(`the move did not finish: ${JSON.stringify(p)}`);
        await sleep(200);
      }
    } finally {
      await survivor.close();
    }
    const logs = [...nodes.values()].map((n) => n.proc?.output() ?? '').join('\n');
    assert.match(logs, new RegExp(`controller: ${topic}-0 reassignment done`));
  });

  async function describeTopic() {
    const admin = new Samsa({ brokers: bootstrap().split(','), logger: 'nothing' }).admin();
    try {
      const [t] = await admin.describeTopics({ topics: [TOPIC] });
      return t!.partitions;
    } finally {
      await admin.close();
    }
  }
});

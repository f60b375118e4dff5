// Consumer groups on a 3-broker cluster (real etcd, broker processes) while brokers die:
// KafkaJS and confluent-kafka (Python) groups consume a replicated topic with committed offsets
// while an acks=all producer writes. Killing the group coordinator's broker (SIGKILL) or
// restarting every broker in turn (SIGTERM) moves group coordination with the leadership of
// __consumer_offsets; the groups carry on, every acknowledged record is consumed, and committed
// offsets survive.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Consumer, Kafka, logLevel, type Producer } from 'kafkajs';
import { partitionForGroup } from '../../../src/coordinator/group/partitioner.js';
import { FindCoordinatorApi } from '../../../src/protocol/messages/find-coordinator.js';
import { COMPAT_DIR, findPython, IN_CI, jsonLines, killClients, run } from '../support.js';
import { EtcdCluster, sleep, until } from './cluster-harness.js';
import { etcdSkipReason } from './etcd-server.js';

const skip = etcdSkipReason();
const python = findPython();
if (!python.ok) {
  if (IN_CI) throw new Error(`the cluster group test needs confluent-kafka in CI: ${python.why}`);
  process.stderr.write(`# cluster groups: without the Python members: ${python.why}\n`);
}
const OFFSETS_PARTITIONS = 5;
const PARTITIONS = 6;

interface Load {
  acked: Set<string>;
  /** Where each acknowledged value was written: partition and offset, from the ack. */
  ackedAt: Map<string, string>;
  sendFailures: string[];
  stop(): Promise<void>;
}

/**
 * An acks=all KafkaJS producer writing batches of 5 numbered values until stopped, each batch to
 * one partition (in turn), so its acknowledgement names every value's offset. One partition per
 * send() also keeps clear of a KafkaJS 2.2 bug: a send spanning several brokers whose retry
 * skips a broker that answered the first attempt resolves without writing the partitions that
 * moved to that broker (tulios/kafkajs#1303, #1798).
 */
function produce(kafka: Kafka, topic: string, prefix: string): Load {
  const acked = new Set<string>();
  const ackedAt = new Map<string, string>();
  const sendFailures: string[] = [];
  let running = true;
  let producer: Producer | undefined;
  const loop = (async () => {
    producer = kafka.producer({
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 2000 },
    });
    await producer.connect();
    let seq = 0;
    while (running) {
      const partition = (seq / 5) % PARTITIONS;
      const values = Array.from({ length: 5 }, () => `${prefix}-${seq++}`);
      try {
        const [meta] = await producer.send({
          topic,
          acks: -1,
          timeout: 10_000,
          messages: values.map((value) => ({ key: value, value, partition })),
        });
        if (meta?.partition !== partition || meta.errorCode !== 0)
          throw new Error(
            `acknowledgement for ${JSON.stringify(meta)}, not partition ${partition}`,
          );
        values.forEach((v, i) => {
          acked.add(v);
          ackedAt.set(v, `${topic}-${partition}@${Number(meta.baseOffset) + i}`);
        });
      } catch (err) {
        sendFailures.push(`${(err as Error).name}: ${(err as Error).message}`);
      }
      await sleep(20);
    }
    await producer.disconnect();
  })();
  return {
    acked,
    ackedAt,
    sendFailures,
    async stop() {
      running = false;
      await loop;
    },
  };
}

interface Group {
  /** Times each value was consumed, over all members. */
  seen: Map<string, number>;
  crashes: { error: string; restart: boolean }[];
  stop(): Promise<void>;
}

/** KafkaJS members of one group, consuming from the earliest offset, committing as they go. */
async function kafkajsGroup(kafka: Kafka, topic: string, groupId: string, members: number) {
  const seen = new Map<string, number>();
  const crashes: Group['crashes'] = [];
  const consumers: Consumer[] = [];
  for (let i = 0; i < members; i++) {
    const c = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 20_000,
      maxWaitTimeInMs: 200,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 2000 },
    });
    c.on(c.events.CRASH, (e) =>
      crashes.push({
        error: `${e.payload.error.name}: ${e.payload.error.message}`,
        restart: e.payload.restart,
      }),
    );
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        const v = message.value!.toString();
        seen.set(v, (seen.get(v) ?? 0) + 1);
      },
    });
    consumers.push(c);
  }
  return {
    seen,
    crashes,
    async stop() {
      // Commits on the way out; a cluster already torn down must not hold the test.
      await Promise.race([
        Promise.all(consumers.map((c) => c.disconnect())).catch(() => {}),
        sleep(20_000),
      ]);
    },
  } satisfies Group;
}

interface PythonResult {
  name: string;
  seen: string[];
  duplicates: number;
  errors: Record<string, number>;
  commit_errors: Record<string, number>;
}

/** confluent-kafka members of one group (group_consumer.py); finish() hands them the acked set. */
function pythonGroup(bootstrap: string, topic: string, groupId: string, members: number) {
  if (!python.ok) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'samsa-pygroup-'));
  const stopFile = join(dir, 'stop');
  const runs = Array.from({ length: members }, (_, i) =>
    run(
      python.path,
      [
        join(COMPAT_DIR, 'cluster', 'group_consumer.py'),
        bootstrap,
        topic,
        groupId,
        `py-${i}`,
        stopFile,
      ],
      { timeoutMs: 280_000 },
    ),
  );
  return {
    async finish(acked: Set<string>): Promise<PythonResult[]> {
      writeFileSync(`${stopFile}.tmp`, JSON.stringify([...acked]));
      renameSync(`${stopFile}.tmp`, stopFile);
      try {
        const results = await Promise.all(runs);
        return results.map((r) => jsonLines<PythonResult>(r.stdout)[0]!);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const missingFrom = (acked: Set<string>, seen: Iterable<string>) => {
  const s = new Set(seen);
  return [...acked].filter((v) => !s.has(v));
};

/** Which brokers' segment files hold a record whose key and value are `value` (short values). */
function findOnDisk(cluster: EtcdCluster, value: string): string[] {
  // A record's key is written as its zigzag varint length, then the bytes.
  const needle = Buffer.concat([Buffer.from([value.length * 2]), Buffer.from(value)]);
  const found: string[] = [];
  for (const n of cluster.nodes.values()) {
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.name.endsWith('.log') && readFileSync(path).includes(needle))
          found.push(`broker ${n.id}: ${relative(n.dataDir, path)}`);
      }
    };
    try {
      walk(n.dataDir);
    } catch {}
  }
  return found;
}

/** Every partition of the topics has a leader and every broker in its ISR. */
async function fullIsr(cluster: EtcdCluster, topics: string[], ms = 90_000): Promise<void> {
  await until(
    `a full ISR on ${topics.join(', ')}`,
    async () => {
      for (const n of cluster.alive()) {
        const md = await cluster.metadata(n.port, topics).catch(() => undefined);
        if (!md) continue;
        const full = md.topics.every(
          (t) =>
            t.errorCode === 0 &&
            t.partitions.length > 0 &&
            t.partitions.every(
              (p) =>
                p.errorCode === 0 && p.leaderId >= 0 && p.isrNodes.length === cluster.nodes.size,
            ),
        );
        return full ? true : undefined;
      }
      return undefined;
    },
    ms,
  );
}

/** The group's coordinator as the first live broker that knows one names it. */
function findCoordinator(cluster: EtcdCluster, groupId: string): Promise<number> {
  return until(`a coordinator for ${groupId}`, async () => {
    for (const n of cluster.alive()) {
      const r = await cluster
        .withConnection(n.port, (c) =>
          c.send(FindCoordinatorApi, { key: groupId, keyType: 0 }, { version: 2 }),
        )
        .catch(() => undefined);
      if (r?.errorCode === 0 && (r.nodeId ?? -1) >= 0) return r.nodeId;
    }
    return undefined;
  });
}

/** Stops a broker (SIGTERM: controlled shutdown) and starts it again on its port and data. */
async function stopNode(cluster: EtcdCluster, id: number, signal: NodeJS.Signals) {
  const node = cluster.node(id);
  // A graceful stop that hangs must not hang the test.
  const force = setTimeout(() => node.proc?.child.kill('SIGKILL'), 30_000);
  await cluster.stopNode(node, signal);
  clearTimeout(force);
}

describe('consumer groups on a 3-broker cluster', { skip }, () => {
  let cluster: EtcdCluster;
  let kafka: Kafka;

  before(async () => {
    cluster = await EtcdCluster.start(3, {
      'min.insync.replicas': '2',
      'offsets.topic.num.partitions': String(OFFSETS_PARTITIONS),
    });
    kafka = new Kafka({
      brokers: cluster.bootstrap.split(','),
      clientId: 'cluster-groups',
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 2000 },
    });
  });

  after(async () => {
    killClients();
    await cluster?.destroy();
  });

  async function createTopic(topic: string): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Prints the brokers' logs, the clients' counters and which brokers' log segments hold the
   * records a group missed (lost by replication, or skipped by the consumer?) when a test fails.
   */
  async function reporting<T>(
    load: Load,
    what: () => string,
    missing: () => string[],
    body: () => Promise<T>,
  ): Promise<T> {
    try {
      return await body();
    } catch (err) {
      const logs = cluster.logs();
      const where = missing()
        .slice(0, 10)
        .map(
          (v) => `${v} acked at ${load.ackedAt.get(v)}: ${JSON.stringify(findOnDisk(cluster, v))}`,
        );
      process.stderr.write(
        `# ${what()}\n# on disk: ${where.join('; ')}\n# broker logs (tail):\n${logs.slice(-20_000)}\n`,
      );
      throw err;
    }
  }

  test("a consumer group keeps consuming across a coordinator's death", async () => {
    const topic = 'orders';
    await createTopic(topic);
    const load = produce(kafka, topic, 'o');
    const group = await kafkajsGroup(kafka, topic, 'orders-kafkajs', 3);
    const py = pythonGroup(cluster.bootstrap, topic, 'orders-python', 2);
    const admin = kafka.admin();
    await admin.connect();
    let victim = -1;
    let consumedAtKill = 0;
    try {
      await reporting(
        load,
        () =>
          `acked ${load.acked.size}, kafkajs saw ${group.seen.size} (missing ${missingFrom(load.acked, group.seen.keys()).slice(0, 20)}), crashes ${JSON.stringify(group.crashes)}, send failures ${load.sendFailures.length}`,
        () => missingFrom(load.acked, group.seen.keys()),
        async () => {
          await until('the group to consume 200 records', async () =>
            group.seen.size >= 200 ? true : undefined,
          );
          // A group without members whose offsets live on the same __consumer_offsets partition:
          // what it committed must be there, unchanged, once another broker coordinates it.
          const target = partitionForGroup('orders-kafkajs', OFFSETS_PARTITIONS);
          let parked = 'parked-0';
          for (let i = 0; partitionForGroup(parked, OFFSETS_PARTITIONS) !== target; i++)
            parked = `parked-${i}`;
          const parkedOffsets = Array.from({ length: PARTITIONS }, (_, p) => ({
            partition: p,
            offset: String(10 + p),
          }));
          await admin.setOffsets({ groupId: parked, topic, partitions: parkedOffsets });
          const before = await admin.fetchOffsets({ groupId: 'orders-kafkajs', topics: [topic] });

          victim = await findCoordinator(cluster, 'orders-kafkajs');
          assert.equal(await findCoordinator(cluster, parked), victim);
          consumedAtKill = group.seen.size;
          await stopNode(cluster, victim, 'SIGKILL');

          // The group carries on while the old coordinator is down.
          await until(
            'the group to consume 200 more records without the killed coordinator',
            async () => (group.seen.size >= consumedAtKill + 200 ? true : undefined),
            90_000,
          );
          const successor = await findCoordinator(cluster, 'orders-kafkajs');
          assert.notEqual(successor, victim);
          const parkedAfter = await admin.fetchOffsets({ groupId: parked, topics: [topic] });
          assert.deepEqual(
            parkedAfter[0]!.partitions.map((p) => [p.partition, p.offset]).sort(),
            parkedOffsets.map((p) => [p.partition, p.offset]),
            'the offsets committed at the dead coordinator, read from its successor',
          );
          const afterKill = await admin.fetchOffsets({
            groupId: 'orders-kafkajs',
            topics: [topic],
          });
          for (const p of before[0]!.partitions) {
            const now = afterKill[0]!.partitions.find((x) => x.partition === p.partition)!;
            assert.ok(
              Number(now.offset) >= Number(p.offset),
              `partition ${p.partition}: committed ${now.offset} after the kill, ${p.offset} before`,
            );
          }

          await cluster.startNode(cluster.node(victim));
          await fullIsr(cluster, [topic, '__consumer_offsets']);
          const ackedAtRestart = load.acked.size;
          await until('100 more acknowledged records after the restart', async () =>
            load.acked.size >= ackedAtRestart + 100 ? true : undefined,
          );
          await load.stop();
          await until(
            'the KafkaJS group to consume every acknowledged record',
            async () =>
              missingFrom(load.acked, group.seen.keys()).length === 0 ? true : undefined,
            90_000,
          );
        },
      );
      const results = await py?.finish(load.acked);
      const duplicates = [...group.seen.values()].reduce((n, c) => n + c - 1, 0);
      process.stderr.write(
        `# coordinator ${victim} killed after ${consumedAtKill} records; ${load.acked.size} acknowledged, ${load.sendFailures.length} failed sends; KafkaJS group: ${group.seen.size} consumed, ${duplicates} twice, ${group.crashes.length} consumer restarts\n`,
      );
      assert.deepEqual(
        group.crashes.filter((c) => !c.restart),
        [],
      );
      if (results) {
        const seen = results.flatMap((r) => r.seen);
        assert.deepEqual(missingFrom(load.acked, seen), [], 'confluent-kafka group missed records');
        process.stderr.write(
          `# confluent-kafka group: ${new Set(seen).size} consumed, ${results.reduce((n, r) => n + r.duplicates, 0)} twice; errors ${JSON.stringify(results.map((r) => [r.errors, r.commit_errors]))}\n`,
        );
      }
    } finally {
      await load.stop();
      await group.stop();
      await admin.disconnect();
    }
  });

  test('rolling restart of all three brokers under load: producers and consumers carry on with retries only', async () => {
    const topic = 'rolling';
    await createTopic(topic);
    const load = produce(kafka, topic, 'r');
    const group = await kafkajsGroup(kafka, topic, 'rolling-kafkajs', 2);
    const py = pythonGroup(cluster.bootstrap, topic, 'rolling-python', 2);
    try {
      await reporting(
        load,
        () =>
          `acked ${load.acked.size}, kafkajs saw ${group.seen.size} (missing ${missingFrom(load.acked, group.seen.keys()).slice(0, 20)}), crashes ${JSON.stringify(group.crashes)}, send failures ${JSON.stringify(load.sendFailures)}`,
        () => missingFrom(load.acked, group.seen.keys()),
        async () => {
          for (const id of [...cluster.nodes.keys()]) {
            const acked = load.acked.size;
            const consumed = group.seen.size;
            await until(`progress before restarting broker ${id}`, async () =>
              load.acked.size >= acked + 100 && group.seen.size >= consumed + 100
                ? true
                : undefined,
            );
            await stopNode(cluster, id, 'SIGTERM');
            await cluster.startNode(cluster.node(id));
            await fullIsr(cluster, [topic, '__consumer_offsets']);
          }
          const acked = load.acked.size;
          await until('progress after the last restart', async () =>
            load.acked.size >= acked + 100 ? true : undefined,
          );
          await load.stop();
          await until(
            'the KafkaJS group to consume every acknowledged record',
            async () =>
              missingFrom(load.acked, group.seen.keys()).length === 0 ? true : undefined,
            90_000,
          );
          assert.deepEqual(load.sendFailures, [], 'the acks=all producer never failed');
          assert.deepEqual(group.crashes, [], 'no KafkaJS consumer crashed');
        },
      );
      const results = await py?.finish(load.acked);
      const duplicates = [...group.seen.values()].reduce((n, c) => n + c - 1, 0);
      process.stderr.write(
        `# rolling restart: ${load.acked.size} acknowledged, KafkaJS group ${group.seen.size} consumed, ${duplicates} twice\n`,
      );
      if (results) {
        const seen = results.flatMap((r) => r.seen);
        assert.deepEqual(missingFrom(load.acked, seen), [], 'confluent-kafka group missed records');
        process.stderr.write(
          `# confluent-kafka group: ${new Set(seen).size} consumed, ${results.reduce((n, r) => n + r.duplicates, 0)} twice; errors ${JSON.stringify(results.map((r) => [r.errors, r.commit_errors]))}\n`,
        );
      }
    } finally {
      await load.stop();
      await group.stop();
    }
  });
});

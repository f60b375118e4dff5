// Third-party clients against a 3-broker cluster on etcd (RF=3, min.insync.replicas=2):
// - kcat produces to and consumes from a topic whose partition leaders are on three different
//   brokers, and still reads everything (and writes more) after one leader is SIGKILLed;
// - confluent-kafka (librdkafka) and Java kafka-clients produce with acks=all and idempotence
//   while the partition leader is SIGKILLed and restarted several times; every record the
//   client got a delivery report for is found at the offset it was reported with, and the log
//   holds each value exactly once (idempotence across leader changes).
// Consumer groups across a coordinator's death are tested with the group coordinator.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type KcatRecord, kcat } from '../kcat-client.js';
import {
  CACHE,
  COMPAT_DIR,
  findJavaClients,
  findPython,
  IN_CI,
  jsonLines,
  killClients,
  run,
  type Tool,
} from '../support.js';
import { EtcdCluster, until } from './cluster-harness.js';
import { etcdSkipReason } from './etcd-server.js';

const skip = etcdSkipReason();
const python = findPython();
const JAVA_VERSION = (process.env.SAMSA_JAVA_CLIENT_VERSIONS ?? '4.1.2').split(/\s+/).at(-1)!;
const java = findJavaClients(JAVA_VERSION);
/** Leader kills per producing client (replication.test.ts does more with the Samsa client). */
const KILLS = Number(process.env.SAMSA_CLIENT_KILL_CYCLES ?? 3);
const ACKS_PER_CYCLE = 100;
const TOPIC_CONFIG = { 'min.insync.replicas': '2' };

/** A missing tool skips the test locally and fails it in CI, as compatSuite does. */
function needs(tool: Tool): { skip: string | false } {
  return { skip: !tool.ok && !IN_CI ? tool.why : false };
}

interface Report {
  value?: string;
  partition?: number;
  offset?: number;
  error?: string | null;
  done?: boolean;
  sent?: number;
  unflushed?: number;
  client_error?: string;
  fatal?: boolean;
}

/** A producer process reporting one JSON line per delivery; stops when its stdin closes. */
class StreamingClient {
  readonly reports: Report[] = [];
  private stderr = '';
  private readonly exited: Promise<number | string>;
  readonly child: ChildProcess;

  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    streaming.add(this.child);
    let partial = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      this.reports.push(...jsonLines<Report>(lines.join('\n')));
    });
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      this.stderr = (this.stderr + c).slice(-20_000);
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        streaming.delete(this.child);
        resolve(signal ?? code ?? -1);
      }),
    );
  }

  acked(): number {
    return this.reports.filter((r) => r.offset !== undefined && r.offset >= 0 && !r.error).length;
  }

  /** Closes stdin (the client flushes and exits); kills it if that takes over `ms`. */
  async finish(ms = 150_000): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    const how = await this.exited;
    clearTimeout(timer);
    assert.equal(how, 0, `client exited with ${how}:\n${this.stderr.slice(-4000)}`);
  }

  describe(): string {
    return `${this.reports.length} reports, ${this.acked()} acked; stderr:\n${this.stderr.slice(-3000)}`;
  }
}

const streaming = new Set<ChildProcess>();

/** kcat -C of every partition from the beginning to its end; transport errors are tolerated. */
async function kcatRead(bootstrap: string, topic: string): Promise<KcatRecord[]> {
  if (!kcat.ok) throw new Error(kcat.why);
  const args = ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q'];
  const { stdout } = await run(kcat.path, args, { timeoutMs: 60_000 });
  return jsonLines<KcatRecord>(stdout);
}

/** javac of this folder's Java file against `libs`, cached by the source's hash. */
function compileFailoverProducer(libs: string): string {
  const source = join(COMPAT_DIR, 'cluster', 'FailoverProducer.java');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const classes = join(CACHE, `compat-cluster-java-${JAVA_VERSION}`, hash);
  if (!existsSync(join(classes, '.complete'))) {
    rmSync(classes, { recursive: true, force: true });
    mkdirSync(classes, { recursive: true });
    const r = spawnSync('javac', ['-nowarn', '-d', classes, '-cp', `${libs}/*`, source], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`javac failed:\n${r.stderr}`);
    mkdirSync(join(classes, '.complete'));
  }
  return `${classes}:${libs}/*`;
}

describe('third-party clients against a 3-broker cluster', { skip }, () => {
  let cluster: EtcdCluster;

  before(async () => {
    cluster = await EtcdCluster.start(3);
  });
  after(async () => {
    for (const c of streaming) c.kill('SIGKILL');
    killClients();
    await cluster?.destroy();
  });

  /** Fails with every broker's log attached, so a CI failure can be read from its output. */
  async function withLogs<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      process.stderr.write(`# broker logs:\n${cluster.logs().slice(-30_000)}\n`);
      throw err;
    }
  }

  /**
   * While `client` produces to partition 0 of `topic`: KILLS times, once ACKS_PER_CYCLE more
   * records are acknowledged and the ISR is full, SIGKILL the leader and start it again.
   */
  async function killLeaderWhileProducing(topic: string, client: StreamingClient): Promise<void> {
    for (let cycle = 0; cycle < KILLS; cycle++) {
      const target = client.acked() + ACKS_PER_CYCLE;
      const state = await until(
        `cycle ${cycle}: ${ACKS_PER_CYCLE} more acks and a full ISR (${client.describe()})`,
        async () => {
          const s = await cluster.partitionState(topic);
          return s && s.isr.length === 3 && client.acked() >= target ? s : undefined;
        },
        90_000,
      );
      const victim = cluster.node(state.leader);
      await cluster.stopNode(victim, 'SIGKILL');
      await cluster.startNode(victim);
    }
    const target = client.acked() + ACKS_PER_CYCLE;
    await until(
      `${ACKS_PER_CYCLE} acks after the last restart (${client.describe()})`,
      async () => (client.acked() >= target ? true : undefined),
      90_000,
    );
  }

  /** Every acknowledged value is at its offset; the log holds each value once, nothing else. */
  async function checkAcknowledged(topic: string, client: StreamingClient): Promise<void> {
    const reports = client.reports;
    const clientErrors = reports.filter((r) => r.client_error !== undefined);
    assert.deepEqual(
      clientErrors.filter((r) => r.fatal),
      [],
      'no fatal (idempotence) errors in the client',
    );
    const deliveries = reports.filter((r) => r.value !== undefined);
    const failed = deliveries.filter((r) => r.error);
    assert.deepEqual(failed.slice(0, 5), [], `${failed.length} deliveries failed`);
    const done = reports.find((r) => r.done);
    assert.ok(done, `no final line: ${client.describe()}`);
    assert.equal(deliveries.length, done.sent, 'a delivery report for every record sent');
    assert.equal(done.unflushed ?? 0, 0);

    const byOffset = new Map<number, string>();
    for (const d of deliveries) {
      assert.equal(d.partition, 0);
      assert.ok(!byOffset.has(d.offset!), `offset ${d.offset} acknowledged twice`);
      byOffset.set(d.offset!, d.value!);
    }
    await cluster.fullIsr(topic);
    const records = await kcatRead(cluster.bootstrap, topic);
    const log = new Map(records.map((r) => [r.offset, r.payload]));
    for (const [offset, value] of byOffset) {
      assert.equal(log.get(offset), value, `acknowledged value ${value} at offset ${offset}`);
    }
    const values = records.map((r) => r.payload);
    assert.equal(new Set(values).size, values.length, 'no value written twice (idempotence)');
    assert.equal(records.length, byOffset.size, 'nothing in the log but acknowledged records');
    process.stderr.write(
      `# ${byOffset.size} records acknowledged over ${KILLS} leader kills; ${clientErrors.length} client-level errors reported (non-fatal)\n`,
    );
  }

  test(
    'kcat produces and consumes with partition leaders on three brokers, and after a leader is killed',
    needs(kcat),
    async () => {
      await withLogs(async () => {
        const topic = 'kcat-spread';
        await cluster.createTopic(topic, 3, 3, TOPIC_CONFIG);
        const leaders = await Promise.all(
          [0, 1, 2].map(async (p) => (await cluster.partitionState(topic, p))!.leader),
        );
        assert.equal(new Set(leaders).size, 3, `leaders ${leaders} on three brokers`);
        const produce = async (from: number, count: number) => {
          const lines = Array.from({ length: count }, (_, i) => `k${from + i}:v${from + i}`);
          const args = ['-b', cluster.bootstrap, '-P', '-t', topic, '-K:', '-q'];
          args.push('-X', 'acks=all', '-X', 'enable.idempotence=true');
          args.push('-X', 'linger.ms=10', '-X', 'message.timeout.ms=60000');
          await run(kcat.ok ? kcat.path : 'kcat', args, { input: `${lines.join('\n')}\n` });
        };
        const expectAll = async (count: number) => {
          const records = await kcatRead(cluster.bootstrap, topic);
          const got = records.map((r) => `${r.key}:${r.payload}`).sort();
          const want = Array.from({ length: count }, (_, i) => `k${i}:v${i}`).sort();
          assert.deepEqual(got, want);
          for (const p of [0, 1, 2]) {
            const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
            assert.ok(offsets.length > 0, `partition ${p} got records`);
            assert.deepEqual(offsets, [...offsets.keys()], `partition ${p}: dense offsets from 0`);
          }
        };

        await produce(0, 300);
        await expectAll(300);

        for (const p of [0, 1, 2]) await cluster.fullIsr(topic, p);
        const victim = cluster.node(leaders[0]!);
        await cluster.stopNode(victim, 'SIGKILL');
        await until('a new leader of partition 0', async () => {
          const s = await cluster.partitionState(topic, 0);
          return s && s.leader !== victim.id ? s : undefined;
        });
        await expectAll(300);
        await produce(300, 100);
        await expectAll(400);
        await cluster.startNode(victim);
        for (const p of [0, 1, 2]) await cluster.fullIsr(topic, p);
        await expectAll(400);
      });
    },
  );

  test(
    'confluent-kafka: idempotent acks=all producer while the leader is SIGKILLed and restarted',
    needs(python),
    async () => {
      if (!python.ok) throw new Error(python.why);
      await withLogs(async () => {
        const topic = 'python-failover';
        await cluster.createTopic(topic, 1, 3, TOPIC_CONFIG);
        const script = join(COMPAT_DIR, 'cluster', 'failover_producer.py');
        const client = new StreamingClient(python.path, [script, cluster.bootstrap, topic]);
        try {
          await killLeaderWhileProducing(topic, client);
        } finally {
          await client.finish();
        }
        await checkAcknowledged(topic, client);
      });
    },
  );

  test(
    `Java kafka-clients ${JAVA_VERSION}: idempotent acks=all producer while the leader is SIGKILLed and restarted`,
    needs(java),
    async () => {
      if (!java.ok) throw new Error(java.why);
      await withLogs(async () => {
        const topic = 'java-failover';
        await cluster.createTopic(topic, 1, 3, TOPIC_CONFIG);
        const classpath = compileFailoverProducer(java.path);
        const client = new StreamingClient('java', [
          '-Xmx256m',
          '-XX:TieredStopAtLevel=1',
          '-XX:+UseSerialGC',
          '-Dorg.slf4j.simpleLogger.defaultLogLevel=error',
          '-cp',
          classpath,
          'FailoverProducer',
          cluster.bootstrap,
          topic,
        ]);
        try {
          await killLeaderWhileProducing(topic, client);
        } finally {
          await client.finish();
        }
        await checkAcknowledged(topic, client);
      });
    },
  );
});

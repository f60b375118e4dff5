// Third-party admin clients moving partitions and electing leaders on a 3-broker Samsa cluster
// (etcd). Java kafka-clients' AdminClient: alterPartitionReassignments carries a move out and
// describeTopics shows the new replicas and ISR; electLeaders(PREFERRED) hands leadership to the first replica and then answers
// ElectionNotNeeded, as does an UNCLEAN election for a partition that has a leader; a move onto
// a broker that cannot catch up (SIGSTOPped) is listed by listPartitionReassignments with its
// adding replica until it is cancelled, which reverts the replicas. confluent-kafka
// (librdkafka; it has no reassignment calls): elect_leaders, preferred and unclean.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Samsa } from '../../../src/client/index.js';
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
const JAVA_VERSION = (process.env.SAMSA_JAVA_CLIENT_VERSIONS ?? '4.1.2').split(/\s+/).at(-1)!;
const java = findJavaClients(JAVA_VERSION);
const python = findPython();
const TOPIC = 'java-moves';

/** A missing tool skips the test locally and fails it in CI, as compatSuite does. */
function needs(tool: Tool): { skip: string | false } {
  return { skip: !tool.ok && !IN_CI ? tool.why : false };
}

/** javac of ReassignAdmin.java against `libs`, cached by the source's hash. */
function compile(libs: string): string {
  const source = join(COMPAT_DIR, 'cluster', 'ReassignAdmin.java');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const classes = join(CACHE, `compat-cluster-java-${JAVA_VERSION}`, `reassign-${hash}`);
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

interface Described {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

describe('third-party admin clients: reassignments and leader elections', { skip }, () => {
  let cluster: EtcdCluster;

  before(async () => {
    // Long sessions: a SIGSTOPped broker stays registered while the test looks at its move.
    cluster = await EtcdCluster.start(3, { 'broker.session.timeout.ms': '20000' });
  });
  after(async () => {
    killClients();
    for (const n of cluster?.nodes.values() ?? []) n.proc?.child.kill('SIGCONT');
    await cluster?.destroy();
  });

  let classpath: string | undefined;
  async function javaAdmin(bootstrap: string, ...args: string[]) {
    if (!java.ok) throw new Error(java.why);
    classpath ??= compile(java.path);
    const { stdout } = await run('java', ['-cp', classpath, 'ReassignAdmin', bootstrap, ...args], {
      timeoutMs: 90_000,
    });
    return jsonLines<Record<string, unknown>>(stdout);
  }

  test(
    `Java kafka-clients ${JAVA_VERSION}: move, preferred election, and a cancelled move`,
    needs(java),
    async () => {
      const md = await cluster.metadata(cluster.alive()[0]!.port);
      const controller = md.controllerId ?? -1;
      // s: a broker that is not the controller (the Java admin sends these calls to the
      // controller, which must keep answering while s is stopped); a and b: the other two.
      const s = [1, 2, 3].find((id) => id !== controller)!;
      const [a, b] = [1, 2, 3].filter((id) => id !== s) as [number, number];
      const admin = new Samsa({ brokers: cluster.bootstrap.split(','), logger: 'nothing' }).admin();
      try {
        await admin.createTopics({
          topics: [{ topic: TOPIC, assignments: [{ partition: 0, replicas: [a, s] }] }],
        });
      } finally {
        await admin.close();
      }
      const all = cluster.bootstrap;

      assert.deepEqual(await javaAdmin(all, 'move', TOPIC, '0', `${b},${a}`), [{ ok: true }]);
      const moved = await until(
        'the move to finish',
        async () => {
          const ongoing = await javaAdmin(all, 'list');
          if (ongoing.length > 0) return undefined;
          const [p] = (await javaAdmin(all, 'describe', TOPIC)) as unknown as Described[];
          return p!.replicas.join() === `${b},${a}` ? p : undefined;
        },
        60_000,
      );
      assert.deepEqual([...moved.isr].sort(), [a, b].sort());
      assert.equal(moved.leader, a, 'a leader that stays a replica keeps leading');

      assert.deepEqual(await javaAdmin(all, 'elect', 'preferred', TOPIC, '0'), [{ ok: true }]);
      const [elected] = (await javaAdmin(all, 'describe', TOPIC)) as unknown as Described[];
      assert.equal(elected!.leader, b);
      assert.deepEqual(await javaAdmin(all, 'elect', 'preferred', TOPIC, '0'), [
        { error: 'ElectionNotNeededException' },
      ]);
      assert.deepEqual(await javaAdmin(all, 'elect', 'unclean', TOPIC, '0'), [
        { error: 'ElectionNotNeededException' },
      ]);
      assert.deepEqual(await javaAdmin(all, 'move', TOPIC, '0', `${b},${a},99`), [
        { error: 'InvalidReplicaAssignmentException' },
      ]);
      assert.deepEqual(await javaAdmin(all, 'cancel', TOPIC, '0'), [
        { error: 'NoReassignmentInProgressException' },
      ]);

      // A move onto a broker that cannot fetch stays in progress until cancelled.
      const stopped = cluster.node(s).proc!.child;
      const reachable = [a, b].map((id) => `127.0.0.1:${cluster.node(id).port}`).join(',');
      stopped.kill('SIGSTOP');
      try {
        assert.deepEqual(await javaAdmin(reachable, 'move', TOPIC, '0', `${b},${a},${s}`), [
          { ok: true },
        ]);
        assert.deepEqual(await javaAdmin(reachable, 'list'), [
          { topic: TOPIC, partition: 0, replicas: [b, a, s], adding: [s], removing: [] },
        ]);
        assert.deepEqual(await javaAdmin(reachable, 'cancel', TOPIC, '0'), [{ ok: true }]);
        assert.deepEqual(await javaAdmin(reachable, 'list'), []);
      } finally {
        stopped.kill('SIGCONT');
      }
      const [reverted] = (await javaAdmin(all, 'describe', TOPIC)) as unknown as Described[];
      assert.deepEqual(reverted!.replicas, [b, a]);
      assert.deepEqual([...reverted!.isr].sort(), [a, b].sort());
    },
  );

  test(
    'confluent-kafka elect_leaders: preferred elects the first replica, then is not needed',
    needs(python),
    async () => {
      if (!python.ok) throw new Error(python.why);
      const topic = 'py-elect';
      const admin = new Samsa({ brokers: cluster.bootstrap.split(','), logger: 'nothing' }).admin();
      const py = async (...args: string[]) =>
        jsonLines<Record<string, unknown>>(
          (
            await run(
              python.path,
              [join(COMPAT_DIR, 'cluster', 'elect_leaders.py'), cluster.bootstrap, ...args],
              {
                timeoutMs: 60_000,
              },
            )
          ).stdout,
        );
      try {
        await admin.createTopics({
          topics: [{ topic, assignments: [{ partition: 0, replicas: [1, 2] }] }],
        });
        // Reordering the replicas needs no copying: the preferred leader changes at once.
        await admin.alterPartitionReassignments({
          reassignments: [{ topic, partition: 0, replicas: [2, 1] }],
        });
        assert.deepEqual(await admin.listPartitionReassignments(), []);
        await until('both replicas in sync', async () => {
          const [t] = await admin.describeTopics({ topics: [topic] });
          const p = t!.partitions[0]!;
          return p.replicas.join() === '2,1' && p.isr.length === 2 ? p : undefined;
        });
        assert.deepEqual(await py('preferred', topic, '0'), [{ ok: true }]);
        const [t] = await admin.describeTopics({ topics: [topic] });
        assert.equal(t!.partitions[0]!.leader, 2);
        assert.deepEqual(await py('preferred', topic, '0'), [
          { error: 'ELECTION_NOT_NEEDED', message: 'partition 0: broker 2 already leads' },
        ]);
        assert.deepEqual(await py('unclean', topic, '0'), [
          { error: 'ELECTION_NOT_NEEDED', message: 'partition 0: broker 2 leads' },
        ]);
        // The Samsa admin client says the same.
        assert.deepEqual(await admin.electLeaders({ partitions: [{ topic, partition: 0 }] }), [
          {
            topic,
            partition: 0,
            error: 'ELECTION_NOT_NEEDED',
            message: 'partition 0: broker 2 already leads',
          },
        ]);
      } finally {
        await admin.close();
      }
    },
  );
});

// How long a 10-member consumer group takes to settle after an 11th member joins and after a
// member dies (kill -9, so only its session timeout tells the coordinator), on a `samsa broker`
// child process. Settled = the members' latest assignments cover every partition exactly once.
//   node --import tsx bench/group-bench.ts [--rounds 3] [--out bench/results/<date>-groups.md]
// Classic protocol: real KafkaJS 2.2.4 consumers (RoundRobin assignor), hosted in two child
// processes so one member can be killed. Consumer protocol (KIP-848): simulated members on the
// wire client that heartbeat at the interval the coordinator gives and apply each assignment at
// once (no client of ours or KafkaJS speaks KIP-848), so the figure is the coordinator's.
// Member-host mode (internal): --host BOOTSTRAP GROUP TOPIC COUNT SESSION_MS
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { ConsumerGroupHeartbeatApi } from '../src/protocol/messages/consumer-group-heartbeat.js';
import { WireClient } from '../test/helpers/wire-client.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const PARTITIONS = 20;
const MEMBERS = 10;
const SESSION_MS = 10_000;
const HEARTBEAT_MS = 1000;

// --- member host (child process) ------------------------------------------------------------------

async function host(
  bootstrap: string,
  group: string,
  topic: string,
  count: number,
  sessionMs: number,
) {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'bench', logLevel: logLevel.NOTHING });
  const start = async (i: number) => {
    const c = kafka.consumer({
      groupId: group,
      sessionTimeout: sessionMs,
      heartbeatInterval: HEARTBEAT_MS,
      rebalanceTimeout: 30_000,
      maxWaitTimeInMs: 100,
    });
    const id = `${process.pid}-${i}`;
    c.on(c.events.GROUP_JOIN, (e) => {
      const assigned = e.payload.memberAssignment[topic] ?? [];
      process.stdout.write(`${JSON.stringify({ id, assigned, t: Date.now() })}\n`);
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: false });
    await c.run({ eachMessage: async () => {} });
  };
  let next = 0;
  for (; next < count; next++) await start(next);
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'add') void start(next++);
  });
}

// --- broker and helpers -----------------------------------------------------------------------------

interface Broker {
  bootstrap: string;
  stop(): Promise<void>;
}

async function startBroker(overrides: Record<string, string>): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-group-bench-'));
  const args = ['--import', 'tsx', join(repo, 'src/cli/main.ts'), 'broker'];
  const all = {
    'log.dirs': dir,
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'offsets.topic.num.partitions': '5',
    ...overrides,
  };
  for (const [k, v] of Object.entries(all)) args.push('--override', `${k}=${v}`);
  const child = spawn(process.execPath, args, {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SAMSA_LOG_LEVEL: 'info' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (c: Buffer) => {
      log += c;
      const m = /ready on [^\s,]+:(\d+)/.exec(log);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`broker exited:\n${log}`)));
  });
  return {
    bootstrap: `127.0.0.1:${port}`,
    async stop() {
      await new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGKILL');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('the group did not settle');
    await sleep(5);
  }
}

/** Assignments (member -> partitions, with the time each was received) cover every partition once. */
function settledAt(
  assigned: Map<string, { partitions: number[]; t: number }>,
  members: Iterable<string>,
): number | undefined {
  const seen = new Set<number>();
  let total = 0;
  let last = 0;
  for (const m of members) {
    const a = assigned.get(m);
    if (!a || a.partitions.length === 0) return undefined;
    for (const p of a.partitions) seen.add(p);
    total += a.partitions.length;
    last = Math.max(last, a.t);
  }
  return seen.size === PARTITIONS && total === PARTITIONS ? last : undefined;
}

// --- classic protocol with KafkaJS ------------------------------------------------------------------

function spawnHost(
  bootstrap: string,
  group: string,
  topic: string,
  count: number,
  assigned: Map<string, { partitions: number[]; t: number }>,
): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--host',
      bootstrap,
      group,
      topic,
      String(count),
      String(SESSION_MS),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const e = JSON.parse(line) as { id: string; assigned: number[]; t: number };
    assigned.set(e.id, { partitions: e.assigned, t: e.t });
  });
  return child;
}

async function classicRound(
  bootstrap: string,
  topic: string,
  round: number,
): Promise<{ join: number; death: number }> {
  const group = `classic-${round}`;
  const assigned = new Map<string, { partitions: number[]; t: number }>();
  const many = spawnHost(bootstrap, group, topic, MEMBERS - 1, assigned);
  const victim = spawnHost(bootstrap, group, topic, 1, assigned);
  try {
    const ids = () => [...assigned.keys()];
    await until(() => assigned.size === MEMBERS && settledAt(assigned, ids()) !== undefined);
    await sleep(2 * HEARTBEAT_MS);
    const joinAt = Date.now();
    many.stdin!.write('add\n');
    await until(() => assigned.size === MEMBERS + 1 && (settledAt(assigned, ids()) ?? 0) > joinAt);
    const join = settledAt(assigned, ids())! - joinAt;
    await sleep(2 * HEARTBEAT_MS);
    const victimId = ids().find((id) => id.startsWith(`${victim.pid}-`))!;
    const deathAt = Date.now();
    victim.kill('SIGKILL');
    const survivors = () => ids().filter((id) => id !== victimId);
    await until(() => (settledAt(assigned, survivors()) ?? 0) > deathAt);
    const death = settledAt(assigned, survivors())! - deathAt;
    return { join, death };
  } finally {
    many.kill('SIGKILL');
    victim.kill('SIGKILL');
  }
}

// --- consumer protocol (KIP-848) with simulated members ---------------------------------------------

class SimulatedMember {
  owned: { topicId: string; partitions: number[] }[] = [];
  epoch = 0;
  t = 0;
  private stopped = false;
  private constructor(
    readonly id: string,
    private readonly client: WireClient,
    private readonly group: string,
    private readonly topic: string,
  ) {}

  static async start(
    bootstrap: string,
    id: string,
    group: string,
    topic: string,
  ): Promise<SimulatedMember> {
    const port = Number(bootstrap.split(':')[1]);
    const m = new SimulatedMember(id, await WireClient.connect(port), group, topic);
    void m.loop();
    return m;
  }

  private async loop(): Promise<void> {
    let interval = HEARTBEAT_MS;
    while (!this.stopped) {
      const joining = this.epoch === 0;
      const r = await this.client
        .request(ConsumerGroupHeartbeatApi, 1, {
          groupId: this.group,
          memberId: this.id,
          memberEpoch: this.epoch,
          instanceId: null,
          rackId: null,
          rebalanceTimeoutMs: joining ? 30_000 : -1,
          subscribedTopicNames: joining ? [this.topic] : null,
          subscribedTopicRegex: null,
          serverAssignor: null,
          topicPartitions: joining ? [] : this.owned,
        })
        .catch(() => undefined);
      if (!r || this.stopped) return;
      if (r.errorCode === 0) {
        this.epoch = r.memberEpoch;
        interval = r.heartbeatIntervalMs || interval;
        if (r.assignment) {
          this.owned = r.assignment.topicPartitions;
          this.t = Date.now();
          continue; // acknowledge at once, as a client with nothing to commit would
        }
      }
      await sleep(interval);
    }
  }

  get partitions(): number[] {
    return this.owned.flatMap((t) => t.partitions);
  }

  /** Dies: no LeaveGroup, no more heartbeats. */
  crash(): void {
    this.stopped = true;
    this.client.close();
  }
}

async function consumerRound(
  bootstrap: string,
  topic: string,
  round: number,
): Promise<{ join: number; death: number }> {
  const group = `kip848-${round}`;
  const members: SimulatedMember[] = [];
  const view = () => new Map(members.map((m) => [m.id, { partitions: m.partitions, t: m.t }]));
  try {
    for (let i = 0; i < MEMBERS; i++)
      members.push(await SimulatedMember.start(bootstrap, `r${round}-m${i}`, group, topic));
    await until(
      () =>
        settledAt(
          view(),
          members.map((m) => m.id),
        ) !== undefined,
    );
    await sleep(2 * HEARTBEAT_MS);
    const joinAt = Date.now();
    members.push(await SimulatedMember.start(bootstrap, `r${round}-m${MEMBERS}`, group, topic));
    await until(
      () =>
        (settledAt(
          view(),
          members.map((m) => m.id),
        ) ?? 0) > joinAt,
    );
    const join =
      settledAt(
        view(),
        members.map((m) => m.id),
      )! - joinAt;
    await sleep(2 * HEARTBEAT_MS);
    const victim = members.shift()!;
    const deathAt = Date.now();
    victim.crash();
    await until(
      () =>
        (settledAt(
          view(),
          members.map((m) => m.id),
        ) ?? 0) > deathAt,
    );
    const death =
      settledAt(
        view(),
        members.map((m) => m.id),
      )! - deathAt;
    return { join, death };
  } finally {
    for (const m of members) m.crash();
  }
}

// --- main -----------------------------------------------------------------------------------------

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)]} (${s.join(', ')})`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--host') {
    const [, bootstrap, group, topic, count, sessionMs] = args;
    await host(bootstrap!, group!, topic!, Number(count), Number(sessionMs));
    return;
  }
  const rounds = Number(args[args.indexOf('--rounds') + 1] || 3) || 3;
  const date = new Date().toISOString().slice(0, 10);
  const out = args.includes('--out')
    ? args[args.indexOf('--out') + 1]!
    : join(repo, 'bench', 'results', `${date}-groups.md`);
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');
  const broker = await startBroker({
    'group.initial.rebalance.delay.ms': '0',
    'group.consumer.session.timeout.ms': String(SESSION_MS),
    'group.consumer.heartbeat.interval.ms': String(HEARTBEAT_MS),
  });
  const results: Record<'classic' | 'consumer', { join: number[]; death: number[] }> = {
    classic: { join: [], death: [] },
    consumer: { join: [], death: [] },
  };
  try {
    const kafka = new Kafka({
      brokers: [broker.bootstrap],
      clientId: 'bench-admin',
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bench', numPartitions: PARTITIONS }] });
    await admin.disconnect();
    for (let r = 0; r < rounds; r++) {
      const c = await classicRound(broker.bootstrap, 'bench', r);
      results.classic.join.push(c.join);
      results.classic.death.push(c.death);
      process.stderr.write(`classic round ${r}: join ${c.join} ms, death ${c.death} ms\n`);
      const k = await consumerRound(broker.bootstrap, 'bench', r);
      results.consumer.join.push(k.join);
      results.consumer.death.push(k.death);
      process.stderr.write(`consumer round ${r}: join ${k.join} ms, death ${k.death} ms\n`);
    }
  } finally {
    await broker.stop();
  }
  const report = `# Consumer groups: time to settle, ${date}

Command: \`node --import tsx bench/group-bench.ts --rounds ${rounds}\`
Machine: ${cpus().length} vCPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}; load average at start ${load}
(the machine is shared with other engineers' builds and tests, so figures move between runs).

Setup: \`samsa broker\` child process, topic of ${PARTITIONS} partitions, a group of ${MEMBERS} members;
session timeout ${SESSION_MS} ms, heartbeat interval ${HEARTBEAT_MS} ms (classic: the KafkaJS
consumer settings; consumer protocol: group.consumer.session.timeout.ms and
group.consumer.heartbeat.interval.ms). "Settled" is the moment the last member received the
assignment that makes the members' assignments cover every partition exactly once.

- join: from starting an 11th member to settled.
- death: from kill -9 of one member (no LeaveGroup) to settled; the session timeout
  (${SESSION_MS} ms) is most of it: that is how long the coordinator waits for a silent member.

| protocol | client | join: median (all runs), ms | death: median (all runs), ms |
|---|---|---|---|
| classic | KafkaJS 2.2.4, RoundRobinAssigner | ${stats(results.classic.join)} | ${stats(results.classic.death)} |
| consumer (KIP-848) | simulated members, uniform assignor | ${stats(results.consumer.join)} | ${stats(results.consumer.death)} |

Classic: a join or death makes every member rejoin (the group learns through heartbeats, every
${HEARTBEAT_MS} ms here) and resync, so settling costs about one heartbeat interval plus two
round trips for the whole group. KIP-848: members learn the new target on their next
heartbeat; a member giving partitions up acknowledges first and its partitions move on the
receiver's next heartbeat, so a join costs up to two heartbeat intervals.
`;
  writeFileSync(out, report);
  process.stderr.write(`wrote ${out}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// KafkaJS consumer groups end to end over TCP: three members share the partitions without
// overlap, one leaves, one crashes (kill -9, no LeaveGroup) and its partitions move to the
// survivor after the session timeout; every message is consumed at least once.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Consumer, Kafka, logLevel, type Producer } from 'kafkajs';
import { type EmbeddedBroker, startBroker } from '../../../src/broker/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const TOPIC = 'orders';
const PARTITIONS = 6;
const SESSION_TIMEOUT = 4000;
let broker: EmbeddedBroker;
let kafka: Kafka;
let producer: Producer;
const children: ChildProcess[] = [];
const consumers: Consumer[] = [];

before(async () => {
  broker = await startBroker({
    config: {
      'group.initial.rebalance.delay.ms': '200',
      'group.min.session.timeout.ms': '1000',
      'offsets.topic.num.partitions': '5',
    },
  });
  kafka = new Kafka({
    brokers: [broker.bootstrap],
    clientId: 'groups-e2e',
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of consumers) await c.disconnect().catch(() => {});
  await producer?.disconnect();
  await broker?.stop();
});

let sent = 0;
async function produce(n: number): Promise<void> {
  await producer.send({
    topic: TOPIC,
    messages: Array.from({ length: n }, () => ({ key: `key-${sent}`, value: `message-${sent++}` })),
  });
}

/** What each member was last assigned, and every (partition, offset) anyone consumed. */
const assigned = new Map<string, number[]>();
const consumed = new Set<string>();

async function inProcessMember(name: string): Promise<Consumer> {
  const c = kafka.consumer({
    groupId: 'e2e',
    sessionTimeout: SESSION_TIMEOUT,
    heartbeatInterval: 300,
    rebalanceTimeout: 10_000,
    maxWaitTimeInMs: 200,
  });
  consumers.push(c);
  c.on(c.events.GROUP_JOIN, (e) => assigned.set(name, e.payload.memberAssignment[TOPIC] ?? []));
  await c.connect();
  await c.subscribe({ topic: TOPIC, fromBeginning: true });
  await c.run({
    eachMessage: async ({ partition, message }) => {
      consumed.add(`${partition}:${message.offset}`);
    },
  });
  return c;
}

function childMember(name: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(here, 'kafkajs-member.ts'),
      broker.bootstrap,
      'e2e',
      TOPIC,
      String(SESSION_TIMEOUT),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const event = JSON.parse(line) as { assigned?: number[]; consumed?: string };
    if (event.assigned) assigned.set(name, event.assigned);
    if (event.consumed) consumed.add(event.consumed);
  });
  return child;
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting until ${what}; assignments ${JSON.stringify([...assigned])}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The named members' latest assignments cover every partition exactly once. */
function partitionedAmong(names: string[]): boolean {
  const all = names.flatMap((n) => assigned.get(n) ?? []);
  return (
    names.every((n) => (assigned.get(n)?.length ?? 0) > 0) &&
    all.length === PARTITIONS &&
    new Set(all).size === PARTITIONS
  );
}

async function producedOffsets(): Promise<Set<string>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(TOPIC);
  await admin.disconnect();
  const out = new Set<string>();
  for (const e of ends) for (let o = 0; o < Number(e.high); o++) out.add(`${e.partition}:${o}`);
  return out;
}

test('three members, one leaves, one crashes: disjoint partitions, nothing lost', async (t) => {
  await produce(60);
  await inProcessMember('a');
  const b = await inProcessMember('b');
  const c = childMember('c');
  await until('three members share the partitions', () => partitionedAmong(['a', 'b', 'c']));

  await produce(60);
  await b.disconnect(); // LeaveGroup
  assigned.delete('b');
  await until('a and c share the partitions after b left', () => partitionedAmong(['a', 'c']));

  await produce(60);
  const killedAt = Date.now();
  c.kill('SIGKILL');
  assigned.delete('c');
  await until("the crashed member's partitions move to a", () => partitionedAmong(['a']));
  const moved = Date.now() - killedAt;
  t.diagnostic(
    `partitions moved ${moved} ms after the crash (session timeout ${SESSION_TIMEOUT} ms)`,
  );

  await produce(60);
  const produced = await producedOffsets();
  assert.equal(produced.size, 240);
  await until('every message is consumed at least once', () =>
    [...produced].every((k) => consumed.has(k)),
  );
});

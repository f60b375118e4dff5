// `samsa group ...` as a user runs it (spawned CLI, embedded broker): a group left by
// `samsa consume --group`, one with a live member, lag, every way to reset offsets, deletion.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EmbeddedBroker, startBroker } from '../../src/broker/index.js';
import { type Consumer, Samsa } from '../../src/client/index.js';
import { fails, json, ok, samsa, tableRows } from './cli-harness.js';

let broker: EmbeddedBroker;
let env: Record<string, string>;
let client: Samsa;
let live: Consumer | undefined;
let midpoint = 0;
before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.initial.rebalance.delay.ms': '0' } });
  env = { SAMSA_BOOTSTRAP: broker.bootstrap };
  client = new Samsa({ brokers: [broker.bootstrap], logger: 'error' });
  const admin = client.admin();
  await admin.createTopics({
    topics: [
      { topic: 'events', numPartitions: 1 },
      { topic: 'busy', numPartitions: 2 },
    ],
  });
  await admin.close();
  const producer = client.producer();
  await producer.send({
    topic: 'events',
    messages: Array.from({ length: 5 }, (_, i) => ({ value: `e${i}` })),
  });
  await new Promise((r) => setTimeout(r, 20));
  midpoint = Date.now();
  await new Promise((r) => setTimeout(r, 20));
  await producer.send({
    topic: 'events',
    messages: Array.from({ length: 5 }, (_, i) => ({ value: `e${i + 5}` })),
  });
  await producer.close();
});
after(async () => {
  await live?.close().catch(() => undefined);
  await broker?.stop();
});

const run = (...args: string[]) => samsa(args, { env });

interface Described {
  groupId: string;
  state: string;
  protocol: string;
  members: {
    memberId: string;
    clientId: string;
    assignment: { topic: string; partition: number }[];
  }[];
  offsets: {
    topic: string;
    partition: number;
    currentOffset: number | null;
    logEndOffset: number;
    lag: number | null;
    memberId: string | null;
  }[];
  totalLag: number;
}
interface Reset {
  groupId: string;
  executed: boolean;
  offsets: { topic: string; partition: number; previousOffset: number | null; newOffset: number }[];
}

const committed = async (group: string) =>
  json<Described>(await run('group', 'describe', group, '--json')).offsets.map(
    (o) => o.currentOffset,
  );

test('a group left by consume --group: list, describe with lag', async () => {
  ok(await run('consume', 'events', '--group', 'audit', '--from-beginning', '-n', '4'));
  const groups = json<{ groupId: string; state: string; members: number; protocolType: string }[]>(
    await run('group', 'list', '--json'),
  );
  assert.deepEqual(
    groups.find((g) => g.groupId === 'audit'),
    { groupId: 'audit', state: 'Empty', protocolType: 'consumer', members: 0 },
  );
  const rows = tableRows(ok(await run('group', 'list')).stdout);
  assert.deepEqual(rows[0], ['GROUP', 'STATE', 'MEMBERS', 'PROTOCOL-TYPE']);
  assert.deepEqual(
    rows.find((r) => r[0] === 'audit'),
    ['audit', 'Empty', '0', 'consumer'],
  );

  const d = json<Described>(await run('group', 'describe', 'audit', '--json'));
  assert.equal(d.state, 'Empty');
  assert.deepEqual(d.offsets, [
    {
      topic: 'events',
      partition: 0,
      currentOffset: 4,
      logEndOffset: 10,
      lag: 6,
      memberId: null,
      clientId: null,
      host: null,
    },
  ]);
  assert.equal(d.totalLag, 6);
  const text = ok(await run('group', 'describe', 'audit')).stdout;
  assert.match(text, /Group: audit +State: Empty .*Total lag: 6/);
  const table = tableRows(text.split('\n').slice(1).join('\n'));
  assert.deepEqual(table[0], [
    'TOPIC',
    'PARTITION',
    'CURRENT-OFFSET',
    'LOG-END-OFFSET',
    'LAG',
    'CONSUMER-ID',
    'HOST',
    'CLIENT-ID',
  ]);
  assert.deepEqual(table[1], ['events', '0', '4', '10', '6', '-', '-', '-']);
});

test('reset-offsets: dry run by default, then each target with --execute, clamped to the log', async () => {
  const dry = json<Reset>(
    await run('group', 'reset-offsets', 'audit', '--topic', 'events', '--to-earliest', '--json'),
  );
  assert.deepEqual(dry, {
    groupId: 'audit',
    executed: false,
    offsets: [{ topic: 'events', partition: 0, previousOffset: 4, newOffset: 0 }],
  });
  assert.deepEqual(await committed('audit'), [4]);
  const dryText = ok(
    await run('group', 'reset-offsets', 'audit', '--topic', 'events', '--to-latest'),
  );
  assert.match(dryText.stderr, /Dry run: nothing changed/);

  const reset = async (...how: string[]) =>
    json<Reset>(
      await run(
        'group',
        'reset-offsets',
        'audit',
        '--topic',
        'events',
        ...how,
        '--execute',
        '--json',
      ),
    ).offsets[0]!.newOffset;
  assert.equal(await reset('--to-earliest'), 0);
  assert.deepEqual(await committed('audit'), [0]);
  assert.equal(await reset('--to-offset', '7'), 7);
  assert.equal(await reset('--shift-by', '-2'), 5);
  assert.equal(await reset('--shift-by', '-100'), 0);
  assert.equal(await reset('--to-offset', '1000'), 10);
  assert.equal(await reset('--to-datetime', String(midpoint)), 5);
  assert.equal(await reset('--to-datetime', new Date(Date.now() + 3_600_000).toISOString()), 10);
  assert.equal(await reset('--to-latest'), 10);
  assert.deepEqual(await committed('audit'), [10]);
  // The consumer resumes from a reset offset.
  await reset('--to-offset', '8');
  const c = ok(await run('consume', 'events', '--group', 'audit', '-n', '2'));
  assert.equal(c.stdout, 'e8\ne9\n');
});

test('a group with a live member: describe shows the owner; reset and delete refuse', async () => {
  let assigned!: () => void;
  const isAssigned = new Promise<void>((r) => {
    assigned = r;
  });
  live = client.consumer({
    groupId: 'workers',
    sessionTimeoutMs: 10_000,
    onPartitionsAssigned: (tps) => {
      if (tps.length > 0) assigned();
    },
  });
  await live.subscribe({ topics: ['busy'], fromBeginning: true });
  const reading = live.run({ eachMessage: () => undefined });
  await isAssigned;
  const d = json<Described>(await run('group', 'describe', 'workers', '--json'));
  assert.equal(d.state, 'Stable');
  assert.equal(d.members.length, 1);
  assert.deepEqual(d.members[0]!.assignment.map((a) => `${a.topic}/${a.partition}`).sort(), [
    'busy/0',
    'busy/1',
  ]);
  assert.ok(
    d.offsets.length === 2 && d.offsets.every((o) => o.memberId === d.members[0]!.memberId),
  );
  fails(
    await run('group', 'reset-offsets', 'workers', '--topic', 'busy', '--to-earliest', '--execute'),
    1,
    /group 'workers' has 1 active member.*stop its consumers first/,
  );
  fails(await run('group', 'delete', 'workers'), 1, /NON_EMPTY_GROUP/);
  await live.close();
  await reading;
  live = undefined;
});

test('delete removes an empty group; unknown groups and bad usage are one line', async () => {
  assert.deepEqual(json(await run('group', 'delete', 'audit', '--json')), { deleted: ['audit'] });
  const groups = json<{ groupId: string }[]>(await run('group', 'list', '--json'));
  assert.ok(!groups.some((g) => g.groupId === 'audit'));
  fails(await run('group', 'describe', 'audit'), 1, /group 'audit' does not exist/);
  fails(await run('group', 'delete', 'never-was'), 1, /GROUP_ID_NOT_FOUND|does not exist/);
  fails(
    await run('group', 'reset-offsets', 'g', '--topic', 'events'),
    2,
    /exactly one of --to-earliest/,
  );
  fails(
    await run('group', 'reset-offsets', 'g', '--to-latest'),
    2,
    /--topic TOPIC .* or --all-topics/,
  );
  fails(
    await run('group', 'reset-offsets', 'g', '--topic', 'events', '--to-offset', 'x'),
    2,
    /--to-offset expects a whole number/,
  );
  fails(await run('group', 'describe'), 2, /needs GROUP/);
});

// `samsa topic ...` and `samsa cluster info` as a user runs them: a spawned CLI against an
// embedded broker, text and --json output, and the failures a user can cause.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EmbeddedBroker, startBroker } from '../../src/broker/index.js';
import { fails, json, ok, samsa, tableRows } from './cli-harness.js';

let broker: EmbeddedBroker;
let env: Record<string, string>;
before(async () => {
  broker = await startBroker({ port: 0 });
  env = { SAMSA_BOOTSTRAP: broker.bootstrap };
});
after(() => broker?.stop());

const run = (...args: string[]) => samsa(args, { env });

interface Described {
  topic: string;
  replicationFactor: number;
  configs: Record<string, string>;
  partitions: { partition: number; leader: number; isr: number[]; highWatermark: number }[];
}

test('create, list, describe, alter-config, delete', async () => {
  const created = ok(
    await run(
      'topic',
      'create',
      'orders',
      '--partitions',
      '3',
      '--config',
      'retention.ms=86400000',
    ),
  );
  assert.match(created.stdout, /Created topic 'orders' \(3 partitions, replication factor 1\)/);

  const rows = tableRows(ok(await run('topic', 'list')).stdout);
  assert.deepEqual(rows[0], ['TOPIC', 'PARTITIONS', 'REPLICATION-FACTOR']);
  assert.deepEqual(
    rows.find((r) => r[0] === 'orders'),
    ['orders', '3', '1'],
  );
  const listed = json<{ topic: string; partitions: number; internal: boolean }[]>(
    await run('topic', 'list', '--json'),
  );
  assert.deepEqual(
    listed.find((t) => t.topic === 'orders'),
    { topic: 'orders', partitions: 3, replicationFactor: 1, internal: false },
  );

  const text = ok(await run('topic', 'describe', 'orders')).stdout;
  assert.match(text, /Topic: orders .*Partitions: 3 .*Replication factor: 1/);
  assert.match(text, /Configs: retention\.ms=86400000/);
  assert.match(text, /PARTITION +LEADER +REPLICAS +ISR +LOG-START-OFFSET +HIGH-WATERMARK/);
  const [d] = json<Described[]>(await run('topic', 'describe', 'orders', '--json'));
  assert.equal(d!.topic, 'orders');
  assert.deepEqual(
    d!.partitions.map((p) => [p.partition, p.leader, p.isr, p.highWatermark]),
    [0, 1, 2].map((p) => [p, 1, [1], 0]),
  );
  assert.deepEqual(d!.configs, { 'retention.ms': '86400000' });

  const altered = ok(
    await run(
      'topic',
      'alter-config',
      'orders',
      '--set',
      'cleanup.policy=compact',
      '--delete',
      'retention.ms',
    ),
  );
  assert.match(altered.stdout, /cleanup\.policy=compact/);
  const [after2] = json<Described[]>(await run('topic', 'describe', 'orders', '--json'));
  assert.deepEqual(after2!.configs, { 'cleanup.policy': 'compact' });

  assert.deepEqual(json(await run('topic', 'delete', 'orders', '--json')), { deleted: ['orders'] });
  const names = json<{ topic: string }[]>(await run('topic', 'list', '--json')).map((t) => t.topic);
  assert.ok(!names.includes('orders'));
});

test('create --if-not-exists and delete --if-exists are idempotent; without them, one-line errors', async () => {
  ok(await run('topic', 'create', 'twice', '--partitions', '1'));
  fails(await run('topic', 'create', 'twice'), 1, /'twice' already exists.*TOPIC_ALREADY_EXISTS/);
  assert.deepEqual(json(await run('topic', 'create', 'twice', '--if-not-exists', '--json')), {
    topic: 'twice',
    created: false,
    partitions: 1,
    replicationFactor: 1,
  });
  ok(await run('topic', 'delete', 'twice'));
  fails(await run('topic', 'delete', 'twice'), 1, /'twice'.*UNKNOWN_TOPIC_OR_PARTITION/);
  assert.deepEqual(json(await run('topic', 'delete', 'twice', '--if-exists', '--json')), {
    deleted: [],
  });
});

test('a config the broker refuses, an unknown topic and bad usage are one line each', async () => {
  fails(
    await run('topic', 'create', 'bad-config', '--config', 'cleanup.policy=sometimes'),
    1,
    /cleanup\.policy/,
  );
  fails(await run('topic', 'describe', 'missing'), 1, /topic 'missing' does not exist/);
  fails(
    await run('topic', 'alter-config', 'missing', '--set', 'retention.ms=1'),
    1,
    /'missing' does not exist/,
  );
  fails(await run('topic', 'alter-config', 'x'), 2, /needs --set key=value or --delete key/);
  fails(
    await run('topic', 'create', 'x', '--partitions', 'three'),
    2,
    /--partitions expects a whole number, got 'three'/,
  );
  fails(
    await run('topic', 'create', 'x', '--partitions', '0'),
    2,
    /--partitions must be at least 1/,
  );
  fails(await run('topic', 'create', 'x', '--config', 'novalue'), 2, /--config expects key=value/);
  fails(await run('topic', 'create'), 2, /needs TOPIC/);
  fails(await run('topic', 'frobnicate'), 2, /unknown subcommand 'topic frobnicate'/);
});

test('cluster info: id, controller and brokers, as text and JSON', async () => {
  ok(await run('topic', 'create', 'counted', '--partitions', '2'));
  const info = json<{
    clusterId: string;
    controllerId: number;
    brokers: { nodeId: number; host: string; port: number }[];
    topics: number;
    partitions: number;
  }>(await run('cluster', 'info', '--json'));
  assert.equal(info.clusterId, broker.broker.clusterId);
  assert.equal(info.controllerId, 1);
  assert.deepEqual(
    info.brokers.map((b) => [b.nodeId, b.host, b.port]),
    [[1, '127.0.0.1', broker.port]],
  );
  assert.ok(info.topics >= 1 && info.partitions >= 2);
  const rows = tableRows(ok(await run('cluster', 'info')).stdout);
  assert.match(rows[0]!.join(' '), new RegExp(`Cluster: ${broker.broker.clusterId}`));
  assert.deepEqual(rows[1], ['BROKER', 'HOST', 'PORT', 'RACK', 'ROLE']);
  assert.deepEqual(rows[2], ['1', '127.0.0.1', String(broker.port), '-', 'controller']);
});

// `samsa perf produce|consume` as the bench runner drives it (spawned CLI, embedded broker): Kafka's
// perf-test flags, the summary line, --json, progress lines when stderr is not a terminal.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EmbeddedBroker, startBroker } from '../../src/broker/index.js';
import { Samsa } from '../../src/client/index.js';
import { fails, json, ok, samsa } from './cli-harness.js';

let broker: EmbeddedBroker;
let env: Record<string, string>;
before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.initial.rebalance.delay.ms': '0' } });
  env = { SAMSA_BOOTSTRAP: broker.bootstrap };
});
after(() => broker?.stop());

const run = (...args: string[]) => samsa(args, { env });

interface Latency {
  avg: number;
  max: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
}

function checkLatency(l: Latency): void {
  for (const v of Object.values(l)) assert.ok(Number.isFinite(v) && v >= 0, JSON.stringify(l));
  assert.ok(
    l.p50 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max,
    JSON.stringify(l),
  );
}

test('perf produce --json: creates the topic with --partitions and sends every record', async () => {
  const r = json<{
    topic: string;
    records: number;
    recordSize: number;
    recordsPerSec: number;
    mbPerSec: number;
    latencyMs: Latency;
    interrupted: boolean;
  }>(
    await run(
      'perf',
      'produce',
      '--topic',
      'load',
      '--num-records',
      '3000',
      '--record-size',
      '200',
      '--throughput',
      '-1',
      '--acks',
      '1',
      '--partitions',
      '2',
      '--compression',
      'lz4',
      '--json',
    ),
  );
  assert.equal(r.records, 3000);
  assert.equal(r.recordSize, 200);
  assert.equal(r.interrupted, false);
  assert.ok(r.recordsPerSec > 0 && r.mbPerSec > 0);
  checkLatency(r.latencyMs);
  const admin = new Samsa({ brokers: [broker.bootstrap], logger: 'error' }).admin();
  const ends = await admin.listOffsets({ topic: 'load' });
  await admin.close();
  assert.equal(ends.length, 2);
  assert.equal(
    ends.reduce((n, e) => n + e.offset, 0),
    3000,
  );
});

test('perf produce: Kafka-style summary, throttled by --throughput, progress lines on stderr', async () => {
  const r = ok(
    await run(
      'perf',
      'produce',
      '--topic',
      'paced',
      '--partitions',
      '1',
      '--num-records',
      '150',
      '--record-size',
      '10',
      '--throughput',
      '300',
      '--reporting-interval',
      '100',
      '--producer-props',
      'linger.ms=0',
      '--producer-props',
      'acks=all',
    ),
  );
  assert.match(
    r.stdout,
    /^150 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, [\d.]+ ms 50th, [\d.]+ ms 95th, [\d.]+ ms 99th, [\d.]+ ms 99\.9th\.\n$/,
  );
  // 150 records at 300/s take about half a second: several 100 ms progress lines.
  assert.match(r.stderr, /^\d+ records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\)/m);
});

test('perf consume: reads N records, alone or in a group, and fails on --timeout', async () => {
  const alone = json<{
    records: number;
    bytes: number;
    recordsPerSec: number;
    endToEndLatencyMs: Latency;
    outcome: string;
  }>(await run('perf', 'consume', '--topic', 'load', '--messages', '3000', '--json'));
  assert.equal(alone.records, 3000);
  assert.equal(alone.bytes, 3000 * 200);
  assert.equal(alone.outcome, 'done');
  checkLatency(alone.endToEndLatencyMs);
  const grouped = ok(
    await run(
      'perf',
      'consume',
      '--topic',
      'load',
      '--num-records',
      '100',
      '--group',
      'perf-readers',
    ),
  );
  assert.match(grouped.stdout, /^100 records consumed, [\d.]+ records\/sec \([\d.]+ MB\/sec\)/);
  const short = await run(
    'perf',
    'consume',
    '--topic',
    'load',
    '--num-records',
    '999999',
    '--timeout',
    '500',
    '--json',
  );
  assert.equal(short.code, 1);
  assert.equal(JSON.parse(short.stdout).records, 3000);
  assert.match(
    short.stderr,
    /^samsa: no record for 500 ms; consumed 3000 of 999999 \(see --timeout\)\n$/,
  );
});

test('perf: bad usage and unknown topics are one line', async () => {
  fails(
    await run('perf', 'produce', '--topic', 't', '--record-size', '1'),
    2,
    /needs --num-records/,
  );
  fails(
    await run('perf', 'produce', '--num-records', '1', '--record-size', '1'),
    2,
    /needs --topic/,
  );
  fails(
    await run(
      'perf',
      'produce',
      '--topic',
      't',
      '--num-records',
      '1',
      '--record-size',
      '1',
      '--throughput',
      '0',
    ),
    2,
    /--throughput must be -1 or at least 1/,
  );
  fails(
    await run(
      'perf',
      'produce',
      '--topic',
      't',
      '--num-records',
      '1',
      '--record-size',
      '1',
      '--producer-props',
      'magic=1',
    ),
    2,
    /'magic' is not supported/,
  );
  fails(
    await run('perf', 'produce', '--topic', 'absent', '--num-records', '1', '--record-size', '1'),
    1,
    /'absent' does not exist \(add --partitions N/,
  );
  fails(
    await run('perf', 'consume', '--topic', 'absent', '--num-records', '1'),
    1,
    /topic 'absent' does not exist/,
  );
  fails(await run('perf', 'stress'), 2, /unknown subcommand 'perf stress'/);
  const help = ok(await run('perf', '--help')).stdout;
  for (const flag of [
    '--topic',
    '--num-records',
    '--record-size',
    '--throughput',
    '--acks',
    '--compression',
    '--partitions',
    '--messages',
    '--json',
  ]) {
    assert.ok(help.includes(flag), `perf --help documents ${flag}`);
  }
});

// `samsa produce` and `samsa consume` as a user runs them (spawned CLI, embedded broker): keys,
// headers, files, every way to choose where to start, groups, output formats, and the failures.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type EmbeddedBroker, startBroker } from '../../src/broker/index.js';
import { Samsa } from '../../src/client/index.js';
import { fails, json, ok, samsa } from './cli-harness.js';

let broker: EmbeddedBroker;
let env: Record<string, string>;
let dir: string;
let client: Samsa;
before(async () => {
  broker = await startBroker({ port: 0 });
  env = { SAMSA_BOOTSTRAP: broker.bootstrap };
  dir = mkdtempSync(join(tmpdir(), 'samsa-cli-'));
  client = new Samsa({ brokers: [broker.bootstrap], logger: 'error' });
  const admin = client.admin();
  await admin.createTopics({
    topics: ['lines', 'keyed', 'file', 'times', 'tail', 'grouped'].map((topic) => ({
      topic,
      numPartitions: topic === 'keyed' ? 3 : 1,
    })),
  });
  await admin.close();
});
after(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[], input?: string) => samsa(args, { env, input });

interface Line {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: { key: string; value: string | null }[];
}
const jsonLines = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Line);

test('lines from stdin become records; consume prints their values from the beginning', async () => {
  const p = ok(await run(['produce', 'lines'], 'one\ntwo\nthree\n'));
  assert.match(p.stdout, /Produced 3 records to 'lines' partition 0, offsets 0-2\./);
  const c = ok(await run(['consume', 'lines', '--from-beginning', '-n', '3']));
  assert.equal(c.stdout, 'one\ntwo\nthree\n');
  assert.equal(c.stderr, 'Consumed 3 records.\n');
  // From an offset, through a template with escapes.
  const t = ok(
    await run([
      'consume',
      'lines',
      '--offset',
      '1',
      '-n',
      '2',
      '--format',
      '{partition}\\t{offset}\\t{value}',
    ]),
  );
  assert.equal(t.stdout, '0\t1\ttwo\n0\t2\tthree\n');
});

test('key separator and headers; JSON lines carry key, value, headers and position', async () => {
  const input = 'customer-1:order A\ncustomer-2:order:B\ncustomer-1:order C\n';
  const summary = json<{
    topic: string;
    records: number;
    partitions: { partition: number; records: number }[];
  }>(
    await run(
      ['produce', 'keyed', '--key-separator', ':', '-H', 'source=cli', '-H', 'trace=42', '--json'],
      input,
    ),
  );
  assert.equal(summary.records, 3);
  assert.equal(
    summary.partitions.reduce((n, p) => n + p.records, 0),
    3,
  );
  const got = jsonLines(
    ok(await run(['consume', 'keyed', '--from-beginning', '-n', '3', '--json'])).stdout,
  );
  assert.equal(got.length, 3);
  const byValue = new Map(got.map((m) => [m.value, m]));
  assert.deepEqual([...byValue.keys()].sort(), ['order A', 'order C', 'order:B']);
  assert.equal(byValue.get('order:B')!.key, 'customer-2');
  // Same key, same partition, in order.
  const a = byValue.get('order A')!;
  const c = byValue.get('order C')!;
  assert.equal(a.partition, c.partition);
  assert.ok(a.offset < c.offset);
  for (const m of got) {
    assert.equal(m.topic, 'keyed');
    assert.deepEqual(m.headers, [
      { key: 'source', value: 'cli' },
      { key: 'trace', value: '42' },
    ]);
    assert.ok(Math.abs(m.timestamp - Date.now()) < 600_000);
  }
  // --partition reads only that partition.
  const only = jsonLines(
    ok(
      await run([
        'consume',
        'keyed',
        '-p',
        String(a.partition),
        '--from-beginning',
        '--timeout-ms',
        '1500',
        '--json',
      ]),
    ).stdout,
  );
  assert.ok(only.length >= 2 && only.every((m) => m.partition === a.partition));
  // Base64 shows bytes safely.
  const b64 = ok(
    await run([
      'consume',
      'keyed',
      '-p',
      String(a.partition),
      '--from-beginning',
      '-n',
      '1',
      '--format',
      '{key}',
      '--encoding',
      'base64',
    ]),
  );
  assert.equal(Buffer.from(b64.stdout.trim(), 'base64').toString(), 'customer-1');
});

test('--file sends every line of a file, --partition pins them', async () => {
  const path = join(dir, 'records.txt');
  writeFileSync(path, Array.from({ length: 1200 }, (_, i) => `record-${i}`).join('\n'));
  const p = json<{
    records: number;
    partitions: { partition: number; firstOffset: number; lastOffset: number }[];
  }>(await run(['produce', 'file', '--file', path, '-p', '0', '--json']));
  assert.deepEqual(p, {
    topic: 'file',
    records: 1200,
    partitions: [{ partition: 0, records: 1200, firstOffset: 0, lastOffset: 1199 }],
  });
  const c = ok(
    await run(['consume', 'file', '--offset', '1195', '-n', '5', '--format', '{offset}={value}']),
  );
  assert.equal(
    c.stdout,
    '1195=record-1195\n1196=record-1196\n1197=record-1197\n1198=record-1198\n1199=record-1199\n',
  );
});

test('--from-timestamp starts at the first record at or after the time', async () => {
  ok(await run(['produce', 'times'], 'old-1\nold-2\n'));
  await new Promise((r) => setTimeout(r, 50));
  const since = Date.now();
  await new Promise((r) => setTimeout(r, 50));
  ok(await run(['produce', 'times'], 'new-1\nnew-2\n'));
  const c = ok(
    await run(['consume', 'times', '--from-timestamp', String(since), '--timeout-ms', '1500']),
  );
  assert.equal(c.stdout, 'new-1\nnew-2\n');
  const iso = ok(
    await run(['consume', 'times', '--from-timestamp', new Date(since).toISOString(), '-n', '1']),
  );
  assert.equal(iso.stdout, 'new-1\n');
});

test('without a start option, consume waits for new records only', async () => {
  const producer = client.producer();
  await producer.send({ topic: 'tail', messages: [{ value: 'before' }] });
  const consuming = run(['consume', 'tail', '-n', '1']);
  // Keep producing until the consumer (which starts at the end) has seen one and exited.
  let done = false;
  void consuming.finally(() => {
    done = true;
  });
  for (let i = 0; !done && i < 200; i++) {
    await producer.send({ topic: 'tail', messages: [{ value: 'after' }] });
    await new Promise((r) => setTimeout(r, 250));
  }
  await producer.close();
  const c = ok(await consuming);
  assert.equal(c.stdout, 'after\n');
  // And an idle timeout ends a wait that gets nothing.
  const idle = ok(await run(['consume', 'tail', '--timeout-ms', '800']));
  assert.equal(idle.stdout, '');
  assert.equal(idle.stderr, 'Consumed 0 records.\n');
});

test('with --group, a second run continues where the first one stopped', async () => {
  ok(await run(['produce', 'grouped'], 'g0\ng1\ng2\ng3\ng4\n'));
  const first = ok(
    await run(['consume', 'grouped', '--group', 'readers', '--from-beginning', '-n', '3']),
  );
  assert.equal(first.stdout, 'g0\ng1\ng2\n');
  const second = ok(
    await run([
      'consume',
      'grouped',
      '--group',
      'readers',
      '-n',
      '2',
      '--format',
      '{offset} {value}',
    ]),
  );
  assert.equal(second.stdout, '3 g3\n4 g4\n');
});

test('failures: unknown topic, missing file, bad lines, bad flags', async () => {
  fails(await run(['produce', 'nope'], 'x\n'), 1, /topic 'nope' does not exist/);
  fails(await run(['consume', 'nope', '-n', '1']), 1, /topic 'nope' does not exist/);
  fails(
    await run(['produce', 'lines', '--file', join(dir, 'absent.txt')]),
    1,
    /cannot read .*absent\.txt: no such file/,
  );
  fails(
    await run(['produce', 'lines', '-k', ':'], 'a:b\nnokey\n'),
    1,
    /line 2 has no key separator ':'/,
  );
  fails(await run(['produce', 'lines', '-p', '5'], 'x\n'), 1, /no partition 5 \(it has 1\)/);
  fails(await run(['produce', 'lines', '--acks', '2']), 2, /--acks must be one of 0, 1, -1, all/);
  fails(await run(['produce', 'lines', '--header', 'novalue']), 2, /--header expects key=value/);
  fails(await run(['consume', 'lines', '-n', 'ten']), 2, /--max-messages expects a whole number/);
  fails(await run(['consume', 'lines', '--offset', '-3']), 2, /--offset must be at least 0/);
  fails(
    await run(['consume', 'lines', '--from-timestamp', 'yesterday']),
    2,
    /--from-timestamp expects/,
  );
  fails(await run(['consume', 'lines', '--group', 'g', '--offset', '1']), 2, /group reset-offsets/);
  fails(await run(['consume', 'lines', '--from-beginning', '--offset', '1']), 2, /only one of/);
  fails(await run(['consume', 'lines', '--format', '{nope}']), 2, /unknown placeholder \{nope\}/);
  fails(await run(['consume']), 2, /needs TOPIC/);
});

// The benchmark runner's pieces, without running a benchmark (no Java, no broker): option
// parsing, the plans, the tool-output parsers, profile summaries, and the report and charts
// rendered from fixed figures, plus the real entry point re-rendering a saved results file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  parseConsumerPerformance,
  parseEndToEndLatency,
  parseProducerPerformance,
  payloadFile,
} from '../../bench/lib/generators.js';
import { NullLog, serve } from '../../bench/lib/null-broker.js';
import { makePlan, PHASES, parseOptions } from '../../bench/lib/options.js';
import { processCpuSeconds, readMemory, reapedChildrenCpuSeconds } from '../../bench/lib/proc.js';
import { areaOf, summarizeProfile } from '../../bench/lib/profile.js';
import {
  ANALYSIS_END,
  ANALYSIS_START,
  cpuPerGb,
  goals,
  pairs,
  renderReport,
} from '../../bench/lib/report.js';
import { barChart } from '../../bench/lib/svg.js';
import {
  type BenchResults,
  emptyResults,
  type ThroughputRow,
  type Workload,
} from '../../bench/lib/types.js';
import { Samsa } from '../../src/client/index.js';
import { FetchApi } from '../../src/protocol/messages/fetch.js';
import { buildRecordBatch } from '../../src/protocol/records/builder.js';
import { fetchRequest } from '../helpers/fetch-request.js';
import { WireClient } from '../helpers/wire-client.js';

const root = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'samsa-bench-smoke-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('options', () => {
  test('defaults run every phase of the full plan with the compiled build', () => {
    const o = parseOptions([]);
    assert.equal(o.quick, false);
    assert.equal(o.samsa, 'dist');
    assert.equal(o.build, true);
    assert.deepEqual([...o.phases], [...PHASES]);
  });

  test('--quick, --only, --skip, --samsa and --name', () => {
    assert.equal(parseOptions(['--quick']).quick, true);
    assert.deepEqual(
      [...parseOptions(['--only', 'produce,latency']).phases],
      ['produce', 'latency'],
    );
    const skipped = parseOptions(['--skip', 'profile']).phases;
    assert.equal(skipped.has('profile'), false);
    assert.equal(skipped.has('produce'), true);
    assert.equal(parseOptions(['--samsa', 'tsx']).samsa, 'tsx');
    assert.equal(parseOptions(['--name', 'x']).name, 'x');
    assert.equal(parseOptions(['--no-build']).build, false);
  });

  test('refuses unknown options, phases and missing values', () => {
    assert.throws(() => parseOptions(['--fast']), /unknown option/);
    assert.throws(() => parseOptions(['--only', 'everything']), /unknown phase/);
    assert.throws(() => parseOptions(['--out']), /needs a value/);
    assert.throws(() => parseOptions(['--samsa', 'bun']), /dist or tsx/);
  });

  test('the full plan covers the issue matrix; quick is a small subset', () => {
    const full = makePlan(false);
    assert.equal(full.produce.length, 16);
    for (const key of ['size', 'acks', 'partitions', 'compression'] as const) {
      assert.equal(new Set(full.produce.map((w) => w[key])).size, 2, key);
    }
    assert.equal(full.e2eRate, 10_000);
    const quick = makePlan(true);
    assert.ok(quick.produce.length < full.produce.length);
    assert.ok(quick.records(quick.produce[0]!) < full.records(quick.produce[0]!));
  });
});

describe('tool output parsers', () => {
  test('ProducerPerformance summary', () => {
    const m = parseProducerPerformance(
      '20000 records sent, 9990.0 records/sec (9.76 MB/sec), 12.5 ms avg latency, 301.00 ms max latency.\n' +
        '250000 records sent, 50000.000000 records/sec (48.83 MB/sec), 20.35 ms avg latency, 400.00 ms max latency, 15 ms 50th, 60 ms 95th, 90 ms 99th, 150 ms 99.9th.\n',
    );
    assert.ok(m);
    assert.equal(m.records, 250_000);
    assert.equal(m.seconds, 5);
    assert.deepEqual(m.latency, { avg: 20.35, max: 400, p50: 15, p99: 90, p999: 150 });
    assert.equal(parseProducerPerformance('nothing here'), undefined);
  });

  test('ConsumerPerformance CSV uses the fetch time', () => {
    const m = parseConsumerPerformance(
      '2026-11-25 09:00:00:000, 2026-11-25 09:00:03:000, 244.1406, 81.3802, 250000, 83333.3333, 500, 2500, 97.6562, 100000.0000\n',
    );
    assert.deepEqual(m, { records: 250_000, seconds: 2.5 });
    assert.equal(parseConsumerPerformance('WARNING: something'), undefined);
  });

  test('EndToEndLatency summary', () => {
    const l = parseEndToEndLatency(
      '0\t12.5\nAvg latency: 1.2345 ms\nPercentiles: 50th = 1, 99th = 4, 99.9th = 9\n',
    );
    assert.deepEqual(l, { avg: 1.2345, p50: 1, p99: 4, p999: 9 });
  });
});

describe('profile summary', () => {
  test('self time per function and area, idle left out, window respected', () => {
    const profile = {
      nodes: [
        {
          id: 1,
          callFrame: { functionName: '(root)', url: '', lineNumber: -1 },
          children: [2, 3, 4],
        },
        {
          id: 2,
          callFrame: {
            functionName: 'append',
            url: 'file:///x/dist/storage/log.js',
            lineNumber: 9,
          },
        },
        { id: 3, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
        { id: 4, callFrame: { functionName: 'writeBuffer', url: '', lineNumber: -1 } },
      ],
      samples: [2, 2, 4, 3, 2],
      timeDeltas: [1000, 1000, 2000, 4000, 1000],
      startTime: 0,
      endTime: 9000,
    };
    const path = join(tmp, 'p.cpuprofile');
    writeFileSync(path, JSON.stringify(profile));
    const s = summarizeProfile(path);
    // Deltas are capped at twice the median (1 ms): the 4 ms idle sample counts 2 ms.
    assert.equal(s.totalMs, 7);
    assert.ok(Math.abs(s.idlePct - 28.57) < 0.01);
    assert.equal(s.top[0]!.name, 'append');
    assert.equal(s.top[0]!.selfMs, 3);
    assert.equal(s.top[0]!.location, 'dist/storage/log.js:10');
    assert.equal(s.byArea.find((a) => a.name === '(native / V8 builtins)')!.selfMs, 2);
    const windowed = summarizeProfile(path, { fromUs: 1500, toUs: 4000 });
    assert.equal(windowed.totalMs, 3);
    assert.equal(windowed.top[0]!.name, 'writeBuffer');
    assert.equal(
      areaOf('file:///a/node_modules/@node-rs/crc32/index.js', 'crc32c'),
      'npm:@node-rs/crc32',
    );
  });
});

test('readMemory reads VmRSS and VmHWM of a live process', () => {
  const m = readMemory(process.pid);
  assert.ok(m && m.rss > 0 && m.hwm >= m.rss);
  assert.equal(readMemory(2 ** 22 + 12345), undefined);
});

test('CPU seconds of a live process and of reaped children', () => {
  const before = reapedChildrenCpuSeconds();
  // A child that burns about 0.3 s of CPU, then is waited for.
  const r = spawnSync(process.execPath, [
    '-e',
    'const t = Date.now(); while (Date.now() - t < 300) {}',
  ]);
  assert.equal(r.status, 0);
  const spent = reapedChildrenCpuSeconds() - before;
  assert.ok(spent >= 0.15 && spent < 5, `child CPU ${spent} s`);
  const self = processCpuSeconds(process.pid);
  assert.ok(self !== undefined && self > 0);
  assert.equal(processCpuSeconds(2 ** 22 + 12345), undefined);
});

test('payload files: random A-Z lines of the record size, cycling a pool', () => {
  const dir = join(tmp, 'payloads');
  const lines = readFileSync(payloadFile(dir, 100, 250), 'utf8').split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, 250);
  for (const l of lines) assert.match(l, /^[A-Z]{100}$/);
  assert.ok(new Set(lines).size > 200, 'lines are not one value repeated');
  const pool = readFileSync(payloadFile(dir, 1024), 'utf8').split('\n');
  pool.pop();
  assert.equal(pool.length, Math.floor((8 << 20) / 1025));
  // More records than the pool holds: the lines cycle through it.
  const big = readFileSync(payloadFile(dir, 1024, pool.length + 3), 'utf8').split('\n');
  assert.equal(big.length, pool.length + 4);
  for (let i = 0; i < 3; i++) assert.ok(big[pool.length + i] === big[i], `line ${i} repeats`);
  assert.ok(big[0] !== big[1]);
});

describe('null broker', () => {
  test('counts offsets from batch headers, per partition', () => {
    const log = new NullLog(2);
    log.topic('t');
    const batch = (n: number) =>
      buildRecordBatch({
        records: Array.from({ length: n }, (_, i) => ({
          value: Buffer.from(`v${i}`),
          timestamp: 1,
        })),
      }).buf;
    assert.equal(log.append('t', 0, batch(3)), 0);
    assert.equal(log.append('t', 0, Buffer.concat([batch(2), batch(4)])), 3);
    assert.equal(log.append('t', 0, batch(1)), 9);
    assert.equal(log.append('t', 1, batch(5)), 0);
    assert.equal(log.append('t', 2, batch(1)), -1);
    assert.equal(log.append('nope', 0, batch(1)), -1);
    assert.equal(log.append('t', 0, Buffer.alloc(10)), -1);
  });

  test('a retained topic keeps its batches and serves whole batches up to a byte limit', () => {
    const log = new NullLog(1, new Set(['kept']));
    log.topic('kept');
    log.topic('dropped');
    const batch = (n: number) =>
      buildRecordBatch({
        records: Array.from({ length: n }, (_, i) => ({
          value: Buffer.alloc(100, i),
          timestamp: 1,
        })),
      }).buf;
    const one = batch(3);
    log.append('kept', 0, one);
    log.append('kept', 0, Buffer.concat([batch(2), batch(4)]));
    log.append('dropped', 0, batch(1));
    assert.equal(log.retained('dropped', 0), undefined);
    const kept = log.retained('kept', 0)!;
    assert.equal(kept.endOffset, 9);
    const baseOf = (b: Buffer) => Number(b.readBigInt64BE(0));
    // The batch holding offset 4 starts at 3; a limit of one batch still returns one.
    assert.equal(baseOf(kept.read(4, 1)!), 3);
    assert.equal(kept.read(4, 1)!.length, batch(2).length);
    // Everything from 0, base offsets written, bytes otherwise as produced.
    const all = kept.read(0, 1 << 20)!;
    assert.equal(all.length, one.length + batch(2).length + batch(4).length);
    assert.deepEqual(all.subarray(8, one.length), one.subarray(8));
    assert.equal(kept.read(9, 1 << 20), null);
  });

  test('a real consumer reads back what was produced to a retained topic', async () => {
    const s = await serve(0, 1, new Set(['r']));
    const client = new Samsa({ brokers: [`127.0.0.1:${s.port}`], logger: 'error' });
    try {
      const producer = client.producer({ lingerMs: 0 });
      try {
        for (let i = 0; i < 5; i++) {
          await producer.send({
            topic: 'r',
            messages: [{ value: `a${i}` }, { value: `b${i}` }],
          });
        }
      } finally {
        await producer.close();
      }
      const consumer = client.consumer({ maxWaitMs: 50 });
      const seen: string[] = [];
      try {
        await consumer.assign([{ topic: 'r', partition: 0, offset: 'earliest' }]);
        for await (const m of consumer) {
          seen.push(`${m.offset}:${m.value!.toString()}`);
          if (seen.length === 10) break;
        }
      } finally {
        await consumer.close();
      }
      assert.deepEqual(seen.slice(0, 3), ['0:a0', '1:b0', '2:a1']);
      assert.equal(seen[9], '9:b4');
      // At the end of the log the answer is an empty record set, as Kafka's: librdkafka takes
      // a null one for a malformed answer and never sees the end (kcat -e would not stop).
      const wire = await WireClient.connect(s.port);
      try {
        const res = await wire.request(
          FetchApi,
          11,
          fetchRequest('r', { fetchOffset: 10n, maxBytes: 1 << 20 }),
        );
        const p = res.responses[0]!.partitions[0]!;
        assert.equal(p.errorCode, 0);
        assert.equal(p.highWatermark, 10n);
        assert.ok(p.records !== null, 'records is null at the end of the log');
        assert.equal(p.records.length, 0);
      } finally {
        wire.close();
      }
    } finally {
      await s.close();
    }
  });

  test('a real producer gets acknowledged offsets in order', async () => {
    const s = await serve(0, 1);
    const client = new Samsa({ brokers: [`127.0.0.1:${s.port}`], logger: 'error' });
    try {
      const admin = client.admin();
      await admin.createTopics({ topics: [{ topic: 'c', numPartitions: 3 }] });
      await admin.close();
      const producer = client.producer({ lingerMs: 0 });
      try {
        const first = await producer.send({
          topic: 'c',
          messages: [
            { value: 'a', partition: 2 },
            { value: 'b', partition: 2 },
          ],
        });
        const second = await producer.send({
          topic: 'c',
          messages: [{ value: 'c', partition: 2 }],
        });
        assert.deepEqual(
          [...first, ...second].map((m) => [m.partition, m.offset]),
          [
            [2, 0],
            [2, 1],
            [2, 2],
          ],
        );
      } finally {
        await producer.close();
      }
    } finally {
      await s.close();
    }
  });
});

function fixedResults(): BenchResults {
  const r = emptyResults('full', 'npm run bench');
  r.startedAt = '2026-11-25T10:00:00.000Z';
  r.finishedAt = '2026-11-25T10:20:00.000Z';
  r.machine = { cpu: 'Test CPU', cores: '2', loadBefore: '1.00', loadAfter: '2.00' };
  r.versions = { kafka: '3.9.1', samsa: '0.1.0' };
  r.settings = { 'log.segment.bytes': '1073741824' };
  r.brokerCommands = { kafka: 'java kafka.Kafka', samsa: 'node dist/cli/main.js broker' };
  r.commands = ['java ProducerPerformance ...'];
  const w: Workload = { size: 1024, acks: '1', partitions: 1, compression: 'none' };
  const row = (
    op: 'produce' | 'consume',
    generator: string,
    broker: 'kafka' | 'samsa',
    mbPerSec: number,
  ): ThroughputRow => ({
    op,
    generator,
    broker,
    workload: w,
    records: 100_000,
    seconds: 1,
    recordsPerSec: (mbPerSec * 1e6) / 1024,
    mbPerSec,
    latency: op === 'produce' ? { p50: 2, p99: 10, p999: 20 } : undefined,
  });
  r.throughput = [
    row('produce', 'kafka-perf', 'kafka', 100),
    row('produce', 'kafka-perf', 'samsa', 130),
    row('consume', 'kafka-perf', 'kafka', 200),
    row('consume', 'kafka-perf', 'samsa', 180),
    row('produce', 'samsa-client', 'samsa', 60),
    row('produce', 'kafkajs-client', 'samsa', 20),
    row('produce', 'platformatic-client', 'samsa', 55),
    { ...row('produce', 'kcat', 'samsa', 0), error: 'kcat -P exited 1' },
  ];
  r.latency = [
    {
      test: 'produce-half-peak',
      generator: 'kafka-perf',
      broker: 'kafka',
      rate: 50_000,
      size: 1024,
      records: 1,
      latency: { p50: 2, p99: 10, p999: 30 },
    },
    {
      test: 'produce-half-peak',
      generator: 'kafka-perf',
      broker: 'samsa',
      rate: 50_000,
      size: 1024,
      records: 1,
      latency: { p50: 1, p99: 5, p999: 12 },
    },
  ];
  r.memory = [
    {
      broker: 'kafka',
      idleRss: 400 * 2 ** 20,
      idleHwm: 400 * 2 ** 20,
      loadMaxRss: 800 * 2 ** 20,
      loadHwm: 800 * 2 ** 20,
    },
    {
      broker: 'samsa',
      idleRss: 60 * 2 ** 20,
      idleHwm: 60 * 2 ** 20,
      loadMaxRss: 250 * 2 ** 20,
      loadHwm: 250 * 2 ** 20,
    },
  ];
  r.startup = [
    { broker: 'kafka', readyMs: [5000, 6000] },
    { broker: 'samsa', readyMs: [400, 600, 500] },
  ];
  r.recovery = [{ broker: 'samsa', logBytes: 2 ** 30, readyMs: 800 }];
  r.problems = ['kcat produce 1 KB acks=1 1p none on samsa: kcat -P exited 1'];
  return r;
}

describe('report', () => {
  test('goals are checked against the targets of the issue', () => {
    const g = goals(fixedResults());
    const by = (s: string) => g.find((x) => x.goal.startsWith(s))!;
    assert.equal(by('produce MB/s').met, true);
    assert.equal(by('consume MB/s').met, false);
    assert.equal(by('p99 produce latency').met, true);
    assert.equal(by('broker RSS idle').met, true);
    assert.equal(by('broker RSS under load').met, false);
    assert.equal(by('Samsa start to ready').met, true);
    assert.equal(by('Samsa client produce vs KafkaJS').met, true);
    assert.equal(by('Samsa client produce vs @platformatic').met, false);
  });

  test('renders tables, ratios, charts and problems; keeps the written analysis', () => {
    const r = fixedResults();
    const first = renderReport(r, 'assets');
    assert.match(first.markdown, /^# Samsa vs Apache Kafka 3\.9\.1, 2026-11-25/);
    assert.match(first.markdown, /Shared, noisy machine/);
    assert.match(first.markdown, /\| 1 KB acks=1 1p none \| 100 \| 130 \| 1\.30× \|/);
    assert.match(first.markdown, /!\[[^\]]*\]\(assets\/produce-kafka-tools\.svg\)/);
    assert.match(first.markdown, /kcat -P exited 1/);
    assert.match(first.markdown, /\| samsa \| 400, 600, 500 \| 500 \|/);
    for (const name of [
      'produce-kafka-tools.svg',
      'consume-kafka-tools.svg',
      'latency-produce-half-peak.svg',
    ]) {
      const svg = first.charts.get(name);
      assert.ok(svg, name);
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(svg, /<\/svg>\n$/);
    }
    const written = first.markdown.replace(
      /<!-- analysis:start -->[\s\S]*<!-- analysis:end -->/,
      `${ANALYSIS_START}\nWritten by hand.\n${ANALYSIS_END}`,
    );
    const again = renderReport(r, 'assets', written);
    assert.match(again.markdown, /Written by hand\./);
  });

  test('a workload run twice is shown by its best run, with every run listed', () => {
    const r = fixedResults();
    const again = r.throughput.find(
      (t) => t.generator === 'kafka-perf' && t.op === 'produce' && t.broker === 'samsa',
    )!;
    r.throughput.push(
      { ...again, mbPerSec: 150, run: 2 },
      { ...again, mbPerSec: 0, run: 3, error: 'boom' },
    );
    const p = pairs(r.throughput, 'produce', 'kafka-perf')[0]!;
    assert.equal(p.samsa!.mbPerSec, 150);
    assert.deepEqual(p.runs.samsa, [130, 150]);
    assert.match(
      renderReport(r, 'a').markdown,
      /\| 1 KB acks=1 1p none \| 100 \| 150 \| 1\.50× \|.*\| 100; 130, 150 \|/,
    );
  });

  test('ceiling and CPU columns: null-broker rows, CPU seconds per GB, room for 1.2×', () => {
    const r = fixedResults();
    const k = r.throughput.find(
      (t) => t.generator === 'kafka-perf' && t.op === 'produce' && t.broker === 'kafka',
    )!;
    const s = r.throughput.find(
      (t) => t.generator === 'kafka-perf' && t.op === 'produce' && t.broker === 'samsa',
    )!;
    // 100,000 records of 1 KiB = 0.1024 GB.
    k.brokerCpuSec = 0.512;
    k.generatorCpuSec = 1.024;
    s.brokerCpuSec = 0.256;
    s.generatorCpuSec = 1.024;
    r.throughput.push({ ...k, broker: 'null', mbPerSec: 110, brokerCpuSec: 0.1 });
    assert.equal(cpuPerGb(k, 'brokerCpuSec'), 5);
    assert.equal(cpuPerGb(s, 'brokerCpuSec'), 2.5);
    assert.equal(cpuPerGb({ ...k, error: 'x' }, 'brokerCpuSec'), undefined);
    const md = renderReport(r, 'a').markdown;
    // ceiling 110 MB/s against Kafka's 100: at most 1.10× for any broker.
    assert.match(md, /\| 1 KB acks=1 1p none \| 100 \| 130 \| 1\.30× \| 110 \| 1\.10× \|/);
    assert.match(
      md,
      /\| 1 KB acks=1 1p none \| 5\.00 \| 2\.50 \| 0\.50× \| 10\.00 \| 10\.00 \| 10\.00 \|/,
    );
    const g = goals(r).find((x) => x.goal.startsWith('produce MB/s'))!;
    assert.match(g.result, /leaves room for 1\.2× on 0\/1/);
    assert.ok(renderReport(r, 'a').charts.get('produce-kafka-tools.svg')!.includes('null broker'));
  });

  test('bar chart: one bar per value, n/a for missing, escaped labels', () => {
    const svg = barChart({
      title: 'A <b> & c',
      unit: 'MB/s',
      series: [
        { name: 'Kafka', color: '#888' },
        { name: 'Samsa', color: '#28d' },
      ],
      groups: [
        { label: 'x', values: [1, 2] },
        { label: 'y', values: [3, undefined] },
      ],
    });
    assert.equal((svg.match(/<title>/g) ?? []).length, 3);
    assert.match(svg, /n\/a/);
    assert.match(svg, /A &lt;b&gt; &amp; c/);
  });
});

test('bench/run.ts --report-only re-renders a saved results file', () => {
  const json = join(tmp, 'results.json');
  writeFileSync(json, JSON.stringify(fixedResults()));
  const out = join(tmp, 'out');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', '--report-only', json, '--out', out, '--name', 'r'],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const md = readFileSync(join(out, 'r.md'), 'utf8');
  assert.match(md, /## Goals/);
  assert.ok(existsSync(join(out, 'r', 'produce-kafka-tools.svg')));
  assert.ok(existsSync(join(out, 'r', 'results.json')));
  const help = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--help'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--quick/);
});

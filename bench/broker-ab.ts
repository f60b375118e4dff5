// Two Samsa builds side by side under kcat (librdkafka) or Kafka's ProducerPerformance: produce
// then consume the same topic on each, alternating which build goes first, so a change to the
// broker's data path is measured against the build before it in one run on a shared machine.
//
//   node --import tsx bench/broker-ab.ts --a /tmp/before --b . [--size 1024] [--records 250000]
//        [--runs 3] [--passes 3] [--acks 1] [--load kcat|kafka-perf] [--producers 1]
//        [--partitions 1] [--warmup 0] [--node PATH] [--profile DIR] [--perf DIR]
//        [--kcat-prop batch.size=16384 ...]
//
// --a and --b are directories holding a compiled build (dist/cli/main.js). Both brokers run
// with the settings of `npm run bench` (bench/lib/brokers.ts) and stay up for the whole run.
// MB/s counts record values (10^6 bytes), from the producer's own figure (ProducerPerformance)
// or kcat's process wall time as bench/run.ts does; the ratio is B/A per pair of runs. The
// steadier figure on a shared machine is the broker's CPU seconds (user + sys, all threads, GC
// helpers included) per GB. --load kafka-perf produces with ProducerPerformance (acks, 64 KiB
// batches, linger.ms=5, as bench/run.ts), --producers K runs K of them at once on the same
// topic (records split between them). --warmup N produces N records to each broker before the
// first measured run, so both are past their JIT warm-up. --passes 0 skips consuming.
// --kcat-prop k=v (repeatable) sets a librdkafka property of the producing kcat, e.g.
// batch.size=16384 for more, smaller requests per GB (per-request costs weigh more) or
// enable.idempotence=true to take the producer-state path, as ProducerPerformance does.
// --profile DIR runs both with --cpu-prof into DIR and prints the heaviest functions of the
// produce and consume windows; --perf DIR records `perf record -e cpu-clock -g` of each broker
// during its first produce run (DIR/A-produce.perf.data, DIR/B-produce.perf.data).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SHARED_SETTINGS } from './lib/brokers.js';
import { CACHE } from './lib/env.js';
import { kafkaPerf } from './lib/generators.js';
import { run, signalGroup, start } from './lib/proc.js';
import { monotonicUs, summarizeProfile } from './lib/profile.js';
import type { Acks } from './lib/types.js';

const { values: opts } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: '.' },
    size: { type: 'string', default: '1024' },
    records: { type: 'string', default: '250000' },
    runs: { type: 'string', default: '3' },
    /** Consume passes over the topic per run: a pass from the page cache is short. */
    passes: { type: 'string', default: '3' },
    acks: { type: 'string', default: '1' },
    load: { type: 'string', default: 'kcat' },
    producers: { type: 'string', default: '1' },
    partitions: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '0' },
    node: { type: 'string', default: process.execPath },
    'kafka-libs': { type: 'string', default: join(CACHE, 'kafka-3.9.1/libs') },
    profile: { type: 'string' },
    perf: { type: 'string' },
    'kcat-prop': { type: 'string', multiple: true, default: [] },
  },
});
if (!opts.a) throw new Error('--a <dir of the baseline build> is required');
if (opts.load !== 'kcat' && opts.load !== 'kafka-perf')
  throw new Error('--load is kcat or kafka-perf');
if (opts.load === 'kafka-perf' && !existsSync(opts['kafka-libs']!))
  throw new Error(`no Kafka jars in ${opts['kafka-libs']} (--kafka-libs)`);
const SIZE = Number(opts.size);
const RECORDS = Number(opts.records);
const RUNS = Number(opts.runs);
const PRODUCERS = Number(opts.producers);

interface Side {
  name: 'A' | 'B';
  dir: string;
  port: number;
  stop(): Promise<void>;
  profDir?: string;
  windows: {
    produce: { fromUs: number; toUs: number }[];
    consume: { fromUs: number; toUs: number }[];
  };
  mbs: { produce: number[]; consume: number[] };
  /** Broker CPU seconds (user + sys) per GB moved: steadier than MB/s when CPUs are contended. */
  cpu: { produce: number[]; consume: number[] };
  pid: number;
}

/** user + sys CPU seconds of a process so far (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startSide(name: 'A' | 'B', dir: string, dataDir: string): Promise<Side> {
  const profDir = opts.profile ? join(resolve(opts.profile), name) : undefined;
  if (profDir) mkdirSync(profDir, { recursive: true });
  const args = [
    ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
    ...(opts.perf ? ['--perf-basic-prof-only-functions'] : []),
    join(resolve(dir), 'dist/cli/main.js'),
    'broker',
  ];
  const settings = {
    ...SHARED_SETTINGS,
    'num.partitions': opts.partitions!,
    'log.dirs': dataDir,
    listeners: 'PLAINTEXT://127.0.0.1:0',
  };
  for (const [k, v] of Object.entries(settings)) args.push('--override', `${k}=${v}`);
  const p = start(opts.node!, args, { cwd: resolve(dir), env: { ...process.env } });
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`broker ${name} not ready:\n${p.output()}`)),
      30_000,
    );
    const look = () => {
      const m = /ready on [^\s,]+:(\d+)/.exec(p.output());
      if (!m) return;
      clearTimeout(timer);
      ok(Number(m[1]));
    };
    p.child.stderr?.on('data', look);
    p.child.stdout?.on('data', look);
  });
  return {
    name,
    dir,
    port,
    profDir,
    windows: { produce: [], consume: [] },
    mbs: { produce: [], consume: [] },
    cpu: { produce: [], consume: [] },
    pid: p.pid,
    async stop() {
      p.child.kill('SIGTERM');
      await p.exited;
    },
  };
}

function payloadFile(dir: string, name: string, records: number): string {
  const line = Buffer.alloc(SIZE + 1);
  for (let i = 0; i < SIZE; i++) line[i] = 65 + Math.floor(Math.random() * 26);
  line[SIZE] = 10;
  const path = join(dir, name);
  const lines: Buffer[] = [];
  for (let i = 0; i < records; i++) lines.push(line);
  writeFileSync(path, Buffer.concat(lines));
  return path;
}

async function timed(args: string[]): Promise<{ fromUs: number; toUs: number; seconds: number }> {
  const fromUs = monotonicUs();
  const r = await run('kcat', args, { timeoutMs: 600_000, stdio: ['ignore', 'ignore', 'pipe'] });
  const toUs = monotonicUs();
  if (r.code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return { fromUs, toUs, seconds: r.ms / 1000 };
}

/** Produces `records` with the chosen load generator; seconds as the producers measured them. */
async function produce(
  side: Side,
  topic: string,
  file: string,
  records: number,
  tmp: string,
): Promise<{ fromUs: number; toUs: number; seconds: number }> {
  const bootstrap = `127.0.0.1:${side.port}`;
  if (opts.load === 'kcat') {
    const acks = ['-X', `acks=${opts.acks}`, '-X', 'linger.ms=5'];
    const props = opts['kcat-prop']!.flatMap((p) => ['-X', p]);
    return timed(['-P', '-b', bootstrap, ...acks, ...props, '-t', topic, '-l', file]);
  }
  const gen = kafkaPerf({ java: 'java', libs: opts['kafka-libs']! });
  const ctx = { bootstrap, tmpDir: tmp, record: () => {} };
  const w = {
    size: SIZE,
    acks: (opts.acks === '-1' || opts.acks === 'all' ? 'all' : '1') as Acks,
    partitions: Number(opts.partitions),
    compression: 'none' as const,
  };
  const fromUs = monotonicUs();
  const each = Math.ceil(records / PRODUCERS);
  const results = await Promise.all(
    Array.from({ length: PRODUCERS }, () => gen.produce(ctx, w, topic, each)),
  );
  const toUs = monotonicUs();
  // Several producers at once: the slowest one's time covers all the records.
  return { fromUs, toUs, seconds: Math.max(...results.map((r) => r.seconds)) };
}

async function perfRecord(side: Side): Promise<() => Promise<void>> {
  if (!opts.perf || side.windows.produce.length > 0) return async () => {};
  mkdirSync(opts.perf, { recursive: true });
  const out = join(resolve(opts.perf), `${side.name}-produce.perf.data`);
  const p = start('perf', ['record', '-e', 'cpu-clock', '-g', '-p', String(side.pid), '-o', out]);
  await new Promise((r) => setTimeout(r, 500));
  return async () => {
    signalGroup(p.pid, 'SIGINT');
    await p.exited;
  };
}

async function once(side: Side, topic: string, file: string, one: string, tmp: string) {
  const bootstrap = `127.0.0.1:${side.port}`;
  const acks = ['-X', `acks=${opts.acks}`, '-X', 'linger.ms=5'];
  // The topic exists before the clock starts (as bench/run.ts creates its topics): librdkafka
  // spends about a second on a topic it has to wait for, which is not data-path time.
  await timed(['-P', '-b', bootstrap, ...acks, '-t', topic, '-l', one]);
  const gb = (RECORDS * SIZE) / 1e9;
  const stopPerf = await perfRecord(side);
  let cpu0 = cpuSeconds(side.pid);
  const p = await produce(side, topic, file, RECORDS, tmp);
  side.cpu.produce.push((cpuSeconds(side.pid) - cpu0) / gb);
  await stopPerf();
  side.windows.produce.push(p);
  side.mbs.produce.push((RECORDS * SIZE) / p.seconds / 1e6);
  const consume = ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q'];
  for (let i = 0; i < Number(opts.passes); i++) {
    cpu0 = cpuSeconds(side.pid);
    const c = await timed([...consume, '-c', String(RECORDS + 1), '-f', '%o\n']);
    side.cpu.consume.push((cpuSeconds(side.pid) - cpu0) / gb);
    side.windows.consume.push(c);
    side.mbs.consume.push((RECORDS * SIZE) / c.seconds / 1e6);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const f = (x: number) => x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');

const tmp = mkdtempSync(join(tmpdir(), 'samsa-ab-'));
const sides: Side[] = [];
const loadAtStart = load();
try {
  const file = payloadFile(tmp, 'payload.txt', RECORDS);
  const one = join(tmp, 'one.txt');
  writeFileSync(one, 'first\n');
  sides.push(await startSide('A', opts.a, join(tmp, 'a')));
  sides.push(await startSide('B', opts.b!, join(tmp, 'b')));
  const warmup = Number(opts.warmup);
  if (warmup > 0) {
    const warmupFile = payloadFile(tmp, 'warmup.txt', warmup);
    for (const s of sides) {
      await timed(['-P', '-b', `127.0.0.1:${s.port}`, '-t', 'warmup', '-l', one]);
      await produce(s, 'warmup', warmupFile, warmup, tmp);
    }
  }
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) await once(s, `ab-${SIZE}-${i}`, file, one, tmp);
  }
  const [a, b] = sides as [Side, Side];
  const kcatProps = opts.load === 'kcat' ? opts['kcat-prop']!.map((p) => ` ${p}`).join('') : '';
  console.log(
    `${opts.load}${PRODUCERS > 1 ? ` x${PRODUCERS}` : ''}${kcatProps}, ${RECORDS} records of ${SIZE} B, acks=${opts.acks}, ${opts.partitions} partition(s), ${RUNS} runs each, A=${opts.a} B=${opts.b}, node ${opts.node}`,
  );
  console.log(
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model}), load average ${loadAtStart} at start, ${load()} at end; TMPDIR ${tmpdir()}`,
  );
  for (const op of ['produce', 'consume'] as const) {
    if (a.mbs[op].length === 0) continue;
    const ratios = a.mbs[op].map((x, i) => b.mbs[op][i]! / x);
    console.log(
      `${op} broker CPU s/GB: A ${f(median(a.cpu[op]))} [${a.cpu[op].map(f).join(', ')}]  B ${f(median(b.cpu[op]))} [${b.cpu[op].map(f).join(', ')}]  B/A ${(median(b.cpu[op]) / median(a.cpu[op])).toFixed(2)}×`,
    );
    console.log(
      `${op}: A ${f(median(a.mbs[op]))} MB/s [${a.mbs[op].map(f).join(', ')}]  B ${f(median(b.mbs[op]))} MB/s [${b.mbs[op].map(f).join(', ')}]  B/A median ${median(ratios).toFixed(2)}× [${ratios.map((r) => r.toFixed(2)).join(', ')}]`,
    );
  }
} finally {
  for (const s of sides) await s.stop();
  rmSync(tmp, { recursive: true, force: true });
}
if (opts.profile) {
  for (const s of sides) {
    const file = readdirSync(s.profDir!).find((n) => n.endsWith('.cpuprofile'));
    if (!file) continue;
    for (const op of ['produce', 'consume'] as const) {
      if (s.windows[op].length === 0) continue;
      // The first run's window only: later windows are interleaved with the other operation.
      const sum = summarizeProfile(join(s.profDir!, file), s.windows[op][0]);
      console.log(
        `\n${s.name} ${op}: ${f(sum.totalMs)} ms sampled, ${f(sum.idlePct)}% idle; top self time of busy samples`,
      );
      for (const e of sum.byArea.slice(0, 6)) console.log(`  area ${f(e.pct)}%  ${e.name}`);
      for (const e of sum.top.slice(0, 10))
        console.log(`  ${f(e.pct)}%  ${e.name}  ${e.location}  < ${e.calledFrom ?? ''}`);
    }
  }
}

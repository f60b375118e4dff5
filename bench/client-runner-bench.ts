// The Node clients driven the way the vs-Kafka runner drives them (bench/lib/node-client-perf.ts:
// a fresh process per run, send() calls of 100 records with 8 in flight, linger 5 ms), but
// several times over and interleaved, with each client process's CPU time per message, so the
// runner's client figures can be checked against client-bench.ts on one broker in one run.
//
//   npm run build
//   node --import tsx bench/client-runner-bench.ts --bootstrap 127.0.0.1:9092 --repeat 3 \
//     [--baseline /path/to/other/dist/client/index.js] [--platformatic DIR/node_modules]
//
// The broker is given (start Kafka with tools/capture/kafka-broker.sh, or `samsa broker`). Runs
// with the Node that runs this file (the runner uses its own process.execPath too), and
// @platformatic/kafka from ~/.cache/samsa/bench-clients as the runner installs it.
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Samsa } from '../src/client/index.js';

const repoDir = join(import.meta.dirname, '..');
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const bootstrap = arg('--bootstrap');
if (!bootstrap) throw new Error('--bootstrap host:port is required');
const repeat = Number(arg('--repeat') ?? 3);
const baseline = arg('--baseline');
const platformaticDir =
  arg('--platformatic') ?? join(homedir(), '.cache/samsa/bench-clients/node_modules');
const samsaModule = join(repoDir, 'dist/client/index.js');

interface Client {
  name: string;
  client: 'samsa' | 'kafkajs' | 'platformatic';
  samsaModule: string;
}
const clients: Client[] = [
  { name: 'samsa', client: 'samsa', samsaModule },
  ...(baseline ? [{ name: 'samsa-before', client: 'samsa' as const, samsaModule: baseline }] : []),
  { name: 'kafkajs', client: 'kafkajs', samsaModule },
  { name: 'platformatic', client: 'platformatic', samsaModule },
];

/** One node-client-perf.ts process: msg/s from its JSON line, CPU seconds from its stderr. */
async function runJob(c: Client, job: Record<string, unknown>) {
  const full = { ...job, client: c.client, samsaModule: c.samsaModule, platformaticDir };
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/lib/node-client-perf.ts', JSON.stringify(full)],
    { cwd: repoDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b;
  });
  child.stderr.on('data', (b: Buffer) => {
    err += b;
  });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  const line = out.trim().split('\n').pop() ?? '';
  const cpuLine = err.split('\n').find((l) => l.startsWith('{"cpuSeconds"'));
  if (code !== 0 || !line.startsWith('{') || !cpuLine) {
    throw new Error(`${c.name} ${String(job.op)} failed (${code}):\n${out}\n${err}`);
  }
  const m = JSON.parse(line) as { records: number; seconds: number };
  const cpu = (JSON.parse(cpuLine) as { cpuSeconds: number }).cpuSeconds;
  return { rate: m.records / m.seconds, cpuMicrosPerMsg: (cpu * 1e6) / m.records };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const samsa = new Samsa({ brokers: [bootstrap!], logger: 'error' });
  const admin = samsa.admin();
  const topic = async (name: string) => {
    await admin.createTopics({ topics: [{ topic: name, numPartitions: 1 }] });
    return name;
  };
  const base = { op: 'produce', bootstrap, compression: 'none', partitions: 1 };
  const produceCases = [
    { size: 100, records: 300_000, acks: '1' },
    { size: 1024, records: 100_000, acks: '1' },
    { size: 100, records: 300_000, acks: 'all' },
    { size: 1024, records: 100_000, acks: 'all' },
  ];
  // Consumers read one topic per size, written once by the Samsa client of this build.
  const consumeCases = [
    { size: 100, records: 1_000_000, topic: '' },
    { size: 1024, records: 300_000, topic: '' },
  ];
  for (const c of consumeCases) {
    c.topic = await topic(`runner-consume-${c.size}-${Date.now()}`);
    await runJob(clients[0]!, { ...base, ...c, acks: '1' });
  }
  const rows = new Map<string, { rates: number[]; cpus: number[] }>();
  const add = (key: string, r: { rate: number; cpuMicrosPerMsg: number }) => {
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { rates: [], cpus: [] }));
    row.rates.push(r.rate);
    row.cpus.push(r.cpuMicrosPerMsg);
  };
  for (let rep = 0; rep < repeat; rep++) {
    const order = clients.map((_, i) => clients[(i + rep) % clients.length]!);
    for (const p of produceCases) {
      for (const c of order) {
        const t = await topic(`runner-${c.name}-${p.size}-${p.acks}-${Date.now()}`);
        const r = await runJob(c, { ...base, ...p, topic: t });
        add(`produce|${p.size}|acks=${p.acks}|${c.name}`, r);
        console.error(`produce ${p.size} B acks=${p.acks} ${c.name}: ${Math.round(r.rate)} msg/s`);
      }
    }
    for (const k of consumeCases) {
      for (const c of order) {
        const r = await runJob(c, { ...base, ...k, op: 'consume', acks: '1' });
        add(`consume|${k.size}|1 MiB/partition|${c.name}`, r);
        console.error(`consume ${k.size} B ${c.name}: ${Math.round(r.rate)} msg/s`);
      }
    }
  }
  await admin.close();
  console.log(
    `| op | value | mode | client | msg/s (median of ${repeat}) | samsa ÷ this (median per repetition) | client CPU µs/msg (median) |`,
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const [key, row] of rows) {
    const [op, size, mode, name] = key.split('|');
    const samsaRow = rows.get(`${op}|${size}|${mode}|samsa`)!;
    const ratio =
      name === 'samsa'
        ? ''
        : `${median(row.rates.map((x, i) => samsaRow.rates[i]! / x)).toFixed(2)}×`;
    console.log(
      `| ${op} | ${size} B | ${mode} | ${name} | ${Math.round(median(row.rates))} | ${ratio} | ${median(row.cpus).toFixed(2)} |`,
    );
  }
  console.log(
    `\nall repetitions (msg/s): ${JSON.stringify([...rows].map(([k, r]) => [k, r.rates.map(Math.round)]))}`,
  );
  process.exit(0);
}

await main();

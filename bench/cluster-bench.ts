// Cluster mode on one machine: acks=all produce throughput and latency of a 3-broker cluster on
// etcd (RF=3, min.insync.replicas=2) against one standalone broker (RF=1) in the same run, and
// failover time: leader SIGKILL (or SIGTERM, controlled shutdown) to the first acks=all produce
// the cluster accepts again.
//
//   node --import tsx bench/cluster-bench.ts [--records 100000] [--size 1024] [--rate 2000]
//                                            [--kills 5] [--stops 3] [--session-ms 9000,2000]
//                                            [--no-java] [--only throughput|failover]
//
// Throughput: `samsa perf produce --acks all --json` (the Samsa client, idempotent) as fast as it
// goes, then at --rate records/s for latency below saturation; Kafka's ProducerPerformance
// (kafka-tools jar in ~/.cache/samsa/kafka-3.9.1, from scripts/install-compat.sh) the same way
// when present. Topics: 1 partition; the 3-broker run also with RF=1, to tell replication's cost
// from cluster mode's. Failover, per broker.session.timeout.ms in --session-ms: a prober sends
// one acks=all record every 10 ms to whichever broker Metadata names leader (a fresh view each
// try, so client backoff does not count); each kill is timed to (a) the first Metadata answer
// naming another leader and (b) the first acknowledged record. Brokers run from source (tsx).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '../src/client/connection.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { ProduceApi } from '../src/protocol/messages/produce.js';
import { buildRecordBatch } from '../src/protocol/records/index.js';
import { EtcdCluster, sleep, until } from '../test/compat/cluster/cluster-harness.js';
import { type BrokerProcess, startBrokerProcess } from '../test/helpers/broker-process.js';

const { values: opts } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    size: { type: 'string', default: '1024' },
    rate: { type: 'string', default: '2000' },
    kills: { type: 'string', default: '5' },
    stops: { type: 'string', default: '3' },
    'session-ms': { type: 'string', default: '9000,2000' },
    java: { type: 'boolean', default: true },
    only: { type: 'string', default: 'all' },
  },
  allowNegative: true,
});
const ROOT = join(import.meta.dirname, '..');
const KAFKA_LIBS = join(
  process.env.SAMSA_CACHE ?? join(process.env.HOME ?? '', '.cache', 'samsa'),
  'kafka-3.9.1',
  'libs',
);
const RECORDS = Number(opts.records);
const SIZE = Number(opts.size);

interface PerfResult {
  recordsPerSec: number;
  mbPerSec: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

function runProcess(
  cmd: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let out = '';
    child.stdout.on('data', (c) => {
      stdout += c;
      out += c;
    });
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, out });
    });
  });
}

async function samsaPerf(bootstrap: string, topic: string, rate: number): Promise<PerfResult> {
  const records = rate > 0 ? Math.min(RECORDS, rate * 20) : RECORDS;
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'perf', 'produce', '--bootstrap', bootstrap];
  args.push('--topic', topic, '--num-records', String(records), '--record-size', String(SIZE));
  args.push('--acks', 'all', '--throughput', String(rate), '--json', '--partitions', '1');
  const r = await runProcess(process.execPath, args);
  const at = r.stdout.indexOf('{');
  if (r.code !== 0 || at < 0) throw new Error(`samsa perf produce failed:\n${r.out.slice(-3000)}`);
  const j = JSON.parse(r.stdout.slice(at));
  const l = j.latencyMs;
  return {
    recordsPerSec: j.recordsPerSec,
    mbPerSec: j.mbPerSec,
    p50: l.p50,
    p99: l.p99,
    p999: l.p999,
    max: l.max,
  };
}

async function javaPerf(bootstrap: string, topic: string, rate: number): Promise<PerfResult> {
  const records = rate > 0 ? Math.min(RECORDS, rate * 20) : RECORDS;
  const args = ['-Xmx512M', '-cp', `${KAFKA_LIBS}/*`, 'org.apache.kafka.tools.ProducerPerformance'];
  args.push('--topic', topic, '--num-records', String(records), '--record-size', String(SIZE));
  args.push('--throughput', String(rate), '--producer-props', `bootstrap.servers=${bootstrap}`);
  args.push('acks=all', 'linger.ms=5', 'batch.size=65536');
  const r = await runProcess('java', args);
  const m =
    /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), [\d.]+ ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/.exec(
      r.out,
    );
  if (r.code !== 0 || !m) throw new Error(`ProducerPerformance failed:\n${r.out.slice(-3000)}`);
  return {
    recordsPerSec: Number(m[2]),
    mbPerSec: Number(m[3]),
    max: Number(m[4]),
    p50: Number(m[5]),
    p99: Number(m[6]),
    p999: Number(m[7]),
  };
}

const rows: string[] = [];
function row(setup: string, generator: string, load: string, r: PerfResult): void {
  const line = `| ${setup} | ${generator} | ${load} | ${Math.round(r.recordsPerSec)} | ${r.mbPerSec.toFixed(1)} | ${r.p50} | ${r.p99} | ${r.p999} | ${r.max} |`;
  rows.push(line);
  console.log(line);
}

/** Every generator, flat out then at --rate, against one topic per run. */
async function measure(
  setup: string,
  bootstrap: string,
  createTopic: (name: string) => Promise<void>,
) {
  const generators: [string, typeof samsaPerf][] = [['samsa perf', samsaPerf]];
  if (opts.java && existsSync(join(KAFKA_LIBS, 'kafka-tools-3.9.1.jar'))) {
    generators.push(['Kafka ProducerPerformance', javaPerf]);
  }
  for (const [name, perf] of generators) {
    for (const rate of [-1, Number(opts.rate)]) {
      const topic = `perf-${name.replace(/\W/g, '')}-${rate > 0 ? rate : 'max'}-${setup.replace(/\W/g, '')}`;
      await createTopic(topic);
      const load = rate > 0 ? `${rate} rec/s` : 'max';
      row(setup, name, load, await perf(bootstrap, topic, rate));
    }
  }
}

async function throughput(): Promise<void> {
  console.log(
    '| setup | generator | load | records/s | MB/s | p50 ms | p99 ms | p99.9 ms | max ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-bench-single-'));
  let single: BrokerProcess | undefined;
  try {
    single = await startBrokerProcess({ dataDir, overrides: { 'num.partitions': '1' } });
    // Created by samsa perf (--partitions 1) or auto-created by the Java producer: RF=1.
    await measure('1 broker, RF=1', single.bootstrap, async () => {});
  } finally {
    await single?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
  const cluster = await EtcdCluster.start(3, clusterDefaults(9000));
  try {
    await measure('3 brokers, RF=3, min.insync=2', cluster.bootstrap, (t) =>
      cluster.createTopic(t, 1, 3, { 'min.insync.replicas': '2' }),
    );
    await measure('3 brokers, RF=1', cluster.bootstrap, (t) => cluster.createTopic(t, 1, 1));
  } finally {
    await cluster.destroy();
  }
}

/** Kafka's defaults for what the test harness shortens, and a given session timeout. */
function clusterDefaults(sessionMs: number): Record<string, string> {
  return {
    'broker.session.timeout.ms': String(sessionMs),
    'replica.lag.time.max.ms': '30000',
    'replica.fetch.wait.max.ms': '500',
    'auto.create.topics.enable': 'true',
  };
}

interface Sample {
  newLeaderMs: number;
  firstAckMs: number;
}

/** acks=all records to the current leader, one at a time; remembers when each was acknowledged. */
class Prober {
  lastAck = 0;
  /** The broker that acknowledged lastAck. */
  lastAckBy = -1;
  private running = true;
  private readonly loop: Promise<void>;
  constructor(
    private readonly cluster: EtcdCluster,
    private readonly topic: string,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let conn: Connection | undefined;
    let port = -1;
    while (this.running) {
      try {
        const s = await this.cluster.partitionState(this.topic);
        const leaderPort = s && this.cluster.node(s.leader).port;
        if (!s || !leaderPort) throw new Error('no leader');
        if (!conn || conn.closed || port !== leaderPort) {
          conn?.close();
          conn = await Connection.connect({
            host: '127.0.0.1',
            port: leaderPort,
            clientId: 'failover-prober',
            connectTimeoutMs: 1000,
            requestTimeoutMs: 6000,
          });
          port = leaderPort;
        }
        const batch = buildRecordBatch({
          records: [{ value: Buffer.from('probe'), timestamp: Date.now() }],
        });
        const res = await conn.send(
          ProduceApi,
          {
            transactionalId: null,
            acks: -1,
            timeoutMs: 5000,
            topicData: [{ name: this.topic, partitionData: [{ index: 0, records: batch.buf }] }],
          },
          { version: 9 },
        );
        if (res.responses[0]!.partitionResponses[0]!.errorCode === ErrorCode.NONE) {
          this.lastAck = performance.now();
          this.lastAckBy = s.leader;
        }
      } catch {
        conn?.close();
        conn = undefined;
      }
      await sleep(10);
    }
    conn?.close();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

async function failover(sessionMs: number): Promise<string[]> {
  const cluster = await EtcdCluster.start(3, clusterDefaults(sessionMs));
  const out: string[] = [];
  const topic = 'failover';
  try {
    await cluster.createTopic(topic, 1, 3, { 'min.insync.replicas': '2' });
    const prober = new Prober(cluster, topic);
    const kills: Sample[] = [];
    const stops: Sample[] = [];
    try {
      for (const [signal, times, samples] of [
        ['SIGKILL', Number(opts.kills), kills],
        ['SIGTERM', Number(opts.stops), stops],
      ] as const) {
        for (let i = 0; i < times; i++) {
          const state = await cluster.fullIsr(topic, 0, 120_000);
          await until('a recent ack', async () =>
            performance.now() - prober.lastAck < 100 ? true : undefined,
          );
          const victim = cluster.node(state.leader);
          const t0 = performance.now();
          const stopped = cluster.stopNode(victim, signal);
          const newLeaderMs = await until(
            'a new leader',
            async () => {
              const s = await cluster.partitionState(topic);
              return s && s.leader !== victim.id ? performance.now() - t0 : undefined;
            },
            120_000,
          );
          const firstAckMs = await until(
            'an ack after the failover',
            async () =>
              prober.lastAck > t0 && prober.lastAckBy !== victim.id
                ? prober.lastAck - t0
                : undefined,
            120_000,
          );
          await stopped;
          samples.push({ newLeaderMs, firstAckMs });
          console.log(
            `session ${sessionMs} ms, ${signal} #${i + 1}: new leader in Metadata after ${newLeaderMs.toFixed(0)} ms, first acks=all produce after ${firstAckMs.toFixed(0)} ms`,
          );
          await cluster.startNode(victim);
        }
      }
    } finally {
      await prober.stop();
    }
    for (const [signal, samples] of [
      ['SIGKILL', kills],
      ['SIGTERM', stops],
    ] as const) {
      if (samples.length === 0) continue;
      const first = samples.map((s) => s.firstAckMs);
      const leader = samples.map((s) => s.newLeaderMs);
      out.push(
        `| ${sessionMs} | ${signal} | ${samples.length} | ${median(leader).toFixed(0)} / ${Math.max(...leader).toFixed(0)} | ${median(first).toFixed(0)} / ${Math.max(...first).toFixed(0)} | ${first.map((x) => x.toFixed(0)).join(', ')} |`,
      );
    }
  } finally {
    await cluster.destroy();
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

console.log(
  `# cluster bench: ${cpus().length} CPUs (${cpus()[0]?.model}), Node ${process.version}, load ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}, ${new Date().toISOString()}`,
);
if (opts.only === 'all' || opts.only === 'throughput') await throughput();
if (opts.only === 'all' || opts.only === 'failover') {
  const table = [
    '| session timeout ms | signal | runs | new leader ms (median / max) | first ack ms (median / max) | first ack, each run |',
    '|---|---|---|---|---|---|',
  ];
  for (const ms of opts['session-ms'].split(',').map(Number)) table.push(...(await failover(ms)));
  console.log(table.join('\n'));
}
if (rows.length > 0) console.log(['', ...rows].join('\n'));
console.log(
  `# load at the end ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);

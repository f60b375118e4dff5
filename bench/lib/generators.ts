// Load generators as small adapters: each one knows how to run its tool for a workload and
// read the figures back. The runner only sees `produce` / `consume`; a new tool (for example
// `samsa perf` once the CLI has it) is one more adapter in this file.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, shellLine } from './proc.js';
import type { Latency, Workload } from './types.js';

export interface Measured {
  records: number;
  seconds: number;
  latency?: Latency;
}

export interface GeneratorContext {
  bootstrap: string;
  /** Scratch dir for payload files and tool configs. */
  tmpDir: string;
  /** Records the exact command line for the report. */
  record(command: string): void;
}

export interface LoadGenerator {
  name: string;
  /** What it is, with versions, for the report. */
  description: string;
  /** Why it cannot run here, or undefined when it can. */
  unavailable?: string;
  supports(op: 'produce' | 'consume', w: Workload): boolean;
  produce(ctx: GeneratorContext, w: Workload, topic: string, records: number): Promise<Measured>;
  consume(ctx: GeneratorContext, w: Workload, topic: string, records: number): Promise<Measured>;
}

function fail(what: string, r: { code: number | null; stdout: string; stderr: string }): never {
  const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-6).join(' | ');
  throw new Error(`${what} exited ${r.code}: ${tail.slice(0, 600)}`);
}

// ---- Apache Kafka's own tools (kafka-tools jar) -----------------------------------------

export interface JavaTools {
  java: string;
  libs: string;
}

function javaArgs(t: JavaTools, ctx: GeneratorContext, main: string, args: string[]): string[] {
  // kafka-*-perf-test.sh run the tools with a 512 MB heap; quiet logging keeps stdout parseable.
  const log4j = join(ctx.tmpDir, 'tools-log4j.properties');
  if (!existsSync(log4j)) {
    writeFileSync(
      log4j,
      'log4j.rootLogger=WARN, E\nlog4j.appender.E=org.apache.log4j.ConsoleAppender\nlog4j.appender.E.Target=System.err\nlog4j.appender.E.layout=org.apache.log4j.PatternLayout\nlog4j.appender.E.layout.ConversionPattern=%p %m%n\n',
    );
  }
  return ['-Xmx512M', `-Dlog4j.configuration=file:${log4j}`, '-cp', `${t.libs}/*`, main, ...args];
}

/** Parses ProducerPerformance's summary line. */
export function parseProducerPerformance(out: string): Measured | undefined {
  const m =
    /(\d+) records sent, ([\d.]+) records\/sec \([\d.]+ MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/.exec(
      out,
    );
  if (!m) return undefined;
  const records = Number(m[1]);
  const rate = Number(m[2]);
  return {
    records,
    seconds: rate > 0 ? records / rate : 0,
    latency: {
      avg: Number(m[3]),
      max: Number(m[4]),
      p50: Number(m[5]),
      p99: Number(m[7]),
      p999: Number(m[8]),
    },
  };
}

/** Parses ConsumerPerformance's CSV line (--hide-header); uses the fetch-only time. */
export function parseConsumerPerformance(out: string): Measured | undefined {
  for (const line of out.trim().split('\n').reverse()) {
    const f = line.split(',').map((s) => s.trim());
    if (f.length < 10 || !/^\d/.test(f[2] ?? '')) continue;
    const records = Number(f[4]);
    const fetchMs = Number(f[7]);
    if (!Number.isFinite(records) || !Number.isFinite(fetchMs)) continue;
    return { records, seconds: fetchMs / 1000 };
  }
  return undefined;
}

/** Parses EndToEndLatency's summary (percentiles are whole ms in Kafka 3.9). */
export function parseEndToEndLatency(out: string): Latency | undefined {
  const avg = /Avg latency: ([\d.]+) ms/.exec(out);
  const p = /Percentiles: 50th = ([\d.]+), 99th = ([\d.]+), 99\.9th = ([\d.]+)/.exec(out);
  if (!avg || !p) return undefined;
  return { avg: Number(avg[1]), p50: Number(p[1]), p99: Number(p[2]), p999: Number(p[3]) };
}

/** Bytes of distinct payloads a generator draws from: large enough that batches rarely repeat one. */
const PAYLOAD_POOL_BYTES = 8 << 20;

/** `count` random A-Z payloads of `size` bytes, one per line. */
export function payloadPool(size: number, count: number): Buffer {
  const line = size + 1;
  const out = Buffer.alloc(count * line);
  const random = randomBytes(count * size);
  for (let i = 0, r = 0; i < count; i++) {
    const at = i * line;
    for (let j = 0; j < size; j++) out[at + j] = 65 + (random[r++]! % 26);
    out[at + size] = 10;
  }
  return out;
}

/**
 * A file of `records` lines cycling through a pool of random A-Z payloads of `size` bytes
 * (`records` undefined: the pool alone, one line each). ProducerPerformance with --payload-file
 * picks a random line per record, kcat -l sends the lines in order: either way the generator
 * spends its time producing, not drawing random bytes per record, and lz4 sees values as
 * compressible as random A-Z text is.
 */
export function payloadFile(dir: string, size: number, records?: number): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `payload-${size}-${records ?? 'pool'}.txt`);
  if (existsSync(path)) return path;
  const poolCount = Math.max(1, Math.floor(PAYLOAD_POOL_BYTES / (size + 1)));
  const pool = payloadPool(size, Math.min(poolCount, records ?? poolCount));
  const poolLines = pool.length / (size + 1);
  const parts: Buffer[] = [];
  for (let left = records ?? poolLines; left > 0; left -= poolLines) {
    parts.push(left >= poolLines ? pool : pool.subarray(0, left * (size + 1)));
  }
  writeFileSync(path, parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  return path;
}

/** Producer settings every Java run gets (batching the way a throughput-minded user sets it). */
export const JAVA_PRODUCER_PROPS = ['linger.ms=5', 'batch.size=65536'];

export function kafkaPerf(t: JavaTools): LoadGenerator & {
  produceAtRate(
    ctx: GeneratorContext,
    w: Workload,
    topic: string,
    records: number,
    rate: number,
  ): Promise<Measured>;
  endToEnd(ctx: GeneratorContext, topic: string, records: number, size: number): Promise<Latency>;
} {
  const produceAt = async (
    ctx: GeneratorContext,
    w: Workload,
    topic: string,
    records: number,
    rate: number,
  ) => {
    const args = javaArgs(t, ctx, 'org.apache.kafka.tools.ProducerPerformance', [
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--payload-file',
      payloadFile(join(ctx.tmpDir, 'payloads'), w.size),
      '--throughput',
      String(Math.round(rate)),
      '--producer-props',
      `bootstrap.servers=${ctx.bootstrap}`,
      `acks=${w.acks}`,
      `compression.type=${w.compression}`,
      ...JAVA_PRODUCER_PROPS,
    ]);
    ctx.record(shellLine('java', args).replace(t.libs, '$KAFKA_LIBS'));
    const r = await run(t.java, args, { timeoutMs: 600_000 });
    const m = parseProducerPerformance(r.stdout);
    if (r.code !== 0 || !m) fail('ProducerPerformance', r);
    return m;
  };
  return {
    name: 'kafka-perf',
    description:
      'Apache Kafka ProducerPerformance / ConsumerPerformance / EndToEndLatency (kafka-tools jar, Java client)',
    supports: () => true,
    produce: (ctx, w, topic, records) => produceAt(ctx, w, topic, records, -1),
    produceAtRate: produceAt,
    async consume(ctx, _w, topic, records) {
      const args = javaArgs(t, ctx, 'org.apache.kafka.tools.ConsumerPerformance', [
        '--bootstrap-server',
        ctx.bootstrap,
        '--topic',
        topic,
        '--messages',
        String(records),
        '--group',
        `bench-cp-${Date.now()}`,
        '--timeout',
        '30000',
        '--hide-header',
      ]);
      ctx.record(shellLine('java', args).replace(t.libs, '$KAFKA_LIBS'));
      const r = await run(t.java, args, { timeoutMs: 600_000 });
      const m = parseConsumerPerformance(r.stdout);
      if (r.code !== 0 || !m) fail('ConsumerPerformance', r);
      if (m.records < records)
        throw new Error(`ConsumerPerformance read ${m.records} of ${records}`);
      return m;
    },
    async endToEnd(ctx, topic, records, size) {
      const args = javaArgs(t, ctx, 'org.apache.kafka.tools.EndToEndLatency', [
        ctx.bootstrap,
        topic,
        String(records),
        '1',
        String(size),
      ]);
      ctx.record(shellLine('java', args).replace(t.libs, '$KAFKA_LIBS'));
      const r = await run(t.java, args, { timeoutMs: 600_000 });
      const l = parseEndToEndLatency(r.stdout);
      if (r.code !== 0 || !l) fail('EndToEndLatency', r);
      return l;
    },
  };
}

// ---- librdkafka through kcat ------------------------------------------------------------

export function kcat(version: string | undefined): LoadGenerator {
  const common = (w: Workload, ctx: GeneratorContext) => [
    '-b',
    ctx.bootstrap,
    '-X',
    `acks=${w.acks === 'all' ? 'all' : '1'}`,
    '-X',
    `compression.codec=${w.compression}`,
    '-X',
    'linger.ms=5',
  ];
  return {
    name: 'kcat',
    description: `kcat ${version ?? '?'} (librdkafka, C)`,
    unavailable: version ? undefined : 'kcat is not installed (scripts/install-compat.sh)',
    supports: () => true,
    async produce(ctx, w, topic, records) {
      const file = payloadFile(join(ctx.tmpDir, 'payloads'), w.size, records);
      const args = ['-P', ...common(w, ctx), '-t', topic, '-l', file];
      ctx.record(shellLine('kcat', args));
      const r = await run('kcat', args, { timeoutMs: 600_000 });
      if (r.code !== 0) fail('kcat -P', r);
      return { records, seconds: r.ms / 1000 };
    },
    async consume(ctx, _w, topic, records) {
      const args = [
        '-C',
        '-b',
        ctx.bootstrap,
        '-t',
        topic,
        '-o',
        'beginning',
        '-e',
        '-q',
        // librdkafka stops fetching a partition once 100,000 messages or 64 MiB wait in its
        // queue and looks again only when its broker thread next wakes, 0.5-1 s later: with 100 B
        // records kcat prints slower than a broker sends, and those pauses (seen against Kafka
        // and Samsa alike) were most of a run's time. A queue as big as any topic here keeps the
        // measure on the broker.
        '-X',
        'queued.min.messages=10000000',
        '-X',
        'queued.max.messages.kbytes=1048576',
        '-c',
        String(records),
        '-f',
        '%o\n',
      ];
      ctx.record(`${shellLine('kcat', args)} >/dev/null`);
      const r = await run('kcat', args, {
        timeoutMs: 600_000,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      if (r.code !== 0) fail('kcat -C', r);
      return { records, seconds: r.ms / 1000 };
    },
  };
}

// ---- Node.js clients (Samsa's own, KafkaJS, @platformatic/kafka) --------------------------

export interface NodeClientSetup {
  repoDir: string;
  samsaModule: string;
  platformaticDir?: string;
}

export function nodeClient(
  client: 'samsa' | 'kafkajs' | 'platformatic',
  setup: NodeClientSetup,
  description: string,
  unavailable?: string,
): LoadGenerator {
  const script = join(setup.repoDir, 'bench/lib/node-client-perf.ts');
  const go = async (
    op: 'produce' | 'consume',
    ctx: GeneratorContext,
    w: Workload,
    topic: string,
    records: number,
  ): Promise<Measured> => {
    const job = {
      client,
      op,
      bootstrap: ctx.bootstrap,
      topic,
      records,
      size: w.size,
      acks: w.acks,
      compression: w.compression,
      partitions: w.partitions,
      samsaModule: setup.samsaModule,
      platformaticDir: setup.platformaticDir,
    };
    const args = ['--import', 'tsx', script, JSON.stringify(job)];
    ctx.record(
      shellLine('node', ['--import', 'tsx', 'bench/lib/node-client-perf.ts', JSON.stringify(job)]),
    );
    const r = await run(process.execPath, args, { cwd: setup.repoDir, timeoutMs: 600_000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.code !== 0 || !line.startsWith('{')) fail(`${client} ${op}`, r);
    const m = JSON.parse(line) as Measured;
    return { records: m.records, seconds: m.seconds };
  };
  return {
    name: `${client}-client`,
    description,
    unavailable,
    // KafkaJS has no built-in lz4 (it needs a codec plugin), so it runs uncompressed only.
    supports: (_op, w) => client !== 'kafkajs' || w.compression === 'none',
    produce: (ctx, w, topic, records) => go('produce', ctx, w, topic, records),
    consume: (ctx, w, topic, records) => go('consume', ctx, w, topic, records),
  };
}

/** What `samsa perf produce|consume --json` prints (src/cli/perf-command.ts). */
interface SamsaPerfJson {
  records: number;
  seconds: number;
  latencyMs?: { avg: number; max: number; p50: number; p99: number; p999: number };
}

/**
 * `samsa perf` (src/cli/perf-command.ts), added by the runner when `samsa perf --help` exits 0.
 * Same flags as Kafka's perf tools; producer batching as the Java runs (the CLI's defaults are
 * the same: batch 64 KiB, linger 5 ms). Consumes without a group, assigning every partition.
 */
export function samsaPerf(cliEntry: string, repoDir: string): LoadGenerator {
  const go = async (
    op: 'produce' | 'consume',
    ctx: GeneratorContext,
    w: Workload,
    topic: string,
    records: number,
  ): Promise<Measured> => {
    const common = [
      '--bootstrap',
      ctx.bootstrap,
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--json',
    ];
    const args =
      op === 'produce'
        ? [
            cliEntry,
            'perf',
            op,
            ...common,
            '--record-size',
            String(w.size),
            '--acks',
            w.acks,
            '--compression',
            w.compression,
            '--batch-size',
            '65536',
            '--linger-ms',
            '5',
            '--partitions',
            String(w.partitions),
          ]
        : [cliEntry, 'perf', op, ...common];
    ctx.record(shellLine('node', args).replace(repoDir, '.'));
    const r = await run(process.execPath, args, { cwd: repoDir, timeoutMs: 600_000 });
    // --json prints one (pretty-printed) object: everything from the first brace on.
    const text = r.stdout.slice(Math.max(0, r.stdout.indexOf('{')));
    if (r.code !== 0 || !text.startsWith('{')) fail(`samsa perf ${op}`, r);
    const j = JSON.parse(text) as SamsaPerfJson;
    if (j.records < records)
      throw new Error(`samsa perf ${op} did ${j.records} of ${records} records`);
    const l = j.latencyMs;
    return {
      records: j.records,
      seconds: j.seconds,
      latency: l && { avg: l.avg, max: l.max, p50: l.p50, p99: l.p99, p999: l.p999 },
    };
  };
  return {
    name: 'samsa-perf',
    description: '`samsa perf` (the Samsa CLI, on the Samsa client)',
    supports: () => true,
    produce: (ctx, w, topic, records) => go('produce', ctx, w, topic, records),
    consume: (ctx, w, topic, records) => go('consume', ctx, w, topic, records),
  };
}

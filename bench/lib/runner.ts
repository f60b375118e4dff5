// The comparison itself: both brokers up side by side, every workload run against Kafka and
// then Samsa (the order alternates, so drifting background load does not always hit the same
// broker), figures gathered into a BenchResults. A failing run becomes a row with an error
// and a line under "Problems", never the end of the whole benchmark.
import { join } from 'node:path';
import { Samsa } from '../../src/client/index.js';
import type { BrokerKind, BrokerUnderTest } from './brokers.js';
import { segmentBytes } from './env.js';
import type { GeneratorContext, kafkaPerf, LoadGenerator, Measured } from './generators.js';
import type { Plan } from './options.js';
import { probeOnce } from './probe.js';
import {
  processCpuSeconds,
  readMemory,
  reapedChildrenCpuSeconds,
  run,
  sampleMemory,
  shellLine,
  sleep,
  start,
} from './proc.js';
import type { BenchResults, Latency, LatencyRow, ThroughputRow, Workload } from './types.js';
import { workloadLabel } from './types.js';

export interface RunnerSetup {
  results: BenchResults;
  plan: Plan;
  /** The brokers under test, and (optional) the null broker that measures generator ceilings. */
  brokers: Brokers;
  tmpDir: string;
  repoDir: string;
  java: ReturnType<typeof kafkaPerf>;
  generators: LoadGenerator[];
  python?: string;
  log(msg: string): void;
}

export type Brokers = Record<'kafka' | 'samsa', BrokerUnderTest> & { null?: BrokerUnderTest };

export const topicName = (prefix: string, w: Workload) =>
  `${prefix}-${w.size}b-acks${w.acks}-p${w.partitions}-${w.compression}`;

export class Runner {
  private readonly peakRss: Record<BrokerKind, { max: number; hwm: number }> = {
    kafka: { max: 0, hwm: 0 },
    samsa: { max: 0, hwm: 0 },
    null: { max: 0, hwm: 0 },
  };
  private turn = 0;

  constructor(private readonly s: RunnerSetup) {}

  get results(): BenchResults {
    return this.s.results;
  }

  get java(): ReturnType<typeof kafkaPerf> {
    return this.s.java;
  }

  /** Puts another broker process in a slot (the profiled Samsa); returns the one it replaces. */
  swapBroker(kind: 'kafka' | 'samsa', broker: BrokerUnderTest): BrokerUnderTest {
    const old = this.s.brokers[kind];
    this.s.brokers[kind] = broker;
    return old;
  }

  private broker(kind: BrokerKind): BrokerUnderTest {
    const b = this.s.brokers[kind];
    if (!b) throw new Error(`no ${kind} broker in this run`);
    return b;
  }

  /**
   * Kafka first on even workloads, Samsa first on odd ones. With `ceiling`, the null broker
   * (when this run has one) takes its turn too, in rotation, so none always goes first.
   */
  order(ceiling = false): BrokerKind[] {
    const turn = this.turn++;
    if (!ceiling || !this.s.brokers.null)
      return turn % 2 === 0 ? ['kafka', 'samsa'] : ['samsa', 'kafka'];
    const all: BrokerKind[] = ['kafka', 'samsa', 'null'];
    return all.map((_, i) => all[(turn + i) % all.length]!);
  }

  ctx(broker: BrokerKind): GeneratorContext {
    return {
      bootstrap: `127.0.0.1:${this.broker(broker).port}`,
      tmpDir: this.s.tmpDir,
      record: (c) => this.s.results.commands.push(`# ${broker}\n${c}`),
    };
  }

  problem(msg: string): void {
    this.s.log(`PROBLEM: ${msg}`);
    this.s.results.problems.push(msg);
  }

  /** A broker that died is restarted on its data so the rest of the run can go on. */
  async ensureUp(kind: BrokerKind, before: string): Promise<void> {
    const b = this.broker(kind);
    if (b.pid() !== undefined) return;
    this.problem(
      `${kind} was not running before ${before}; restarted it. Last output: ${b.output().slice(-400).replace(/\s+/g, ' ')}`,
    );
    await b.start({ fresh: false });
  }

  async createTopic(kind: BrokerKind, topic: string, partitions: number): Promise<void> {
    const b = this.broker(kind);
    const client = new Samsa({
      brokers: [`127.0.0.1:${b.port}`],
      logger: 'error',
      clientId: 'bench-admin',
    });
    const admin = client.admin();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
    } catch (err) {
      if (!/already exists/i.test((err as Error).message)) throw err;
    } finally {
      await admin.close();
    }
    // Wait until Metadata shows a leader for every partition, as a client would.
    for (let i = 0; i < 500 && !(await probeOnce(b.port, topic)); i++) await sleep(20);
  }

  /** Runs one measurement against one broker, sampling its memory; failures become rows. */
  async measure(
    op: 'produce' | 'consume',
    gen: LoadGenerator,
    broker: BrokerKind,
    w: Workload,
    topic: string,
    records: number,
    create = op === 'produce',
  ): Promise<ThroughputRow> {
    const row: ThroughputRow = {
      op,
      generator: gen.name,
      broker,
      workload: w,
      records,
      seconds: 0,
      recordsPerSec: 0,
      mbPerSec: 0,
    };
    try {
      await this.ensureUp(broker, `${gen.name} ${op} ${workloadLabel(w)}`);
      if (create) await this.createTopic(broker, topic, w.partitions);
      const pid = this.broker(broker).pid()!;
      const cpu0 = processCpuSeconds(pid);
      const gen0 = reapedChildrenCpuSeconds();
      const sampled = await sampleMemory(pid, () =>
        (op === 'produce' ? gen.produce : gen.consume)(this.ctx(broker), w, topic, records),
      );
      const cpu1 = processCpuSeconds(pid);
      if (cpu0 !== undefined && cpu1 !== undefined) row.brokerCpuSec = cpu1 - cpu0;
      row.generatorCpuSec = reapedChildrenCpuSeconds() - gen0;
      this.notePeak(broker, sampled.maxRss, sampled.hwm);
      const m: Measured = sampled.result;
      row.records = m.records;
      row.seconds = m.seconds;
      row.recordsPerSec = m.seconds > 0 ? m.records / m.seconds : 0;
      row.mbPerSec = (row.recordsPerSec * w.size) / 1e6;
      if (m.latency) row.latency = m.latency;
      this.s.log(
        `${broker.padEnd(5)} ${gen.name} ${op} ${workloadLabel(w)}: ${row.mbPerSec.toFixed(1)} MB/s (${Math.round(row.recordsPerSec)} rec/s)`,
      );
    } catch (err) {
      row.error = (err as Error).message.split('\n')[0]!.slice(0, 300);
      this.problem(`${gen.name} ${op} ${workloadLabel(w)} on ${broker}: ${row.error}`);
    }
    this.s.results.throughput.push(row);
    return row;
  }

  notePeak(broker: BrokerKind, maxRss: number, hwm: number): void {
    const p = this.peakRss[broker];
    p.max = Math.max(p.max, maxRss);
    p.hwm = Math.max(p.hwm, hwm);
  }

  peakMemory(broker: BrokerKind) {
    const pid = this.s.brokers[broker]?.pid();
    const now = pid !== undefined ? readMemory(pid) : undefined;
    return {
      max: this.peakRss[broker].max,
      hwm: Math.max(this.peakRss[broker].hwm, now?.hwm ?? 0),
    };
  }

  async warmUp(): Promise<void> {
    const w: Workload = { size: 1024, acks: '1', partitions: 1, compression: 'none' };
    const kinds: BrokerKind[] = this.s.brokers.null
      ? ['kafka', 'samsa', 'null']
      : ['kafka', 'samsa'];
    for (const b of kinds) {
      const row = await this.measure(
        'produce',
        this.s.java,
        b,
        w,
        'warmup',
        this.s.plan.records(w) / 4,
      );
      this.s.results.throughput.pop(); // warm-up figures are not results
      if (row.error) this.problem(`warm-up on ${b} failed`);
    }
  }

  /** The whole matrix, then again (plan.repeats): a burst of someone else's work hits one pass. */
  async producePhase(): Promise<void> {
    for (let run = 1; run <= this.s.plan.repeats; run++) {
      for (const w of this.s.plan.produce) {
        // Every pass writes a fresh topic, so each one appends to an empty log.
        const topic = run === 1 ? topicName('perf', w) : `${topicName('perf', w)}-r${run}`;
        for (const b of this.order(true)) {
          const row = await this.measure(
            'produce',
            this.s.java,
            b,
            w,
            topic,
            this.s.plan.records(w),
          );
          row.run = run;
        }
      }
    }
  }

  /** Reads back topics of the produce phase (writing them first if that phase was skipped). */
  async consumePhase(): Promise<void> {
    const gens = this.s.generators.filter((g) => !g.unavailable && g.name !== 'kafka-perf');
    let first = true;
    for (const w of this.s.plan.consume) {
      const topic = topicName('perf', w);
      const records = this.s.plan.records(w);
      const kinds: BrokerKind[] = this.s.brokers.null
        ? ['kafka', 'samsa', 'null']
        : ['kafka', 'samsa'];
      for (const b of kinds) {
        const have = this.s.results.throughput.some(
          (r) =>
            r.op === 'produce' &&
            r.generator === 'kafka-perf' &&
            r.broker === b &&
            !r.error &&
            topicName('perf', r.workload) === topic,
        );
        if (!have) {
          await this.measure('produce', this.s.java, b, w, topic, records);
          this.s.results.throughput.pop();
        }
      }
      for (const g of [this.s.java, ...gens]) {
        if (!g.supports('consume', w)) continue;
        // Node clients read the first topic only, once, with fewer records: their cost per
        // record is the client's, and one topic is enough to compare them.
        const node = g.name.endsWith('-client') || g.name === 'samsa-perf';
        if (node && !first) continue;
        const n = node ? Math.min(records, this.s.plan.clientRecords(w)) : records;
        for (let run = 1; run <= (node ? 1 : this.s.plan.consumeRepeats); run++) {
          for (const b of this.order(true)) {
            const row = await this.measure('consume', g, b, w, topic, n, false);
            row.run = run;
          }
        }
      }
      first = false;
    }
  }

  async clientsPhase(): Promise<void> {
    const gens = this.s.generators.filter((g) => !g.unavailable && g.name !== 'kafka-perf');
    for (const w of this.s.plan.clientProduce) {
      for (const g of gens) {
        if (!g.supports('produce', w)) continue;
        const node = g.name.endsWith('-client') || g.name === 'samsa-perf';
        const n = node ? this.s.plan.clientRecords(w) : this.s.plan.records(w);
        // kcat is as broker-bound as a producer gets here, so it gets the repeats too.
        for (let run = 1; run <= (node ? 1 : this.s.plan.repeats); run++) {
          const topic = run === 1 ? topicName(g.name, w) : `${topicName(g.name, w)}-r${run}`;
          for (const b of this.order(true)) {
            const row = await this.measure('produce', g, b, w, topic, n);
            row.run = run;
          }
        }
      }
    }
  }

  async latencyPhase(): Promise<void> {
    const { plan } = this.s;
    const w = plan.latencyWorkload;
    // Half of Kafka's peak for this workload, measured in this run (measured now if missing).
    let peak = this.s.results.throughput.find(
      (r) =>
        r.op === 'produce' &&
        r.generator === 'kafka-perf' &&
        r.broker === 'kafka' &&
        !r.error &&
        topicName('x', r.workload) === topicName('x', w),
    );
    if (!peak) {
      peak = await this.measure(
        'produce',
        this.s.java,
        'kafka',
        w,
        topicName('perf', w),
        plan.records(w),
      );
    }
    if (peak.error || peak.recordsPerSec <= 0) {
      this.problem('no Kafka peak rate, so no half-peak latency run');
    } else {
      const rate = Math.round(peak.recordsPerSec / 2);
      const records = Math.max(1000, Math.round(rate * plan.latencySeconds));
      for (const b of this.order(true)) {
        await this.latencyRun(
          'produce-half-peak',
          'kafka-perf',
          b,
          rate,
          w.size,
          records,
          async () => {
            const topic = `${topicName('halfpeak', w)}-${Date.now()}`;
            await this.createTopic(b, topic, w.partitions);
            return (await this.s.java.produceAtRate(this.ctx(b), w, topic, records, rate)).latency!;
          },
        );
      }
      // The same rate through librdkafka, without its first second: no JIT warm-up in it, so
      // the tail is the broker's (and the machine's) rather than the Java producer's.
      if (this.s.python) {
        for (const b of this.order(true)) {
          await this.latencyRun(
            'produce-half-peak-librdkafka',
            'librdkafka (confluent-kafka)',
            b,
            rate,
            w.size,
            records,
            async () => {
              const topic = `${topicName('halfpeak-rdk', w)}-${Date.now()}`;
              await this.createTopic(b, topic, w.partitions);
              return this.produceLatency(b, w, topic, records, rate);
            },
          );
        }
      }
    }
    if (this.s.python) {
      const count = plan.e2eRate * plan.e2eSeconds;
      for (const b of this.order()) {
        await this.latencyRun(
          'e2e-fixed-rate',
          'librdkafka (confluent-kafka)',
          b,
          plan.e2eRate,
          1024,
          count,
          () => this.fixedRateE2e(b, count),
        );
      }
    } else {
      this.problem(
        'confluent-kafka (Python) not found: no fixed-rate end-to-end latency (scripts/install-compat.sh installs it)',
      );
    }
    for (const b of this.order()) {
      await this.latencyRun(
        'e2e-ping-pong',
        'kafka-perf',
        b,
        0,
        1024,
        plan.pingPongRecords,
        async () => {
          const topic = `pingpong-${Date.now()}`;
          await this.createTopic(b, topic, 1);
          return this.s.java.endToEnd(this.ctx(b), topic, plan.pingPongRecords, 1024);
        },
      );
    }
  }

  private async latencyRun(
    test: LatencyRow['test'],
    generator: string,
    broker: BrokerKind,
    rate: number,
    size: number,
    records: number,
    work: () => Promise<Latency>,
  ): Promise<void> {
    const row = {
      test,
      generator,
      broker,
      rate,
      size,
      records,
      latency: {} as Latency,
      error: undefined as string | undefined,
    };
    try {
      await this.ensureUp(broker, test);
      const sampled = await sampleMemory(this.broker(broker).pid()!, work);
      this.notePeak(broker, sampled.maxRss, sampled.hwm);
      row.latency = sampled.result;
      this.s.log(
        `${broker.padEnd(5)} ${test}: p50 ${row.latency.p50} ms, p99 ${row.latency.p99} ms, p99.9 ${row.latency.p999} ms`,
      );
    } catch (err) {
      row.error = (err as Error).message.split('\n')[0]!.slice(0, 300);
      this.problem(`${test} on ${broker}: ${row.error}`);
    }
    this.s.results.latency.push(row);
  }

  /** Send-to-ack latency at a fixed rate through librdkafka (e2e_rate.py produce-latency). */
  private async produceLatency(
    b: BrokerKind,
    w: Workload,
    topic: string,
    records: number,
    rate: number,
  ): Promise<Latency> {
    const ctx = this.ctx(b);
    const args = [
      join(this.s.repoDir, 'bench/lib/e2e_rate.py'),
      'produce-latency',
      '--bootstrap',
      ctx.bootstrap,
      '--topic',
      topic,
      '--count',
      String(records),
      '--skip',
      String(rate),
      '--rate',
      String(rate),
      '--size',
      String(w.size),
      '--acks',
      w.acks,
    ];
    ctx.record(shellLine('python', args));
    const r = await run(this.s.python!, args, { timeoutMs: (records / rate) * 4_000 + 60_000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.code !== 0 || !line.startsWith('{'))
      throw new Error(`produce-latency failed: ${r.stderr.slice(-300)}`);
    const out = JSON.parse(line) as Latency & { measured: number; failed: number };
    if (out.failed > 0) throw new Error(`${out.failed} records were not acknowledged`);
    return out;
  }

  private async fixedRateE2e(b: BrokerKind, count: number): Promise<Latency> {
    const { plan, python } = this.s;
    const topic = `e2e-${Date.now()}`;
    await this.createTopic(b, topic, 1);
    const ctx = this.ctx(b);
    const script = join(this.s.repoDir, 'bench/lib/e2e_rate.py');
    const common = ['--bootstrap', ctx.bootstrap, '--topic', topic, '--count', String(count)];
    const cArgs = [
      script,
      'consume',
      ...common,
      '--skip',
      String(plan.e2eRate),
      '--timeout',
      String(plan.e2eSeconds * 4 + 30),
    ];
    const pArgs = [
      script,
      'produce',
      ...common,
      '--rate',
      String(plan.e2eRate),
      '--size',
      '1024',
      '--acks',
      '1',
    ];
    ctx.record(`${shellLine('python', cArgs)} &\n${shellLine('python', pArgs)}`);
    const consumer = start(python!, cArgs);
    for (let i = 0; i < 300 && !consumer.stdout().includes('READY') && consumer.isRunning(); i++)
      await sleep(50);
    if (!consumer.stdout().includes('READY'))
      throw new Error(`e2e consumer did not start: ${consumer.output().slice(-300)}`);
    const p = await run(python!, pArgs, { timeoutMs: plan.e2eSeconds * 4_000 + 60_000 });
    if (p.code !== 0) throw new Error(`e2e producer failed: ${p.stderr.slice(-300)}`);
    await consumer.exited;
    const line = consumer.stdout().trim().split('\n').pop() ?? '';
    const out = JSON.parse(line) as Latency & { records: number };
    if (out.records < count) throw new Error(`e2e consumer saw ${out.records} of ${count} records`);
    return out;
  }

  /** SIGKILL each broker and time its restart on the same (large) data dir. */
  async recoveryPhase(): Promise<void> {
    const biggest = this.s.results.throughput
      .filter((r) => r.op === 'produce' && r.generator === 'kafka-perf' && !r.error)
      .sort((a, b) => b.records * b.workload.size - a.records * a.workload.size)[0];
    const topic = biggest ? topicName('perf', biggest.workload) : undefined;
    for (const b of ['kafka', 'samsa'] as const) {
      const broker = this.s.brokers[b];
      const row = { broker: b, logBytes: 0, readyMs: 0, error: undefined as string | undefined };
      try {
        await this.ensureUp(b, 'recovery');
        row.logBytes = segmentBytes(broker.dataDir);
        await broker.kill();
        row.readyMs = await broker.start({ fresh: false, readyTopic: topic });
        this.s.log(
          `${b.padEnd(5)} recovery of ${(row.logBytes / 2 ** 20).toFixed(0)} MiB: ready in ${Math.round(row.readyMs)} ms`,
        );
      } catch (err) {
        row.error = (err as Error).message.split('\n')[0]!.slice(0, 300);
        this.problem(`recovery on ${b}: ${row.error}`);
      }
      this.s.results.recovery.push(row);
    }
  }
}

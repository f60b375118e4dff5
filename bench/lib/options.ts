// Command-line options of bench/run.ts and the plan each mode runs (workloads and volumes).
import type { Workload } from './types.js';

export const PHASES = [
  'startup',
  'produce',
  'consume',
  'clients',
  'latency',
  'recovery',
  'profile',
] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  quick: boolean;
  outDir: string;
  /** Report file name without .md; default <date>-vs-kafka[-quick]. */
  name?: string;
  kafkaVersion: string;
  /** How Samsa runs: the compiled build (default, what users run) or src through tsx. */
  samsa: 'dist' | 'tsx';
  build: boolean;
  /** Also run each produce workload against the null broker (the generator's ceiling). */
  ceiling: boolean;
  phases: Set<Phase>;
  /** Re-render the report from a saved results JSON instead of running anything. */
  reportOnly?: string;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]
       node --import tsx bench/run.ts [options]

Starts Apache Kafka (KRaft, one node) and Samsa on this machine, drives both with the same
load generators and writes bench/results/<date>-vs-kafka.md with charts and raw figures.

Options:
  --quick               small volumes, one run of each kind (under 3 minutes)
  --only PHASES         comma-separated subset of: ${PHASES.join(', ')}
  --skip PHASES         run all but these
  --out DIR             where the report goes (default bench/results)
  --name NAME           report file name without .md (default <date>-vs-kafka[-quick])
  --kafka-version V     Apache Kafka version (default 3.9.1; jars via tools/capture/kafka-broker.sh fetch)
  --samsa dist|tsx      run Samsa compiled (default) or from src through tsx
  --no-build            do not run 'npm run build' first (with --samsa dist)
  --no-ceiling          skip the null-broker runs that measure each generator's ceiling
  --report-only FILE    re-render the report from a saved <name>.json
  -h, --help            this text`;

function phaseList(v: string, flag: string): Phase[] {
  return v.split(',').map((p) => {
    const t = p.trim() as Phase;
    if (!PHASES.includes(t))
      throw new Error(`${flag}: unknown phase '${p}' (${PHASES.join(', ')})`);
    return t;
  });
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = {
    quick: false,
    outDir: 'bench/results',
    kafkaVersion: process.env.KAFKA_VERSION ?? '3.9.1',
    samsa: 'dist',
    build: true,
    ceiling: true,
    phases: new Set(PHASES),
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--quick':
        o.quick = true;
        break;
      case '--only':
        o.phases = new Set(phaseList(value(), a));
        break;
      case '--skip':
        for (const p of phaseList(value(), a)) o.phases.delete(p);
        break;
      case '--out':
        o.outDir = value();
        break;
      case '--name':
        o.name = value();
        break;
      case '--kafka-version':
        o.kafkaVersion = value();
        break;
      case '--samsa': {
        const v = value();
        if (v !== 'dist' && v !== 'tsx')
          throw new Error(`--samsa: expected dist or tsx, got '${v}'`);
        o.samsa = v;
        break;
      }
      case '--no-build':
        o.build = false;
        break;
      case '--no-ceiling':
        o.ceiling = false;
        break;
      case '--report-only':
        o.reportOnly = value();
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new Error(`unknown option '${a}' (see --help)`);
    }
  }
  return o;
}

export interface Plan {
  /** Produce workloads for Kafka's ProducerPerformance (the full matrix). */
  produce: Workload[];
  /** The subset also run with kcat and the Node clients. */
  clientProduce: Workload[];
  /** Topics written by the produce phase that are read back (from the page cache). */
  consume: Workload[];
  records(w: Workload): number;
  /** Passes over the Kafka-tool and kcat runs; the report shows the best of them. */
  repeats: number;
  /**
   * Passes of each consume workload per broker. A consume run reads 150-250 MB in well under a
   * second of fetching, so one burst of other work (or the consumer's JIT) moves a pass by
   * 20-30 %: more passes than produce gets, at a few seconds each.
   */
  consumeRepeats: number;
  /** Records for the Node.js clients (slower per record than the C and Java tools). */
  clientRecords(w: Workload): number;
  /** Workload whose Kafka peak sets the rate of the half-peak latency run. */
  latencyWorkload: Workload;
  latencySeconds: number;
  e2eRate: number;
  e2eSeconds: number;
  pingPongRecords: number;
  startupRuns: { samsa: number; kafka: number };
  idleSettleMs: number;
  profileRecords: number;
}

const w = (size: number, acks: '1' | 'all', partitions: number, compression: 'none' | 'lz4') => ({
  size,
  acks,
  partitions,
  compression,
});

export function makePlan(quick: boolean): Plan {
  const full: Workload[] = [];
  for (const size of [100, 1024])
    for (const acks of ['1', 'all'] as const)
      for (const partitions of [1, 8])
        for (const compression of ['none', 'lz4'] as const)
          full.push(w(size, acks, partitions, compression));
  const latencyWorkload = w(1024, 'all', 1, 'none');
  if (quick) {
    return {
      produce: [w(100, '1', 1, 'none'), w(1024, 'all', 8, 'lz4'), latencyWorkload],
      clientProduce: [w(1024, '1', 1, 'none')],
      consume: [w(1024, 'all', 1, 'none')],
      records: (x) => (x.size >= 1024 ? 40_000 : 200_000),
      repeats: 1,
      consumeRepeats: 1,
      clientRecords: (x) => (x.size >= 1024 ? 20_000 : 50_000),
      latencyWorkload,
      latencySeconds: 3,
      e2eRate: 10_000,
      e2eSeconds: 3,
      pingPongRecords: 300,
      startupRuns: { samsa: 1, kafka: 0 },
      idleSettleMs: 2_000,
      profileRecords: 30_000,
    };
  }
  return {
    produce: full,
    clientProduce: [
      w(100, '1', 1, 'none'),
      w(1024, '1', 1, 'none'),
      w(100, 'all', 1, 'none'),
      w(1024, 'all', 1, 'none'),
    ],
    consume: [
      w(100, '1', 1, 'none'),
      w(1024, '1', 1, 'none'),
      w(1024, '1', 8, 'none'),
      w(1024, '1', 1, 'lz4'),
    ],
    records: (x) => (x.size >= 1024 ? 250_000 : 1_500_000),
    repeats: 2,
    consumeRepeats: 4,
    clientRecords: (x) => (x.size >= 1024 ? 100_000 : 300_000),
    latencyWorkload,
    latencySeconds: 15,
    e2eRate: 10_000,
    e2eSeconds: 15,
    pingPongRecords: 3_000,
    startupRuns: { samsa: 3, kafka: 2 },
    idleSettleMs: 10_000,
    profileRecords: 200_000,
  };
}

// Renders a BenchResults into the Markdown report and its SVG charts. Pure: figures in, text
// out, so it is tested from fixed figures (test/bench/smoke.test.ts) without running anything.
import type { BrokerKind } from './brokers.js';
import { barChart, CEILING_COLOR, formatNumber, KAFKA_COLOR, SAMSA_COLOR } from './svg.js';
import {
  type BenchResults,
  type Latency,
  type LatencyRow,
  type ThroughputRow,
  type Workload,
  workloadLabel,
} from './types.js';

export interface Rendered {
  markdown: string;
  /** File name (inside the assets dir) -> SVG text. */
  charts: Map<string, string>;
}

/** Hand-written analysis kept across re-renders: everything between these markers survives. */
export const ANALYSIS_START = '<!-- analysis:start -->';
export const ANALYSIS_END = '<!-- analysis:end -->';

const SERIES = [
  { name: 'Apache Kafka', color: KAFKA_COLOR },
  { name: 'Samsa', color: SAMSA_COLOR },
];
const CEILING_SERIES = { name: 'null broker (ceiling)', color: CEILING_COLOR };

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const num = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '–' : formatNumber(v);
const ratio = (s: number | undefined, k: number | undefined) =>
  s === undefined || k === undefined || !k || !Number.isFinite(s / k) ? undefined : s / k;
const fmtRatio = (r: number | undefined) => (r === undefined ? '–' : `${r.toFixed(2)}×`);
const median = (xs: number[]) => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

function sameWorkload(a: Workload, b: Workload): boolean {
  return (
    a.size === b.size &&
    a.acks === b.acks &&
    a.partitions === b.partitions &&
    a.compression === b.compression
  );
}

/**
 * Kafka, Samsa and null-broker rows of one generator, paired by workload, in first-seen order.
 * A workload run more than once is represented by its best run (the least disturbed by other
 * work on the machine); `runs` keeps every MB/s figure for the table.
 */
export function pairs(rows: ThroughputRow[], op: 'produce' | 'consume', generator: string) {
  const out: ({
    w: Workload;
    runs: Record<BrokerKind, number[]>;
  } & Partial<Record<BrokerKind, ThroughputRow>>)[] = [];
  for (const r of rows) {
    if (r.op !== op || r.generator !== generator) continue;
    let p = out.find((x) => sameWorkload(x.w, r.workload));
    if (!p) {
      p = { w: r.workload, runs: { kafka: [], samsa: [], null: [] } };
      out.push(p);
    }
    if (!r.error) p.runs[r.broker].push(r.mbPerSec);
    const best = p[r.broker];
    if (!best || (best.error && !r.error) || (!r.error && r.mbPerSec > best.mbPerSec)) {
      p[r.broker] = r;
    }
  }
  return out;
}

const ok = (r?: ThroughputRow) => (r && !r.error ? r : undefined);

/** CPU seconds per GB of payload, or undefined when not measured. */
export function cpuPerGb(r: ThroughputRow | undefined, cpu: 'brokerCpuSec' | 'generatorCpuSec') {
  const sec = r?.[cpu];
  if (!r || r.error || sec === undefined || r.records <= 0) return undefined;
  return sec / ((r.records * r.workload.size) / 1e9);
}

function throughputTable(rows: ThroughputRow[], op: 'produce' | 'consume', gen: string): string[] {
  const ps = pairs(rows, op, gen);
  if (ps.length === 0) return [];
  const withLatency = op === 'produce' && ps.some((p) => p.kafka?.latency || p.samsa?.latency);
  const withCeiling = ps.some((p) => p.null);
  const repeated = ps.some((p) => p.runs.kafka.length > 1 || p.runs.samsa.length > 1);
  const lines = [
    `| workload | Kafka MB/s | Samsa MB/s | Samsa/Kafka |${withCeiling ? ' ceiling MB/s | ceiling/Kafka |' : ''}${withLatency ? ' Kafka p99 ms | Samsa p99 ms |' : ''}${repeated ? ' every run MB/s, Kafka; Samsa |' : ''}`,
    `|---|---:|---:|---:|${withCeiling ? '---:|---:|' : ''}${withLatency ? '---:|---:|' : ''}${repeated ? '---|' : ''}`,
  ];
  for (const p of ps) {
    const k = ok(p.kafka);
    const s = ok(p.samsa);
    const n = ok(p.null);
    const cell = (
      r: ThroughputRow | undefined,
      orig: ThroughputRow | undefined,
      f: (r: ThroughputRow) => number | undefined,
    ) => (r ? num(f(r)) : orig?.error ? 'failed' : '–');
    lines.push(
      `| ${workloadLabel(p.w)} | ${cell(k, p.kafka, (r) => r.mbPerSec)} | ${cell(s, p.samsa, (r) => r.mbPerSec)} | ${fmtRatio(ratio(s?.mbPerSec, k?.mbPerSec))} |${withCeiling ? ` ${cell(n, p.null, (r) => r.mbPerSec)} | ${fmtRatio(ratio(n?.mbPerSec, k?.mbPerSec))} |` : ''}${withLatency ? ` ${cell(k, p.kafka, (r) => r.latency?.p99)} | ${cell(s, p.samsa, (r) => r.latency?.p99)} |` : ''}${repeated ? ` ${p.runs.kafka.map(num).join(', ')}; ${p.runs.samsa.map(num).join(', ')} |` : ''}`,
    );
  }
  return lines;
}

/** Broker and generator CPU per GB of the rows throughputTable shows. */
function cpuTable(rows: ThroughputRow[], op: 'produce' | 'consume', gen: string): string[] {
  const ps = pairs(rows, op, gen).filter(
    (p) =>
      cpuPerGb(p.kafka, 'brokerCpuSec') !== undefined ||
      cpuPerGb(p.samsa, 'brokerCpuSec') !== undefined,
  );
  if (ps.length === 0) return [];
  const withCeiling = ps.some((p) => cpuPerGb(p.null, 'generatorCpuSec') !== undefined);
  const f = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(2));
  const lines = [
    `| workload | broker CPU s/GB, Kafka | broker CPU s/GB, Samsa | Samsa/Kafka | generator CPU s/GB with Kafka | with Samsa |${withCeiling ? ' with the null broker |' : ''}`,
    `|---|---:|---:|---:|---:|---:|${withCeiling ? '---:|' : ''}`,
  ];
  for (const p of ps) {
    const kb = cpuPerGb(p.kafka, 'brokerCpuSec');
    const sb = cpuPerGb(p.samsa, 'brokerCpuSec');
    lines.push(
      `| ${workloadLabel(p.w)} | ${f(kb)} | ${f(sb)} | ${fmtRatio(ratio(sb, kb))} | ${f(cpuPerGb(p.kafka, 'generatorCpuSec'))} | ${f(cpuPerGb(p.samsa, 'generatorCpuSec'))} |${withCeiling ? ` ${f(cpuPerGb(p.null, 'generatorCpuSec'))} |` : ''}`,
    );
  }
  return lines;
}

function throughputChart(
  rows: ThroughputRow[],
  op: 'produce' | 'consume',
  gens: string[],
  title: string,
) {
  const ps = gens.flatMap((g) => pairs(rows, op, g).map((p) => ({ g, p })));
  const withCeiling = ps.some(({ p }) => ok(p.null));
  const groups = ps.map(({ g, p }) => ({
    label: gens.length > 1 ? `${g}: ${workloadLabel(p.w)}` : workloadLabel(p.w),
    values: [
      ok(p.kafka)?.mbPerSec,
      ok(p.samsa)?.mbPerSec,
      ...(withCeiling ? [ok(p.null)?.mbPerSec] : []),
    ],
  }));
  if (groups.length === 0) return undefined;
  return barChart({
    title,
    unit: 'MB/s',
    series: withCeiling ? [...SERIES, CEILING_SERIES] : SERIES,
    groups,
    width: gens.length > 1 ? 860 : 760,
  });
}

function latencyPair(rows: LatencyRow[], test: LatencyRow['test']) {
  const k = rows.find((r) => r.test === test && r.broker === 'kafka');
  const s = rows.find((r) => r.test === test && r.broker === 'samsa');
  const n = rows.find((r) => r.test === test && r.broker === 'null');
  return { k, s, n };
}

const LATENCY_TITLES: Record<LatencyRow['test'], string> = {
  'produce-half-peak': 'Produce latency at half of Kafka peak rate (send to ack)',
  'produce-half-peak-librdkafka':
    'Produce latency at half of Kafka peak rate, librdkafka, first second left out (send to ack)',
  'e2e-fixed-rate': 'End-to-end latency at a fixed rate (produce to consume)',
  'e2e-ping-pong': 'End-to-end latency, one record at a time (EndToEndLatency)',
};

export function goals(r: BenchResults) {
  const out: { goal: string; target: string; result: string; met: boolean | undefined }[] = [];
  const minRatio = (op: 'produce' | 'consume', gen: string) => {
    const ps = pairs(r.throughput, op, gen);
    const rs = ps
      .map((p) => ratio(ok(p.samsa)?.mbPerSec, ok(p.kafka)?.mbPerSec))
      .filter((x): x is number => x !== undefined);
    if (rs.length === 0) return undefined;
    // Workloads whose ceiling (the null broker under the same generator) leaves room for 1.2×.
    const ceilings = ps
      .map((p) => ratio(ok(p.null)?.mbPerSec, ok(p.kafka)?.mbPerSec))
      .filter((x): x is number => x !== undefined);
    return {
      min: Math.min(...rs),
      med: median(rs)!,
      n: rs.length,
      met: rs.filter((x) => x >= 1.2).length,
      ceilings: ceilings.length,
      reachable: ceilings.filter((x) => x >= 1.2).length,
    };
  };
  const neutral: [string, (op: string) => string][] = [
    [
      'kafka-perf',
      (op) => `Kafka's ${op === 'produce' ? 'ProducerPerformance' : 'ConsumerPerformance'}`,
    ],
    ['kcat', () => 'kcat, librdkafka'],
  ];
  for (const [gen, label] of neutral)
    for (const op of ['produce', 'consume'] as const) {
      const m = minRatio(op, gen);
      if (!m && gen !== 'kafka-perf') continue;
      out.push({
        goal: `${op} MB/s vs Kafka, every workload (${label(op)})`,
        target: '≥ 1.20×',
        result: m
          ? `min ${fmtRatio(m.min)}, median ${fmtRatio(m.med)}; ${m.met}/${m.n} workloads at ≥ 1.2×${m.ceilings ? `; the generator's ceiling leaves room for 1.2× on ${m.reachable}/${m.ceilings}` : ''}`
          : 'not measured',
        met: m ? m.min >= 1.2 : undefined,
      });
    }
  for (const [test, by] of [
    ['produce-half-peak', "Kafka's ProducerPerformance"],
    ['produce-half-peak-librdkafka', 'librdkafka, after its first second'],
  ] as const) {
    const lat = latencyPair(r.latency, test);
    if (!lat.k && !lat.s && test !== 'produce-half-peak') continue;
    const lr = ratio(lat.s?.latency.p99, lat.k?.latency.p99);
    out.push({
      goal: `p99 produce latency at half of Kafka's peak (${lat.k ? `${formatNumber(lat.k.rate)} rec/s` : '?'}, ${by})`,
      target: '≤ 0.80× Kafka',
      result:
        lr === undefined
          ? 'not measured'
          : `${num(lat.s?.latency.p99)} ms vs ${num(lat.k?.latency.p99)} ms = ${fmtRatio(lr)}${lat.n && !lat.n.error ? ` (null broker: ${num(lat.n.latency.p99)} ms)` : ''}`,
      met: lr === undefined ? undefined : lr <= 0.8,
    });
  }
  const mem = (b: BrokerKind) => r.memory.find((m) => m.broker === b);
  const mk = mem('kafka');
  const ms = mem('samsa');
  for (const [label, f] of [
    ['idle', (m: NonNullable<typeof mk>) => m.idleRss],
    ['under load (peak)', (m: NonNullable<typeof mk>) => Math.max(m.loadMaxRss, m.loadHwm)],
  ] as const) {
    const x = mk && ms && f(mk) > 0 && f(ms) > 0 ? f(ms) / f(mk) : undefined;
    out.push({
      goal: `broker RSS ${label}`,
      target: '≤ 0.25× Kafka',
      result: x === undefined ? 'not measured' : `${mb(f(ms!))} vs ${mb(f(mk!))} = ${fmtRatio(x)}`,
      met: x === undefined ? undefined : x <= 0.25,
    });
  }
  const st = r.startup.find((s) => s.broker === 'samsa');
  const stMed = st ? median(st.readyMs) : undefined;
  out.push({
    goal: 'Samsa start to ready (median)',
    target: '≤ 1000 ms',
    result: stMed === undefined ? 'not measured' : `${Math.round(stMed)} ms`,
    met: stMed === undefined ? undefined : stMed <= 1000,
  });
  for (const [other, target] of [
    ['kafkajs', 2],
    ['platformatic', 1.2],
  ] as const) {
    const rs: number[] = [];
    for (const s of r.throughput) {
      if (s.op !== 'produce' || s.generator !== 'samsa-client' || s.error) continue;
      const o = r.throughput.find(
        (x) =>
          x.op === 'produce' &&
          x.generator === `${other}-client` &&
          x.broker === s.broker &&
          !x.error &&
          sameWorkload(x.workload, s.workload),
      );
      const q = ratio(s.mbPerSec, o?.mbPerSec);
      if (q !== undefined) rs.push(q);
    }
    out.push({
      goal: `Samsa client produce vs ${other === 'kafkajs' ? 'KafkaJS' : '@platformatic/kafka'} (same broker, same workload)`,
      target: `≥ ${target.toFixed(1)}×`,
      result: rs.length
        ? `min ${fmtRatio(Math.min(...rs))}, median ${fmtRatio(median(rs))} over ${rs.length} runs`
        : 'not measured',
      met: rs.length ? Math.min(...rs) >= target : undefined,
    });
  }
  return out;
}

function keepAnalysis(previous: string | undefined): string {
  if (previous) {
    const a = previous.indexOf(ANALYSIS_START);
    const b = previous.indexOf(ANALYSIS_END);
    if (a >= 0 && b > a) return previous.slice(a, b + ANALYSIS_END.length);
  }
  return `${ANALYSIS_START}\n_No analysis written for this run yet._\n${ANALYSIS_END}`;
}

export function renderReport(r: BenchResults, assets: string, previous?: string): Rendered {
  const charts = new Map<string, string>();
  const L: string[] = [];
  const date = r.startedAt.slice(0, 10);
  const minutes = r.finishedAt
    ? (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 60_000
    : undefined;
  L.push(
    `# Samsa vs Apache Kafka ${r.versions.kafka ?? ''}, ${date}${r.mode === 'quick' ? ' (quick mode)' : ''}`,
    '',
  );
  L.push(
    `Both brokers ran on this machine in the same run, driven by the same load generators. Command: \`${r.command}\`${minutes !== undefined ? ` (${minutes.toFixed(1)} minutes)` : ''}.`,
    '',
    `> **Shared, noisy machine.** ${r.machine.cores ?? '?'} cores shared with other engineers' builds and tests while this ran (load average ${r.machine.loadBefore ?? '?'} before, ${r.machine.loadAfter ?? '?'} after). The brokers, the load generators and other people's work competed for the same CPUs, so read the figures as Samsa/Kafka ratios within this run, not as the capacity of either broker.${r.mode === 'quick' ? ' Quick mode: small volumes, single runs; a smoke check of the runner, not a result.' : ''}`,
    '',
  );
  for (const n of r.notes) L.push(`- ${n}`);
  if (r.notes.length) L.push('');

  L.push('## Goals', '', '| goal | target | this run | met |', '|---|---|---|---|');
  for (const g of goals(r))
    L.push(
      `| ${g.goal} | ${g.target} | ${g.result} | ${g.met === undefined ? '–' : g.met ? 'yes' : '**no**'} |`,
    );
  L.push('', '## Analysis', '', keepAnalysis(previous), '');

  const gens = [...new Set(r.throughput.map((t) => t.generator))];
  for (const op of ['produce', 'consume'] as const) {
    const opGens = gens.filter((g) => r.throughput.some((t) => t.op === op && t.generator === g));
    if (opGens.length === 0) continue;
    L.push(`## ${op === 'produce' ? 'Produce' : 'Consume'} throughput`, '');
    L.push(
      op === 'produce'
        ? 'Payload MB/s (10^6 bytes of record values per second), from the first send to the last acknowledgement as each tool measures it; p99 is send-to-ack latency at full speed (Kafka tools only).'
        : 'Payload MB/s reading back topics written in the produce phase, from the page cache. ConsumerPerformance: fetch time without the group join; kcat: process wall time; Node clients: first to last record.',
      '',
    );
    const main = opGens.filter((g) => g === 'kafka-perf');
    const rest = opGens.filter((g) => g !== 'kafka-perf');
    for (const [set, name, title] of [
      [
        main,
        `${op}-kafka-tools.svg`,
        `${op === 'produce' ? 'Produce' : 'Consume'} throughput, Kafka's own perf tools`,
      ],
      [
        rest,
        `${op}-other-generators.svg`,
        `${op === 'produce' ? 'Produce' : 'Consume'} throughput, other load generators`,
      ],
    ] as const) {
      const svg = throughputChart(r.throughput, op, [...set], title);
      if (!svg) continue;
      charts.set(name, svg);
      L.push(`![${title}](${assets}/${name})`, '');
    }
    for (const g of opGens) {
      L.push(`### ${g}`, '', ...throughputTable(r.throughput, op, g), '');
      const cpu = cpuTable(r.throughput, op, g);
      if (cpu.length) L.push(...cpu, '');
    }
  }

  if (r.latency.length) {
    L.push('## Latency', '', 'Milliseconds. Kafka 3.9 tools report whole milliseconds.', '');
    L.push(
      '| test | generator | rate rec/s | size | Kafka p50 / p99 / p99.9 | Samsa p50 / p99 / p99.9 | p99 Samsa/Kafka | null broker p50 / p99 / p99.9 |',
      '|---|---|---:|---:|---|---|---:|---|',
    );
    const lat = (l?: Latency) => (l ? `${num(l.p50)} / ${num(l.p99)} / ${num(l.p999)}` : '–');
    for (const test of Object.keys(LATENCY_TITLES) as LatencyRow['test'][]) {
      const { k, s, n } = latencyPair(r.latency, test);
      if (!k && !s) continue;
      const any = (k ?? s)!;
      L.push(
        `| ${test} | ${any.generator} | ${any.rate ? formatNumber(any.rate) : 'one at a time'} | ${any.size} B | ${k?.error ? 'failed' : lat(k?.latency)} | ${s?.error ? 'failed' : lat(s?.latency)} | ${fmtRatio(ratio(s?.latency.p99, k?.latency.p99))} | ${n?.error ? 'failed' : n ? lat(n.latency) : '–'} |`,
      );
      const withNull = n !== undefined && !n.error;
      const svg = barChart({
        title: LATENCY_TITLES[test],
        unit: 'ms',
        log: true,
        series: withNull ? [...SERIES, CEILING_SERIES] : SERIES,
        groups: (['p50', 'p99', 'p999'] as const).map((p) => ({
          label: p === 'p999' ? 'p99.9' : p,
          values: [
            k?.error ? undefined : k?.latency[p],
            s?.error ? undefined : s?.latency[p],
            ...(withNull ? [n.latency[p]] : []),
          ],
        })),
      });
      charts.set(`latency-${test}.svg`, svg);
    }
    L.push('');
    for (const test of Object.keys(LATENCY_TITLES)) {
      if (charts.has(`latency-${test}.svg`))
        L.push(`![${test}](${assets}/latency-${test}.svg)`, '');
    }
  }

  L.push('## Memory, start-up, recovery', '');
  if (r.memory.length) {
    L.push('Resident memory from /proc/<pid>/status of the broker process (the JVM, or node).', '');
    L.push(
      '| broker | idle VmRSS | idle VmHWM | max VmRSS under load | VmHWM after load |',
      '|---|---:|---:|---:|---:|',
    );
    for (const m of r.memory)
      L.push(
        `| ${m.broker} | ${mb(m.idleRss)} | ${mb(m.idleHwm)} | ${mb(m.loadMaxRss)} | ${mb(m.loadHwm)} |`,
      );
    L.push('');
  }
  if (r.startup.length) {
    L.push(
      "Start to ready: from spawning the process to the first Metadata answer naming a live broker (empty data dir; Kafka's storage format step is not counted).",
      '',
    );
    L.push('| broker | runs (ms) | median ms |', '|---|---|---:|');
    for (const s of r.startup)
      L.push(
        `| ${s.broker} | ${s.readyMs.map((x) => Math.round(x)).join(', ')} | ${num(median(s.readyMs))} |`,
      );
    L.push('');
  }
  if (r.recovery.length) {
    L.push(
      'Recovery: SIGKILL under no load after the produce phase, restart on the same data dir, time to a Metadata answer with a leader for the biggest topic.',
      '',
    );
    L.push('| broker | log segments on disk | ready after restart ms |', '|---|---:|---:|');
    for (const x of r.recovery)
      L.push(
        `| ${x.broker} | ${mb(x.logBytes)} | ${x.error ? `failed: ${x.error}` : num(x.readyMs)} |`,
      );
    L.push('');
  }

  if (r.profiles.length) {
    L.push('## Samsa CPU profile', '');
    L.push(
      '`node --cpu-prof` of the Samsa broker under one workload each; self time of the busy (non-idle) samples. The .cpuprofile files are next to this report (open them in Chrome DevTools or speedscope).',
      '',
    );
    for (const p of r.profiles) {
      L.push(
        `### ${p.phase}: ${p.workload}`,
        '',
        `${formatNumber(p.totalMs)} ms sampled, ${p.idlePct.toFixed(0)} % idle. File: [${p.file}](${assets}/${p.file})`,
        '',
      );
      L.push('| by area | self ms | % of busy |', '|---|---:|---:|');
      for (const e of p.byArea.slice(0, 10))
        L.push(`| ${e.name} | ${formatNumber(e.selfMs)} | ${e.pct.toFixed(1)} |`);
      L.push(
        '',
        '| function | where | mostly called from | self ms | % of busy |',
        '|---|---|---|---:|---:|',
      );
      for (const e of p.top.slice(0, 12))
        L.push(
          `| ${e.name} | ${e.location} | ${e.calledFrom ?? ''} | ${formatNumber(e.selfMs)} | ${e.pct.toFixed(1)} |`,
        );
      L.push('');
    }
  }

  L.push('## Setup', '');
  L.push('| | |', '|---|---|');
  for (const [k, v] of Object.entries(r.machine)) L.push(`| ${k} | ${v} |`);
  for (const [k, v] of Object.entries(r.versions)) L.push(`| ${k} | ${v} |`);
  L.push('', 'Settings given to both brokers (Kafka names):', '', '```properties');
  for (const [k, v] of Object.entries(r.settings)) L.push(`${k}=${v}`);
  L.push('```', '', 'Broker command lines:', '');
  for (const [k, v] of Object.entries(r.brokerCommands)) L.push(`- ${k}: \`${v}\``);
  L.push(
    '',
    '<details><summary>Every load-generator command, in run order</summary>',
    '',
    '```sh',
    ...r.commands,
    '```',
    '',
    '</details>',
    '',
  );
  if (r.problems.length) {
    L.push('## Problems in this run', '');
    for (const p of r.problems) L.push(`- ${p}`);
    L.push('');
  }
  L.push(`Raw figures: [${assets}/results.json](${assets}/results.json).`, '');
  return { markdown: L.join('\n'), charts };
}

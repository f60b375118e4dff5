// The figures one run produces. The runner fills a BenchResults, saves it as JSON next to
// the report, and the report and charts are rendered from that JSON alone, so a report can be
// regenerated (or tested) from fixed figures without running anything.
import type { BrokerKind } from './brokers.js';

export type Acks = '1' | 'all';
export type Codec = 'none' | 'lz4';

export interface Workload {
  size: number;
  acks: Acks;
  partitions: number;
  compression: Codec;
}

export interface Latency {
  avg?: number;
  p50?: number;
  p99?: number;
  p999?: number;
  max?: number;
}

export interface ThroughputRow {
  op: 'produce' | 'consume';
  generator: string;
  broker: BrokerKind;
  workload: Workload;
  records: number;
  seconds: number;
  recordsPerSec: number;
  /** Payload MB/s (10^6 bytes), records/s x record size, the same formula for every tool. */
  mbPerSec: number;
  /** Which pass over the workloads (1-based) when runs are repeated. */
  run?: number;
  /** Send-to-acknowledgement latency in ms, where the tool reports it. */
  latency?: Latency;
  /** CPU seconds (user + system, every thread) the broker process spent during the run. */
  brokerCpuSec?: number;
  /** CPU seconds of the load generator's process(es), from the runner's reaped children. */
  generatorCpuSec?: number;
  error?: string;
}

export interface LatencyRow {
  test: 'produce-half-peak' | 'produce-half-peak-librdkafka' | 'e2e-fixed-rate' | 'e2e-ping-pong';
  generator: string;
  broker: BrokerKind;
  /** Offered rate in records/s (0 for one-at-a-time ping-pong). */
  rate: number;
  size: number;
  records: number;
  latency: Latency;
  error?: string;
}

export interface MemoryRow {
  broker: BrokerKind;
  idleRss: number;
  idleHwm: number;
  /** Highest VmRSS sampled while a workload ran against this broker. */
  loadMaxRss: number;
  /** VmHWM at the end of the load phases. */
  loadHwm: number;
}

export interface StartupRow {
  broker: BrokerKind;
  readyMs: number[];
}

export interface RecoveryRow {
  broker: BrokerKind;
  logBytes: number;
  readyMs: number;
  error?: string;
}

export interface ProfileEntry {
  name: string;
  location: string;
  selfMs: number;
  pct: number;
  /** The callers that account for most of this function's time, nearest first. */
  calledFrom?: string;
}

export interface ProfileSummary {
  phase: 'produce' | 'consume';
  file: string;
  /** Sampled time, ms (idle included). */
  totalMs: number;
  idlePct: number;
  top: ProfileEntry[];
  /** Self time grouped by source file or runtime bucket (GC, native, program). */
  byArea: ProfileEntry[];
  workload: string;
}

export interface BenchResults {
  mode: 'quick' | 'full';
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: Record<string, string>;
  versions: Record<string, string>;
  settings: Record<string, string>;
  /** What each broker was started with. */
  brokerCommands: Record<string, string>;
  /** Every load-generator command, in run order. */
  commands: string[];
  throughput: ThroughputRow[];
  latency: LatencyRow[];
  memory: MemoryRow[];
  startup: StartupRow[];
  recovery: RecoveryRow[];
  profiles: ProfileSummary[];
  notes: string[];
  /** Things that failed or were skipped, one sentence each. */
  problems: string[];
}

export function workloadLabel(w: Workload): string {
  const size = w.size >= 1024 ? `${w.size / 1024} KB` : `${w.size} B`;
  return `${size} acks=${w.acks} ${w.partitions}p ${w.compression}`;
}

export function emptyResults(mode: 'quick' | 'full', command: string): BenchResults {
  return {
    mode,
    startedAt: new Date().toISOString(),
    finishedAt: '',
    command,
    machine: {},
    versions: {},
    settings: {},
    brokerCommands: {},
    commands: [],
    throughput: [],
    latency: [],
    memory: [],
    startup: [],
    recovery: [],
    profiles: [],
    notes: [],
    problems: [],
  };
}

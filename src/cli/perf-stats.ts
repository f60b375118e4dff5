// Measuring for `samsa perf`: a latency histogram with fixed memory (however many records), and
// progress as a bar on a terminal or as periodic lines (as Kafka's perf tools print) otherwise.

/** Kafka's perf tools count MB as 2^20 bytes; so do we, so figures compare. */
export const MB = 1024 * 1024;

/**
 * Latencies in ms in log-spaced buckets 1 % wide (from 1 µs to about 20 min): percentiles to
 * within 1 %, in a few KiB, whether 1 000 or 100 million records are measured.
 */
export class LatencyHistogram {
  private static readonly GROWTH = Math.log(1.01);
  private static readonly MIN_MS = 0.001;
  private readonly counts = new Float64Array(2_100);
  count = 0;
  sum = 0;
  max = 0;

  /** Adds `n` samples of `ms` (a send of n records acknowledged together). */
  record(ms: number, n = 1): void {
    const v = Math.max(ms, LatencyHistogram.MIN_MS);
    const i = Math.min(
      this.counts.length - 1,
      Math.floor(Math.log(v / LatencyHistogram.MIN_MS) / LatencyHistogram.GROWTH),
    );
    this.counts[i]! += n;
    this.count += n;
    this.sum += ms * n;
    if (ms > this.max) this.max = ms;
  }

  get avg(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** The latency below which fraction `q` (0.5, 0.99, ...) of the samples fall. */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        // The bucket's middle, never beyond the largest sample seen.
        const mid = LatencyHistogram.MIN_MS * Math.exp((i + 0.5) * LatencyHistogram.GROWTH);
        return Math.min(mid, this.max);
      }
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      avg: round(this.avg),
      max: round(this.max),
      p50: round(this.percentile(0.5)),
      p95: round(this.percentile(0.95)),
      p99: round(this.percentile(0.99)),
      p999: round(this.percentile(0.999)),
    };
  }
}

export interface LatencySummary {
  avg: number;
  max: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Counts since the last report, for the periodic lines. */
interface Window {
  records: number;
  bytes: number;
  latencySum: number;
  latencyMax: number;
  latencyCount: number;
  startedAt: number;
}

/**
 * Progress on stderr: on a terminal a bar redrawn in place; otherwise a line every
 * `intervalMs` with the rate (and latency) of that interval, like kafka-producer-perf-test.
 */
export class Progress {
  private window: Window;
  private timer: NodeJS.Timeout | undefined;
  private done = 0;
  private doneBytes = 0;
  private readonly started = performance.now();
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly verb: 'sent' | 'consumed',
    intervalMs: number,
    stream: { isTTY?: boolean } = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY) && !process.env.SAMSA_PERF_NO_BAR;
    this.window = this.freshWindow();
    const every = this.tty ? 200 : intervalMs;
    this.timer = setInterval(() => this.report(), every);
    this.timer.unref();
  }

  /** `records` more done (with their latency in ms when known). */
  add(records: number, bytes: number, latencyMs?: number): void {
    this.done += records;
    this.doneBytes += bytes;
    const w = this.window;
    w.records += records;
    w.bytes += bytes;
    if (latencyMs !== undefined) {
      w.latencySum += latencyMs * records;
      w.latencyCount += records;
      if (latencyMs > w.latencyMax) w.latencyMax = latencyMs;
    }
  }

  /** Stops reporting and clears the bar. */
  finish(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) process.stderr.write('\r\x1b[2K');
  }

  private freshWindow(): Window {
    return {
      records: 0,
      bytes: 0,
      latencySum: 0,
      latencyMax: 0,
      latencyCount: 0,
      startedAt: performance.now(),
    };
  }

  private report(): void {
    const now = performance.now();
    if (this.tty) {
      const seconds = (now - this.started) / 1000;
      const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
      const width = 30;
      const full = Math.round(frac * width);
      const bar = `${'#'.repeat(full)}${'.'.repeat(width - full)}`;
      const rate = seconds > 0 ? this.done / seconds : 0;
      const mb = seconds > 0 ? this.doneBytes / MB / seconds : 0;
      process.stderr.write(
        `\r\x1b[2K[${bar}] ${(frac * 100).toFixed(0).padStart(3)}%  ${this.done}/${this.total} ${this.verb}  ` +
          `${Math.round(rate)} records/sec (${mb.toFixed(2)} MB/sec)`,
      );
      return;
    }
    const w = this.window;
    this.window = this.freshWindow();
    const seconds = (now - w.startedAt) / 1000;
    const rate = seconds > 0 ? w.records / seconds : 0;
    const mb = seconds > 0 ? w.bytes / MB / seconds : 0;
    let line = `${w.records} records ${this.verb}, ${rate.toFixed(1)} records/sec (${mb.toFixed(2)} MB/sec)`;
    if (w.latencyCount > 0) {
      line += `, ${(w.latencySum / w.latencyCount).toFixed(1)} ms avg latency, ${w.latencyMax.toFixed(1)} ms max latency`;
    }
    process.stderr.write(`${line}.\n`);
  }
}

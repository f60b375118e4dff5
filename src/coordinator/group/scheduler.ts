// Time for the coordinator: a clock plus one-shot timers. The real one uses unref'ed
// setTimeout so a broker with idle groups can still exit; tests use ManualScheduler and move
// time by hand, which makes session and rebalance timeouts deterministic.

export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout(fn, delayMs) {
    const t = setTimeout(fn, Math.max(0, Math.min(delayMs, 2 ** 31 - 1)));
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told to; timers fire in deadline order during advance(). */
export class ManualScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, delayMs: number): unknown {
    const t: ManualTimer = {
      at: this.time + Math.max(0, delayMs),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.timers.push(t);
    return t;
  }

  clearTimeout(handle: unknown): void {
    (handle as ManualTimer).cancelled = true;
  }

  /** Timers not yet fired nor cancelled. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves the clock forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: ManualTimer | undefined;
      for (const t of this.timers) {
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq)))
          next = t;
      }
      if (!next) break;
      this.time = Math.max(this.time, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.time = end;
  }
}

/**
 * Keyed timers of one coordinator partition: scheduling a key again replaces the previous
 * timer, as Kafka's CoordinatorTimer does, and closing cancels them all.
 */
export class KeyedTimer {
  private readonly handles = new Map<string, unknown>();
  private closed = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly run: (key: string, fn: () => void) => void,
  ) {}

  schedule(key: string, delayMs: number, fn: () => void): void {
    if (this.closed) return;
    this.cancel(key);
    const handle = this.scheduler.setTimeout(() => {
      if (this.handles.get(key) !== handle) return;
      this.handles.delete(key);
      this.run(key, fn);
    }, delayMs);
    this.handles.set(key, handle);
  }

  cancel(key: string): void {
    const h = this.handles.get(key);
    if (h === undefined) return;
    this.scheduler.clearTimeout(h);
    this.handles.delete(key);
  }

  isScheduled(key: string): boolean {
    return this.handles.has(key);
  }

  get size(): number {
    return this.handles.size;
  }

  close(): void {
    this.closed = true;
    for (const h of this.handles.values()) this.scheduler.clearTimeout(h);
    this.handles.clear();
  }
}

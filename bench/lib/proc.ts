// Child processes for the benchmark: every process the runner starts is registered here and
// killed when the runner exits, however it exits, so an interrupted run leaves no JVM behind.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const child of live) {
      // Brokers run in their own process group (detached) so their helpers die with them.
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

export interface Started {
  child: ChildProcess;
  pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
}

/** Starts a long-running process in its own process group and captures its output. */
export function start(
  cmd: string,
  args: string[],
  options: SpawnOptions & { keepOutput?: number } = {},
): Started {
  hookExit();
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...options,
  });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  live.add(child);
  const keep = options.keepOutput ?? 1 << 20;
  const text = { all: '', out: '', err: '' };
  const append = (s: string, which: 'out' | 'err') => {
    text.all += s;
    text[which] += s;
    for (const k of ['all', which] as const) {
      if (text[k].length > keep) text[k] = text[k].slice(-keep);
    }
  };
  child.stdout?.on('data', (c: Buffer) => append(c.toString(), 'out'));
  child.stderr?.on('data', (c: Buffer) => append(c.toString(), 'err'));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.on('error', () => {
      live.delete(child);
      resolve({ code: -1, signal: null });
    });
  });
  return {
    child,
    pid: child.pid,
    output: () => text.all,
    stdout: () => text.out,
    stderr: () => text.err,
    exited,
    isRunning: () => child.exitCode === null && child.signalCode === null,
  };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs a command to completion (killed after timeoutMs) and returns its output and wall time. */
export async function run(
  cmd: string,
  args: string[],
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<RunResult> {
  const t0 = performance.now();
  const p = start(cmd, args, options);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalGroup(p.pid, 'SIGKILL');
  }, options.timeoutMs ?? 300_000);
  const how = await p.exited;
  clearTimeout(timer);
  return { ...how, stdout: p.stdout(), stderr: p.stderr(), ms: performance.now() - t0, timedOut };
}

/** Sends a signal to a process group (processes started here lead their own group). */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export interface Memory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size of the process so far (VmHWM), bytes. */
  hwm: number;
}

/** VmRSS and VmHWM from /proc/<pid>/status, or undefined once the process is gone. */
export function readMemory(pid: number): Memory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Samples a process's RSS while `work` runs; returns the highest VmRSS seen and VmHWM after. */
export async function sampleMemory<T>(
  pid: number,
  work: () => Promise<T>,
  intervalMs = 200,
): Promise<{ result: T; maxRss: number; hwm: number }> {
  let maxRss = readMemory(pid)?.rss ?? 0;
  const timer = setInterval(() => {
    const m = readMemory(pid);
    if (m && m.rss > maxRss) maxRss = m.rss;
  }, intervalMs);
  try {
    const result = await work();
    const m = readMemory(pid);
    if (m && m.rss > maxRss) maxRss = m.rss;
    return { result, maxRss, hwm: m?.hwm ?? 0 };
  } finally {
    clearInterval(timer);
  }
}

/** Linux reports process times in clock ticks of USER_HZ, 100 per second on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces). */
function statFields(pid: number | 'self'): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds (user + system, all threads) a live process has used, or undefined once gone. */
export function processCpuSeconds(pid: number): number | undefined {
  const f = statFields(pid);
  // utime and stime are fields 14 and 15 of stat(5); f starts at field 3.
  return f ? (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND : undefined;
}

/**
 * CPU seconds of this process's children that have exited and been waited for (cutime and
 * cstime): the load generators the runner started and reaped. Brokers still running are not in
 * it, so the difference across a run is the generator's CPU.
 */
export function reapedChildrenCpuSeconds(): number {
  const f = statFields('self');
  return f ? (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND : 0;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Quotes a command line for the report (only what a shell would need). */
export function shellLine(cmd: string, args: readonly string[]): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [cmd, ...args].map(q).join(' ');
}

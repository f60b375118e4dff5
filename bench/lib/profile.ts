// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function and per area
// (source file, or a runtime bucket such as GC), so the report can name the biggest costs.
import { readFileSync } from 'node:fs';
import type { ProfileEntry } from './types.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const RUNTIME = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);

/** Where a function lives, shortened for the report: src/…, node:…, a package, or native. */
export function areaOf(url: string, functionName: string): string {
  if (RUNTIME.has(functionName)) return functionName;
  if (!url) return '(native / V8 builtins)';
  const u = url.replace(/^file:\/\//, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return `npm:${nm[1]}`;
  if (u.startsWith('node:')) return u;
  const src = /\/(src|dist)\/(.*)$/.exec(u);
  if (src) return `src/${src[2]!.replace(/\.js$/, '.ts')}`;
  return u;
}

/** file:line as V8 saw it (for the compiled build, a line of dist/…js, not of the .ts). */
function locationOf(url: string, functionName: string, lineNumber: number): string {
  if (!url) return areaOf(url, functionName);
  const u = url.replace(/^file:\/\//, '');
  const short = /\/((?:src|dist)\/.*)$/.exec(u)?.[1] ?? areaOf(url, functionName);
  return `${short}:${lineNumber + 1}`;
}

const frameName = (n: CpuProfileNode) => n.callFrame.functionName || '(anonymous)';

/** Microseconds on CLOCK_MONOTONIC, the clock V8 stamps profiles with. */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time per function and area. With a window (monotonicUs() before and after the
 * workload), only samples inside it count, so start-up and the fsync at shutdown are left out.
 */
export function summarizeProfile(
  path: string,
  window?: { fromUs: number; toUs: number },
  topN = 15,
): { totalMs: number; idlePct: number; top: ProfileEntry[]; byArea: ProfileEntry[] } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The callers of a sampled frame, nearest first, up to three: "who made this cost".
  const callers = (id: number) => {
    const names: string[] = [];
    for (let p = parent.get(id); p !== undefined && names.length < 3; p = parent.get(p)) {
      const n = byId.get(p)!;
      if (RUNTIME.has(n.callFrame.functionName)) break;
      names.push(frameName(n));
    }
    return names.join(' < ');
  };
  const callerUs = new Map<string, Map<string, number>>();
  const selfUs = new Map<number, number>();
  // A sample's delta is wall time since the previous one. When the broker waited for a CPU
  // (this machine is shared), the whole wait lands on whatever frame was on top, typically a
  // syscall that woke the client; capping each sample at twice the usual interval keeps the
  // figures close to on-CPU time.
  const sorted = [...profile.timeDeltas].sort((a, b) => a - b);
  const cap = 2 * (sorted[Math.floor(sorted.length / 2)] ?? 1000);
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.min(delta, cap));
  }
  let totalUs = 0;
  let idleUs = 0;
  const fn = new Map<string, ProfileEntry>();
  const area = new Map<string, ProfileEntry>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const a = areaOf(url, functionName);
    // Native frames (writeBuffer, read, ...) serve many callers: name the JS frame above them,
    // so a socket write and a file write are two rows, not one.
    const above = parent.has(id) ? byId.get(parent.get(id)!) : undefined;
    const name =
      !url && !RUNTIME.has(functionName) && above && !RUNTIME.has(above.callFrame.functionName)
        ? `${frameName(node)} (from ${frameName(above)})`
        : frameName(node);
    const location = locationOf(url, functionName, lineNumber);
    const key = `${name}@${location}`;
    const e = fn.get(key) ?? { name, location, selfMs: 0, pct: 0 };
    e.selfMs += us / 1000;
    fn.set(key, e);
    const via = callers(id);
    const m = callerUs.get(key) ?? new Map<string, number>();
    m.set(via, (m.get(via) ?? 0) + us);
    callerUs.set(key, m);
    const ae = area.get(a) ?? { name: a, location: a, selfMs: 0, pct: 0 };
    ae.selfMs += us / 1000;
    area.set(a, ae);
  }
  const busyMs = (totalUs - idleUs) / 1000;
  const finish = (m: Map<string, ProfileEntry>) =>
    [...m.values()]
      .map((e) => ({ ...e, pct: busyMs > 0 ? (100 * e.selfMs) / busyMs : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, topN);
  return {
    totalMs: totalUs / 1000,
    idlePct: totalUs > 0 ? (100 * idleUs) / totalUs : 0,
    top: finish(fn).map((e) => {
      const m = callerUs.get(`${e.name}@${e.location}`);
      const best = m ? [...m.entries()].sort((x, y) => y[1] - x[1])[0]?.[0] : undefined;
      return best ? { ...e, calledFrom: best } : e;
    }),
    byArea: finish(area),
  };
}

// Version ranges as the emitters need them: intersections, and the cheapest `version` test that
// is right within a known context (inside a struct that only exists from v3, "3+" needs no test).
import type { VersionRange } from './spec.js';

export function intersect(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (a === null || b === null) return null;
  const min = Math.max(a.min, b.min);
  const max = Math.min(a.max, b.max);
  return min <= max ? { min, max } : null;
}

/** The smallest single range holding both (the struct contexts of a common struct). */
export function hull(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (a === null) return b;
  if (b === null) return a;
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

export function covers(outer: VersionRange | null, inner: VersionRange | null): boolean {
  if (inner === null) return true;
  if (outer === null) return false;
  return outer.min <= inner.min && outer.max >= inner.max;
}

export function contains(range: VersionRange | null, version: number): boolean {
  return range !== null && version >= range.min && version <= range.max;
}

/** A test for "version in range" knowing the version is in `context`: 'always', 'never' or TS. */
export type Condition = 'always' | 'never' | string;

export function condition(range: VersionRange | null, context: VersionRange | null): Condition {
  const within = intersect(range, context);
  if (within === null || context === null) return 'never';
  const needMin = within.min > context.min;
  const needMax = within.max < context.max;
  if (!needMin && !needMax) return 'always';
  if (within.min === within.max) return `version === ${within.min}`;
  if (needMin && needMax) return `version >= ${within.min} && version <= ${within.max}`;
  return needMin ? `version >= ${within.min}` : `version <= ${within.max}`;
}

/** `cond ? a : b`, folded when the condition is known. */
export function choose(cond: Condition, a: string, b: string): string {
  if (cond === 'always' || a === b) return a;
  if (cond === 'never') return b;
  return `${cond} ? ${a} : ${b}`;
}

export function formatRange(r: VersionRange): string {
  return r.max === Number.POSITIVE_INFINITY ? `${r.min}+` : `${r.min}-${r.max}`;
}

// Hand-written SVG bar charts: horizontal bars, one group per row label, one bar per series
// (Kafka beside Samsa). No dependency, readable in any browser and on GitHub.

export interface Series {
  name: string;
  color: string;
}

export interface BarGroup {
  label: string;
  /** One value per series; undefined draws no bar (for example a failed run). */
  values: (number | undefined)[];
}

export interface BarChart {
  title: string;
  unit: string;
  series: Series[];
  groups: BarGroup[];
  /** Logarithmic axis, for values that span orders of magnitude (latencies). */
  log?: boolean;
  width?: number;
}

export const KAFKA_COLOR = '#8c8c8c';
export const SAMSA_COLOR = '#2f7ed8';
export const CEILING_COLOR = '#a6cfa0';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100 || Number.isInteger(v)) return Math.round(v).toLocaleString('en-US');
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

/** Round "nice" upper bound for a linear axis. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function barChart(c: BarChart): string {
  // Room for the longest row label (about 7 px per character at 12 px).
  const labelW = Math.max(
    80,
    Math.ceil(Math.max(...c.groups.map((g) => g.label.length), 4) * 7 + 16),
  );
  const width = Math.max(c.width ?? 760, labelW + 420);
  const valueW = 70;
  const barH = 14;
  const gap = 10;
  const top = 48;
  const plotW = width - labelW - valueW - 20;
  const groupH = c.series.length * barH + gap;
  const height = top + c.groups.length * groupH + 40;
  const all = c.groups.flatMap((g) =>
    g.values.filter((v): v is number => v !== undefined && v > 0),
  );
  const maxV = all.length ? Math.max(...all) : 1;
  const minV = all.length ? Math.min(...all) : 1;
  let scale: (v: number) => number;
  let ticks: number[];
  if (c.log) {
    const lo = 10 ** Math.floor(Math.log10(Math.min(minV, maxV)));
    const hi = 10 ** Math.ceil(Math.log10(maxV) + 1e-9);
    const span = Math.log10(hi) - Math.log10(lo) || 1;
    scale = (v) => (v <= lo ? 1 : ((Math.log10(v) - Math.log10(lo)) / span) * plotW);
    ticks = [];
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  } else {
    const hi = niceMax(maxV);
    scale = (v) => (v / hi) * plotW;
    ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * hi);
  }
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(c.title)}</text>`,
  );
  // Legend
  let lx = labelW;
  for (const s of c.series) {
    out.push(
      `<rect x="${lx}" y="30" width="12" height="12" fill="${s.color}"/>`,
      `<text x="${lx + 16}" y="40">${esc(s.name)}</text>`,
    );
    lx += 24 + s.name.length * 7;
  }
  out.push(
    `<text x="${width - 10}" y="40" text-anchor="end" fill="#555">${esc(c.unit)}${c.log ? ' (log scale)' : ''}</text>`,
  );
  const plotBottom = top + c.groups.length * groupH;
  for (const t of ticks) {
    const x = labelW + scale(t);
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${plotBottom}" stroke="#e3e3e3"/>`,
      `<text x="${x.toFixed(1)}" y="${plotBottom + 14}" text-anchor="middle" fill="#555">${formatNumber(t)}</text>`,
    );
  }
  c.groups.forEach((g, gi) => {
    const y0 = top + gi * groupH;
    out.push(
      `<text x="${labelW - 8}" y="${y0 + (c.series.length * barH) / 2 + 4}" text-anchor="end">${esc(g.label)}</text>`,
    );
    c.series.forEach((s, si) => {
      const v = g.values[si];
      const y = y0 + si * barH;
      if (v === undefined || !Number.isFinite(v)) {
        out.push(
          `<text x="${labelW + 4}" y="${y + barH - 3}" fill="#999" font-size="10">n/a</text>`,
        );
        return;
      }
      const w = Math.max(1, scale(v));
      out.push(
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${s.color}"><title>${esc(`${s.name} ${g.label}: ${formatNumber(v)} ${c.unit}`)}</title></rect>`,
        `<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 3}" font-size="10">${formatNumber(v)}</text>`,
      );
    });
  });
  out.push(
    `<line x1="${labelW}" y1="${top - 4}" x2="${labelW}" y2="${plotBottom}" stroke="#333"/>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

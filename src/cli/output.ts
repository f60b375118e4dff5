// How commands print: aligned tables for people, JSON for scripts, colour only for a terminal.

/** Colour when stdout is a terminal and NO_COLOR (https://no-color.org) is unset or empty. */
export function colourEnabled(stream: { isTTY?: boolean } = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
}

const sgr = (on: number, off: number) => (s: string) => `\x1b[${on}m${s}\x1b[${off}m`;
const plain = (s: string) => s;

export function style(enabled = colourEnabled()): Style {
  if (!enabled)
    return { bold: plain, dim: plain, green: plain, yellow: plain, red: plain, cyan: plain };
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    red: sgr(31, 39),
    cyan: sgr(36, 39),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what is stripped
const ANSI = /\x1b\[[0-9;]*m/g;
const visibleLength = (s: string) => s.replace(ANSI, '').length;

export type Cell = string | number | null | undefined;

/**
 * Columns padded to their widest cell, two spaces apart; numbers align right. Empty cells show
 * as '-' so columns stay readable (and parseable with awk).
 */
export function table(headers: string[], rows: Cell[][], s: Style = style()): string {
  const text = rows.map((r) =>
    r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))),
  );
  const right = headers.map(
    (_, i) =>
      rows.some((r) => typeof r[i] === 'number') &&
      rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined),
  );
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...text.map((r) => visibleLength(r[i] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i]! - visibleLength(c)));
        if (i === cells.length - 1 && !right[i]) return c;
        return right[i] ? pad + c : c + pad;
      })
      .join('  ');
  const out = [s.bold(line(headers).trimEnd())];
  for (const r of text) out.push(line(r).trimEnd());
  return `${out.join('\n')}\n`;
}

/** Pretty JSON on stdout, one document per command. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Text on stderr: progress and notes that must not mix with data on stdout. */
export function note(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Colours a consumer group state the way an operator reads it. */
export function groupState(state: string, s: Style): string {
  if (state === 'Stable') return s.green(state);
  if (state === 'Empty') return s.dim(state);
  if (state === 'Dead') return s.red(state);
  return s.yellow(state);
}

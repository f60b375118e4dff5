// Command-line parsing shared by every `samsa` command. Hand-written rather than
// node:util parseArgs because Kafka's tools take negative numbers as option values
// (`--throughput -1`, `--shift-by -10`), which parseArgs refuses as ambiguous.
import { UsageError } from './cli-error.js';

export interface OptionSpec {
  /** 'list' options may repeat; each occurrence adds a value. */
  type: 'string' | 'boolean' | 'list';
  short?: string;
}
export type Spec = Record<string, OptionSpec>;

export type Values<S extends Spec> = {
  [K in keyof S]?: S[K]['type'] extends 'boolean'
    ? boolean
    : S[K]['type'] extends 'list'
      ? string[]
      : string;
};

/** Options every command that talks to a cluster understands. */
export const CLIENT_OPTIONS = {
  bootstrap: { type: 'string', short: 'b' },
  'connect-timeout-ms': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Spec;

export const COMMON_HELP = `Common options:
  -b, --bootstrap HOST:PORT[,...]   Brokers to start from (default $SAMSA_BOOTSTRAP, else 127.0.0.1:9092)
      --connect-timeout-ms MS       Give up on an unreachable broker after MS (default 5000)
      --json                        Machine-readable output on stdout
  -h, --help                        This help

Exit status: 0 success, 1 failure (unreachable broker, unknown topic, refused request), 2 bad usage.`;

/**
 * Splits `args` into options (per `spec`) and positionals. `command` names the command in
 * messages ("samsa topic create").
 */
export function parseArgs<S extends Spec>(
  args: readonly string[],
  spec: S,
  command: string,
): { options: Values<S>; positionals: string[] } {
  const options: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) if (s.short) byShort.set(s.short, name);
  const unknown = (flag: string) =>
    new UsageError(`unknown option '${flag}' for '${command}' (see '${command} --help')`);

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      if (!Object.hasOwn(spec, name)) throw unknown(eq < 0 ? arg : arg.slice(0, eq));
    } else {
      name = byShort.get(arg[1]!);
      if (name === undefined) throw unknown(arg.slice(0, 2));
      if (arg.length > 2) inline = arg.slice(2);
    }
    const s = spec[name]!;
    const flag = `--${name}`;
    if (s.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`option ${flag} takes no value`);
      options[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= args.length) throw new UsageError(`option ${flag} needs a value`);
      value = args[++i]!;
    }
    if (s.type === 'list') ((options[name] ??= []) as string[]).push(value);
    else if (options[name] !== undefined) throw new UsageError(`option ${flag} given twice`);
    else options[name] = value;
  }
  return { options: options as Values<S>, positionals };
}

/** A whole number within [min, max], or a usage error naming the flag. */
export function parseInteger(
  value: string,
  flag: string,
  range: { min?: number; max?: number } = {},
): number {
  const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw new UsageError(`${flag} expects a whole number, got '${value}'`);
  }
  if (range.min !== undefined && n < range.min) {
    throw new UsageError(`${flag} must be at least ${range.min}, got ${n}`);
  }
  if (range.max !== undefined && n > range.max) {
    throw new UsageError(`${flag} must be at most ${range.max}, got ${n}`);
  }
  return n;
}

/** `parseInteger` for an optional flag, with a default. */
export function integerOption(
  value: string | undefined,
  flag: string,
  fallback: number,
  range: { min?: number; max?: number } = {},
): number {
  return value === undefined ? fallback : parseInteger(value, flag, range);
}

/** Milliseconds since the epoch, or an ISO-8601 date/time ("2026-11-25T10:00:00Z"). */
export function parseTimestamp(value: string, flag: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new UsageError(
      `${flag} expects milliseconds since the epoch or an ISO date such as 2026-11-25T10:00:00Z, got '${value}'`,
    );
  }
  return t;
}

/** `key=value` (value may contain '='), as in Kafka's --config and --property flags. */
export function parseKeyValue(value: string, flag: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag} expects key=value, got '${value}'`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/** One of `choices`, or a usage error listing them. */
export function parseChoice<T extends string>(
  value: string,
  flag: string,
  choices: readonly T[],
): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got '${value}'`);
}

/** Exactly `count` positionals (names say what they are, for the message). */
export function expectPositionals(
  positionals: string[],
  names: string[],
  command: string,
  options: { variadic?: boolean } = {},
): void {
  if (positionals.length < names.length) {
    throw new UsageError(`'${command}' needs ${names.slice(positionals.length).join(' and ')}`);
  }
  if (!options.variadic && positionals.length > names.length) {
    throw new UsageError(
      `'${command}' takes ${names.length === 0 ? 'no arguments' : names.join(' ')}; unexpected '${positionals[names.length]}'`,
    );
  }
}

// How CLI commands reach a cluster: bootstrap servers from --bootstrap or SAMSA_BOOTSTRAP, a short
// connect timeout and few retries (a person at a terminal wants "unreachable" in seconds, not the
// client's patient defaults), and client errors turned into one sentence.
import {
  ConnectionError,
  consoleLogger,
  DeserializationError,
  KafkaError,
  RequestTimeoutError,
  type RetryOptions,
  Samsa,
  silentLogger,
} from '../client/index.js';
import { integerOption } from './args.js';
import { CliError, UsageError } from './cli-error.js';

export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';

/** Retries for admin calls and connects: enough for a leader move, not for a dead address. */
export const CLI_RETRY: RetryOptions = {
  retries: 2,
  initialRetryTimeMs: 100,
  maxRetryTimeMs: 1_000,
};

export interface ClientFlags {
  bootstrap?: string;
  'connect-timeout-ms'?: string;
}

/** The bootstrap list: the flag, else SAMSA_BOOTSTRAP, else 127.0.0.1:9092. */
export function bootstrapServers(flag: string | undefined): string[] {
  const raw = flag ?? process.env.SAMSA_BOOTSTRAP ?? DEFAULT_BOOTSTRAP;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const where = flag !== undefined ? '--bootstrap' : 'SAMSA_BOOTSTRAP';
  if (list.length === 0) throw new UsageError(`${where} is empty; give host:port`);
  for (const b of list) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(b);
    const port = m ? Number(m[2]) : Number.NaN;
    if (!m || port < 1 || port > 65_535) {
      throw new UsageError(`${where} expects host:port[,host:port...], got '${b}'`);
    }
  }
  return list;
}

/** A Samsa client handle for the flags; connects nothing yet. */
export function samsaFor(flags: ClientFlags, clientId = 'samsa-cli'): Samsa {
  const brokers = bootstrapServers(flags.bootstrap);
  const connectTimeoutMs = integerOption(
    flags['connect-timeout-ms'],
    '--connect-timeout-ms',
    5_000,
    {
      min: 1,
    },
  );
  return new Samsa({
    brokers,
    clientId,
    connectTimeoutMs,
    // Client warnings ("cannot reach ...") would repeat what the final message says.
    logger: process.env.SAMSA_DEBUG ? consoleLogger('debug') : silentLogger,
  });
}

/** Runs `fn` with an admin client and always closes it. */
export async function withAdmin<T>(
  flags: ClientFlags,
  fn: (admin: ReturnType<Samsa['admin']>) => Promise<T>,
): Promise<T> {
  const admin = samsaFor(flags).admin({ retry: CLI_RETRY });
  try {
    return await fn(admin);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** One line for any error, and the exit code it deserves. */
export function describeError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConnectionError) {
    let why = reason(err);
    if (why.startsWith(`${err.broker}: `)) why = why.slice(err.broker.length + 2);
    why = why.replace(/^could not connect: /, '');
    return {
      message: `cannot reach ${err.broker}: ${why} (is a broker running there? see --bootstrap, SAMSA_BOOTSTRAP)`,
      exitCode: 1,
    };
  }
  if (err instanceof RequestTimeoutError) {
    return { message: `request timed out: ${reason(err)}`, exitCode: 1 };
  }
  if (err instanceof KafkaError) {
    return { message: `${reason(err)} (${err.errorName})`, exitCode: 1 };
  }
  if (err instanceof DeserializationError) return { message: err.message, exitCode: 1 };
  const e = err as Error;
  if (e?.name === 'ConfigError' || e instanceof TypeError || e instanceof RangeError) {
    return { message: firstLine(e.message), exitCode: 1 };
  }
  const stack = process.env.SAMSA_DEBUG ? `\n${e?.stack ?? ''}` : ' (SAMSA_DEBUG=1 shows where)';
  return {
    message: `unexpected error: ${firstLine(e?.message ?? String(err))}${stack}`,
    exitCode: 1,
  };
}

/** A KafkaError's message without the "ERROR_NAME: " prefix the protocol layer adds. */
function reason(err: KafkaError): string {
  const prefix = `${err.errorName}: `;
  const m = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  return firstLine(m);
}

const firstLine = (s: string) => s.split('\n')[0]!;

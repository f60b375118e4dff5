// A minimal logger seam: the client logs what an operator needs (broker unreachable, retries,
// rebalances) and lets the application route it. The default prints warnings and errors only.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'nothing';

export interface Logger {
  /** Details for debugging (retries, requests). */
  debug(message: string, extra?: Record<string, unknown>): void;
  /** Notable events (rebalances, resets). */
  info(message: string, extra?: Record<string, unknown>): void;
  /** Something failed and will be retried or worked around. */
  warn(message: string, extra?: Record<string, unknown>): void;
  /** Something failed for good. */
  error(message: string, extra?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, nothing: 4 };

/** A logger writing `samsa <level> <message>` lines to stderr, from `level` up. */
export function consoleLogger(level: LogLevel = 'warn'): Logger {
  const min = RANK[level];
  const at =
    (l: Exclude<LogLevel, 'nothing'>) => (message: string, extra?: Record<string, unknown>) => {
      if (RANK[l] < min) return;
      const tail = extra && Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : '';
      process.stderr.write(`samsa ${l} ${message}${tail}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that drops everything. */
export const silentLogger: Logger = consoleLogger('nothing');

// A small leveled logger writing one line per event to stderr. Brokers log why a connection
// was closed or a request refused; tests silence it with SAMSA_LOG_LEVEL=error.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  child(prefix: string): Logger;
}

export function createLogger(
  level: LogLevel = (process.env.SAMSA_LOG_LEVEL as LogLevel) ?? 'info',
  prefix = '',
  sink: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const min = RANK[level] ?? RANK.info;
  const emit = (l: LogLevel, message: string) => {
    if (RANK[l] < min) return;
    sink(`${new Date().toISOString()} ${l.toUpperCase().padEnd(5)} ${prefix}${message}`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (p) => createLogger(level, `${prefix}[${p}] `, sink),
  };
}

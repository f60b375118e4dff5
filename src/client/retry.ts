// Exponential backoff with jitter for retriable failures. What counts as retriable is the
// Kafka error's own flag (KafkaError.retriable), so a broker's verdict is never second-guessed.
import { isRetriable } from './errors.js';

export interface RetryOptions {
  /** Attempts after the first one. Default 5. */
  retries?: number;
  /** Wait before the first retry. Default 100 ms. */
  initialRetryTimeMs?: number;
  /** Upper bound of any single wait. Default 10 s. */
  maxRetryTimeMs?: number;
  /** Each wait is the previous one times this. Default 2. */
  multiplier?: number;
  /** Random spread of each wait, as a fraction (0.2 = ±20 %). Default 0.2. */
  jitter?: number;
}

export interface ResolvedRetry {
  retries: number;
  initialRetryTimeMs: number;
  maxRetryTimeMs: number;
  multiplier: number;
  jitter: number;
}

/** Fills in the defaults. */
export function resolveRetry(o: RetryOptions = {}): ResolvedRetry {
  return {
    retries: o.retries ?? 5,
    initialRetryTimeMs: o.initialRetryTimeMs ?? 100,
    maxRetryTimeMs: o.maxRetryTimeMs ?? 10_000,
    multiplier: o.multiplier ?? 2,
    jitter: o.jitter ?? 0.2,
  };
}

/** The wait before retry number `attempt` (0-based). */
export function backoffMs(r: ResolvedRetry, attempt: number, random = Math.random): number {
  const base = Math.min(r.maxRetryTimeMs, r.initialRetryTimeMs * r.multiplier ** attempt);
  const spread = base * r.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(r.maxRetryTimeMs, base + spread)));
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` until it succeeds, it throws a non-retriable error, or the retries run out (then the
 * last error is thrown). `onRetriable` runs before each wait, e.g. to refresh metadata.
 */
export async function withRetry<T>(
  r: ResolvedRetry,
  fn: (attempt: number) => Promise<T>,
  onRetriable?: (err: unknown, attempt: number) => void | Promise<void>,
  shouldRetry: (err: unknown) => boolean = isRetriable,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= r.retries || !shouldRetry(err)) throw err;
      await onRetriable?.(err, attempt);
      await sleep(backoffMs(r, attempt));
    }
  }
}

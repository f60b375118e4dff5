// How the data-path handlers turn a failure on one partition into that partition's error code.
// A Kafka error is the answer; anything else is a bug or an I/O surprise, answered with
// UNKNOWN_SERVER_ERROR and logged with its stack so it can be found. The request carries on for
// the other partitions either way (a thrown handler would close the connection).
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { Logger } from './logger.js';

export interface PartitionFailure {
  code: number;
  message: string;
}

export function partitionFailure(err: unknown, log: Logger, what: string): PartitionFailure {
  if (err instanceof KafkaError) return { code: err.code, message: err.message };
  log.error(`${what} failed: ${(err as Error)?.stack ?? err}`);
  return {
    code: ErrorCode.UNKNOWN_SERVER_ERROR,
    message: `${what} failed: ${(err as Error)?.message ?? err}`,
  };
}

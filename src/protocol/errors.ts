// Kafka error codes and the error types the protocol layer throws.
//
// Two kinds of failure meet here:
// - KafkaError: a Kafka error code with its name and retriability, as a broker returns it in a
//   response or as a client raises it to its caller.
// - MalformedInputError: bytes that cannot be decoded (truncated, negative or absurd lengths,
//   bad varints, bad CRC). Decoders throw only this for bad input, never a RangeError from
//   Buffer, and never allocate based on a length they have not checked against the input.
import { ERROR_TABLE, type ErrorInfo } from './error-table.js';

export { ERROR_TABLE, ErrorCode, type ErrorInfo } from './error-table.js';

const byCode = new Map<number, ErrorInfo>(ERROR_TABLE.map((e) => [e.code, e]));

/** Looks up an error code; unknown codes are reported as such rather than guessed at. */
export function errorInfo(code: number): ErrorInfo {
  return byCode.get(code) ?? { code, name: `UNKNOWN_ERROR_CODE_${code}`, retriable: false };
}

export class KafkaError extends Error {
  readonly code: number;
  readonly errorName: string;
  readonly retriable: boolean;

  constructor(code: number, message?: string) {
    const info = errorInfo(code);
    super(message ? `${info.name}: ${message}` : info.name);
    this.name = 'KafkaError';
    this.code = code;
    this.errorName = info.name;
    this.retriable = info.retriable;
  }
}

/**
 * Input that does not follow the wire format. `code` is the Kafka error a broker answers with
 * when it can answer at all (CORRUPT_MESSAGE for a record batch, INVALID_REQUEST otherwise).
 */
export class MalformedInputError extends KafkaError {
  constructor(message: string, code = 42 /* INVALID_REQUEST */) {
    super(code, message);
    this.name = 'MalformedInputError';
  }
}

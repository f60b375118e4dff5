// Errors the client raises. Anything the broker answers with is a KafkaError (from the protocol
// layer) carrying the Kafka error name and whether a retry can help; failures that happen on
// our side of the wire map onto the Kafka codes Kafka's own clients use for them, so callers
// test one property (`errorName` / `retriable`) whatever the source.
import { ErrorCode, KafkaError } from '../protocol/errors.js';

export { ErrorCode, KafkaError } from '../protocol/errors.js';

/** The TCP connection to a broker failed or was closed with requests in flight (retriable). */
export class ConnectionError extends KafkaError {
  readonly broker: string;
  constructor(broker: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.NETWORK_EXCEPTION, `${broker}: ${message}`);
    this.name = 'ConnectionError';
    this.broker = broker;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** A request got no answer within its timeout; the connection is closed (retriable). */
export class RequestTimeoutError extends KafkaError {
  constructor(message: string) {
    super(ErrorCode.REQUEST_TIMED_OUT, message);
    this.name = 'RequestTimeoutError';
  }
}

/** The producer's buffer stayed full for longer than `maxBlockMs`. */
export class BufferExhaustedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BufferExhaustedError';
  }
}

/** The producer, consumer or admin was used after close(). */
export class ClientClosedError extends Error {
  constructor(what: string) {
    super(`${what} is closed`);
    this.name = 'ClientClosedError';
  }
}

/** An error code from a response, with the context (topic, partition, group) that makes it actionable. */
export function brokerError(code: number, context: string, message?: string | null): KafkaError {
  return new KafkaError(code, message ? `${context}: ${message}` : context);
}

/** True when sending the same request again may succeed. */
export function isRetriable(err: unknown): boolean {
  return err instanceof KafkaError && err.retriable;
}

/** A key or value deserializer threw; the consumer stays on the record (seek past it to go on). */
export class DeserializationError extends Error {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  constructor(topic: string, partition: number, offset: number, options: { cause: unknown }) {
    super(
      `cannot deserialize ${topic}/${partition} offset ${offset}: ${(options.cause as Error)?.message ?? String(options.cause)}`,
    );
    this.name = 'DeserializationError';
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.cause = options.cause;
  }
}

// Shared by the codecs: the error for output beyond the caller's limit.
import { MalformedInputError } from '../../errors.js';

export const CORRUPT_MESSAGE = 2;

/**
 * The default bound on one batch's decompressed records. Kafka's default max.message.bytes is
 * about 1 MiB of compressed data; 64 MiB leaves room for very compressible payloads while
 * refusing a bomb long before it can hurt the process.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export function exceedsLimit(codec: string, maxBytes: number): MalformedInputError {
  return new MalformedInputError(
    `${codec} data decompresses to more than the limit of ${maxBytes} bytes`,
    CORRUPT_MESSAGE,
  );
}

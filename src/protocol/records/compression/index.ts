// One entry point for the record batch codecs, by Kafka's compression type id.
import { MalformedInputError } from '../../errors.js';
import { CompressionType } from '../batch-header.js';
import { gzipCompress, gzipDecompress } from './gzip.js';
import { CORRUPT_MESSAGE, DEFAULT_MAX_DECOMPRESSED_BYTES } from './limits.js';
import { lz4Compress, lz4Decompress } from './lz4.js';
import { snappyCompress, snappyDecompress } from './snappy.js';
import { zstdCompress, zstdDecompress } from './zstd.js';

export { DEFAULT_MAX_DECOMPRESSED_BYTES } from './limits.js';
export { isXerialFramed } from './snappy.js';

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof NAMES)[number];

/** True for the codec ids Kafka defines (0-4); the attribute bits can also hold 5-7. */
export function isKnownCompression(id: number): id is CompressionType {
  return Number.isInteger(id) && id >= 0 && id < NAMES.length;
}

/** Kafka's name for a codec id, as in `compression.type`. */
export function compressionName(id: number): CompressionName | `unknown(${number})` {
  return isKnownCompression(id) ? NAMES[id]! : `unknown(${id})`;
}

export interface CompressOptions {
  /** gzip 1-9 (default 6) or zstd level (default 3); ignored by snappy and lz4. */
  level?: number;
}

/** Compresses a records payload in the framing Kafka consumers expect for `type`. */
export function compress(
  type: CompressionType,
  buf: Buffer,
  options: CompressOptions = {},
): Buffer {
  switch (type) {
    case CompressionType.None:
      return buf;
    case CompressionType.Gzip:
      return gzipCompress(buf, options.level);
    case CompressionType.Snappy:
      return snappyCompress(buf);
    case CompressionType.Lz4:
      return lz4Compress(buf);
    case CompressionType.Zstd:
      return zstdCompress(buf, options.level);
    default:
      throw new RangeError(`unknown compression type ${type as number}`);
  }
}

/**
 * Decompresses a records payload. Output beyond `maxBytes` is refused with MalformedInputError
 * (CORRUPT_MESSAGE) without being allocated, as is any input the codec cannot decode.
 */
export function decompress(
  type: number,
  buf: Buffer,
  maxBytes: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Buffer {
  switch (type) {
    case CompressionType.None:
      if (buf.length > maxBytes) {
        throw new MalformedInputError(
          `${buf.length} bytes exceed the limit of ${maxBytes}`,
          CORRUPT_MESSAGE,
        );
      }
      return buf;
    case CompressionType.Gzip:
      return gzipDecompress(buf, maxBytes);
    case CompressionType.Snappy:
      return snappyDecompress(buf, maxBytes);
    case CompressionType.Lz4:
      return lz4Decompress(buf, maxBytes);
    case CompressionType.Zstd:
      return zstdDecompress(buf, maxBytes);
    default:
      throw new MalformedInputError(`unknown compression type ${type}`, CORRUPT_MESSAGE);
  }
}

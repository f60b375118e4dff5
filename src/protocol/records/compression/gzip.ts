// gzip as Kafka uses it: one gzip member (RFC 1952), what java.util.zip.GZIPOutputStream writes.
import { gunzipSync, gzipSync } from 'node:zlib';
import { MalformedInputError } from '../../errors.js';
import { CORRUPT_MESSAGE, exceedsLimit } from './limits.js';

/** zlib's default level, the one Java's GZIPOutputStream and librdkafka use unless told. */
const DEFAULT_LEVEL = 6;

export function gzipCompress(buf: Buffer, level = DEFAULT_LEVEL): Buffer {
  return gzipSync(buf, { level });
}

export function gzipDecompress(buf: Buffer, maxBytes: number): Buffer {
  let out: Buffer;
  try {
    // maxOutputLength makes zlib stop as soon as the output passes the limit, so a small
    // bomb never turns into a large allocation. It must be at least 1.
    out = gunzipSync(buf, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw exceedsLimit('gzip', maxBytes);
    throw new MalformedInputError(
      `gzip data is corrupt: ${(err as Error).message}`,
      CORRUPT_MESSAGE,
    );
  }
  if (out.length > maxBytes) throw exceedsLimit('gzip', maxBytes);
  return out;
}

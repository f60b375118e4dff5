// Walking the record batches of a segment file.
//
// Two walks: a header walk (lookups, tail scans, producer-state rebuild) that reads batch headers
// in chunks and jumps over batch bodies, and a validating walk (crash recovery) that reads whole
// batches and checks framing, magic and CRC32C. Both stop at the first batch that does not check
// out and say where, so the caller can truncate there.
import {
  BATCH_LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RecordBatchHeader,
} from '../protocol/records/batch-header.js';
import { type Fd, type FileSystem, readFully } from './fs.js';

/** A batch found in a file. `header` views only the first RECORD_BATCH_OVERHEAD bytes. */
export interface ScannedBatch {
  readonly position: number;
  readonly size: number;
  readonly header: RecordBatchHeader;
}

export interface ScanEnd {
  /** Where the walk stopped: `end`, the position of an invalid batch, or where `visit` said stop. */
  readonly position: number;
  /** Why the batch at `position` is invalid, when it is. */
  readonly invalid?: string;
}

const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;

/** Framing problems visible in a header, or undefined when it looks like a v2 batch. */
function framingProblem(buf: Buffer, at: number, left: number): string | undefined {
  if (left < RECORD_BATCH_OVERHEAD) return `${left} bytes left, less than a batch header`;
  const batchLength = buf.readInt32BE(at + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH) return `batch length ${batchLength} is too small`;
  const magic = buf.readInt8(at + MAGIC_OFFSET);
  if (magic !== 2) return `magic ${magic}`;
  if (LOG_OVERHEAD + batchLength > left) {
    return `batch of ${LOG_OVERHEAD + batchLength} bytes but ${left} left`;
  }
  return undefined;
}

/**
 * Calls `visit` with each batch header in [start, end), in order, until it returns false.
 * Reads `chunkSize` bytes at a time, so small batches cost no extra reads.
 */
export function scanHeaders(
  fs: FileSystem,
  fd: Fd,
  start: number,
  end: number,
  visit: (batch: ScannedBatch) => boolean | undefined,
  chunkSize = 16 * 1024,
): ScanEnd {
  const size = Math.max(chunkSize, RECORD_BATCH_OVERHEAD);
  let chunk = Buffer.alloc(0);
  let chunkStart = 0;
  let chunkLength = 0;
  let position = start;
  while (position < end) {
    if (position < chunkStart || position + RECORD_BATCH_OVERHEAD > chunkStart + chunkLength) {
      // A fresh buffer each time: a visitor may keep the headers of the previous one.
      chunk = Buffer.allocUnsafe(Math.min(size, end - position));
      chunkStart = position;
      chunkLength = readFully(fs, fd, chunk, position);
      if (chunkLength < RECORD_BATCH_OVERHEAD) {
        return { position, invalid: `${end - position} bytes left, less than a batch header` };
      }
    }
    const at = position - chunkStart;
    const problem = framingProblem(chunk, at, end - position);
    if (problem) return { position, invalid: problem };
    const batchSize = LOG_OVERHEAD + chunk.readInt32BE(at + BATCH_LENGTH_OFFSET);
    const header = new RecordBatchHeader(chunk.subarray(at, at + RECORD_BATCH_OVERHEAD));
    if (visit({ position, size: batchSize, header }) === false) return { position };
    position += batchSize;
  }
  return { position };
}

/**
 * Calls `visit` with each whole batch in [start, end) after checking its framing and CRC32C;
 * stops at the first that fails. `batch.buf` is only valid during the call.
 */
export function scanValidBatches(
  fs: FileSystem,
  fd: Fd,
  start: number,
  end: number,
  visit: (batch: RecordBatchHeader, position: number) => string | undefined,
  chunkSize = 1024 * 1024,
): ScanEnd {
  const chunk = Buffer.allocUnsafe(chunkSize);
  let chunkStart = 0;
  let chunkLength = 0;
  let position = start;
  while (position < end) {
    if (position + RECORD_BATCH_OVERHEAD > chunkStart + chunkLength || position < chunkStart) {
      chunkStart = position;
      chunkLength = readFully(
        fs,
        fd,
        chunk.subarray(0, Math.min(chunkSize, end - position)),
        position,
      );
    }
    let buf = chunk;
    let at = position - chunkStart;
    let left = Math.min(end - position, chunkStart + chunkLength - position);
    if (left >= RECORD_BATCH_OVERHEAD) {
      const size = LOG_OVERHEAD + chunk.readInt32BE(at + BATCH_LENGTH_OFFSET);
      if (size > left && size <= end - position && size >= RECORD_BATCH_OVERHEAD) {
        // A batch larger than what the chunk holds: read it on its own.
        buf = Buffer.allocUnsafe(size);
        left = readFully(fs, fd, buf, position);
        at = 0;
      }
    }
    const problem = framingProblem(buf, at, left);
    if (problem) return { position, invalid: problem };
    const size = LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH_OFFSET);
    const batch = new RecordBatchHeader(buf.subarray(at, at + size));
    if (!batch.isCrcValid())
      return { position, invalid: `CRC mismatch in batch at offset ${batch.baseOffset}` };
    const refused = visit(batch, position);
    if (refused) return { position, invalid: refused };
    position += size;
  }
  return { position };
}

/** The length of the whole batches at the start of `buf` (a read may end inside one). */
export function wholeBatchesLength(buf: Buffer): { length: number; lastBatchStart: number } {
  let at = 0;
  let lastBatchStart = -1;
  while (buf.length - at >= LOG_OVERHEAD) {
    const size = LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH_OFFSET);
    if (size < RECORD_BATCH_OVERHEAD || at + size > buf.length) break;
    lastBatchStart = at;
    at += size;
  }
  return { length: at, lastBatchStart };
}

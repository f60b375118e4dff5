// The read side of a partition log: fetch reads, offset -> position, timestamp lookups.
// Pure functions over the log's segments, so log.ts keeps to the write side.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { RecordBatchHeader } from '../protocol/records/batch-header.js';
import { iterateRecords, recordOffset, recordTimestamp } from '../protocol/records/record.js';
import { wholeBatchesLength } from './batch-scan.js';
import type { BatchLocation, LogSegment } from './segment.js';

export interface ReadOptions {
  /** Exclusive upper bound, e.g. the high watermark for consumers. */
  readonly maxOffset?: number;
  /** Return the first batch even when larger than maxBytes (default true, as Kafka). */
  readonly minOneBatch?: boolean;
  /**
   * Where the bytes read go: `n` bytes the caller owns (e.g. from a pool, released once the
   * response is written). Default: a new Buffer.
   */
  readonly alloc?: (n: number) => Buffer;
}

/** A position in the log (Kafka's LogOffsetMetadata), for delayed fetches to count bytes. */
export interface LogOffsetMetadata {
  readonly messageOffset: number;
  readonly segmentBaseOffset: number;
  readonly relativePositionInSegment: number;
}

export interface ReadResult {
  /** Whole batches, read from the segment file; empty when there is nothing to return. */
  readonly records: Buffer;
  /** Base offset of the first batch returned (it may start before the requested offset). */
  readonly firstOffset: number;
  /** The offset after the last batch returned (the requested offset when nothing was). */
  readonly nextOffset: number;
  readonly fetchOffsetMetadata: LogOffsetMetadata;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export interface TimestampAndOffset {
  readonly timestamp: number;
  readonly offset: number;
}

/** Finds, inside one whole batch, the first record at or after `minOffset` whose timestamp is >= `timestamp`. */
export type TimestampLocator = (
  batch: Buffer,
  timestamp: number,
  minOffset: number,
) => TimestampAndOffset | undefined;

/** The default locator: decodes the batch's records (decompressing if needed). */
export const recordTimestampLocator: TimestampLocator = (buf, timestamp, minOffset) => {
  const batch = new RecordBatchHeader(buf);
  for (const record of iterateRecords(batch)) {
    const offset = recordOffset(batch, record);
    const ts = recordTimestamp(batch, record);
    if (offset >= minOffset && ts >= timestamp) return { offset, timestamp: ts };
  }
  return undefined;
};

export interface SegmentsView {
  readonly dir: string;
  readonly segments: readonly LogSegment[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

/** Index of the last segment whose base offset is <= `offset` (0 when none is). */
export function segmentIndexFor(segments: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (segments[mid]!.baseOffset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function logEndOffsetMetadata(view: SegmentsView): LogOffsetMetadata {
  const active = view.segments[view.segments.length - 1]!;
  return {
    messageOffset: view.logEndOffset,
    segmentBaseOffset: active.baseOffset,
    relativePositionInSegment: active.size,
  };
}

/** Where `offset` is in the log, or undefined when out of range. */
export function offsetMetadata(view: SegmentsView, offset: number): LogOffsetMetadata | undefined {
  if (offset === view.logEndOffset) return logEndOffsetMetadata(view);
  if (offset < view.logStartOffset || offset > view.logEndOffset) return undefined;
  const { segments } = view;
  for (let i = segmentIndexFor(segments, offset); i < segments.length; i++) {
    const loc = segments[i]!.translateOffset(offset);
    if (loc) {
      return {
        messageOffset: offset,
        segmentBaseOffset: segments[i]!.baseOffset,
        relativePositionInSegment: loc.position,
      };
    }
  }
  return logEndOffsetMetadata(view);
}

/**
 * Reads whole batches from the one holding `offset`, up to `maxBytes` (but at least that first
 * batch unless `minOneBatch` is false), stopping before `maxOffset`, within one segment.
 * OFFSET_OUT_OF_RANGE when `offset` is below the log start or above the log end.
 */
export function readBatches(
  view: SegmentsView,
  offset: number,
  maxBytes: number,
  options: ReadOptions,
): ReadResult {
  const { segments, logStartOffset, logEndOffset } = view;
  if (offset < logStartOffset || offset > logEndOffset) {
    throw new KafkaError(
      ErrorCode.OFFSET_OUT_OF_RANGE,
      `offset ${offset} is outside [${logStartOffset}, ${logEndOffset}] in ${view.dir}`,
    );
  }
  const maxOffset = Math.min(options.maxOffset ?? logEndOffset, logEndOffset);
  for (let i = segmentIndexFor(segments, offset); offset < maxOffset && i < segments.length; i++) {
    const seg = segments[i]!;
    const found = seg.translateOffset(offset);
    if (!found) continue;
    let maxPosition = seg.size;
    const next = segments[i + 1];
    if (maxOffset < (next ? next.baseOffset : logEndOffset)) {
      maxPosition = seg.translateOffset(maxOffset)?.position ?? seg.size;
    }
    const available = maxPosition - found.position;
    if (available <= 0) break;
    const want = options.minOneBatch === false ? maxBytes : Math.max(maxBytes, found.size);
    const buf = seg.read(found.position, Math.min(want, available), options.alloc);
    const whole = wholeBatchesLength(buf);
    if (whole.length === 0) break;
    const records = whole.length === buf.length ? buf : buf.subarray(0, whole.length);
    const lastBatch = records.subarray(whole.lastBatchStart);
    const nextOffset = Number(lastBatch.readBigInt64BE(0)) + lastBatch.readInt32BE(23) + 1;
    return {
      records,
      firstOffset: found.baseOffset,
      nextOffset,
      fetchOffsetMetadata: {
        messageOffset: offset,
        segmentBaseOffset: seg.baseOffset,
        relativePositionInSegment: found.position,
      },
      logStartOffset,
      logEndOffset,
    };
  }
  return {
    records: Buffer.alloc(0),
    firstOffset: offset,
    nextOffset: offset,
    fetchOffsetMetadata: offsetMetadata(view, offset) ?? logEndOffsetMetadata(view),
    logStartOffset,
    logEndOffset,
  };
}

/** The first offset whose timestamp is >= `timestamp`, or undefined when there is none. */
export function offsetForTimestamp(
  view: SegmentsView,
  timestamp: number,
  locate: TimestampLocator | undefined,
): TimestampAndOffset | undefined {
  for (const seg of view.segments) {
    if (seg.maxTimestampAndOffset.timestamp < timestamp) continue;
    const loc = seg.findBatchByTimestamp(timestamp, view.logStartOffset);
    if (loc) return locateInBatch(view, seg, loc, timestamp, locate);
  }
  return undefined;
}

/** The record with the largest timestamp (ListOffsets MAX_TIMESTAMP), or undefined when empty. */
export function maxTimestampAndOffset(
  view: SegmentsView,
  locate: TimestampLocator | undefined,
): TimestampAndOffset | undefined {
  let best: { seg: LogSegment; timestamp: number; offset: number } | undefined;
  for (const seg of view.segments) {
    const m = seg.maxTimestampAndOffset;
    if (seg.size > 0 && m.timestamp >= 0 && (!best || m.timestamp > best.timestamp))
      best = { seg, ...m };
  }
  if (!best) return undefined;
  const loc = best.seg.translateOffset(Math.max(best.offset, view.logStartOffset));
  return loc ? locateInBatch(view, best.seg, loc, best.timestamp, locate) : undefined;
}

/** When the records cannot say (no locator, undecodable batch), the answer is per batch. */
function locateInBatch(
  view: SegmentsView,
  seg: LogSegment,
  loc: BatchLocation,
  timestamp: number,
  locate: TimestampLocator | undefined,
): TimestampAndOffset {
  const fallback = {
    timestamp: loc.maxTimestamp,
    offset: Math.max(loc.baseOffset, view.logStartOffset),
  };
  if (!locate) return fallback;
  try {
    return locate(seg.read(loc.position, loc.size), timestamp, view.logStartOffset) ?? fallback;
  } catch {
    return fallback;
  }
}

// Which part of a log can be cleaned, and how dirty it is (Kafka's LogCleanerManager.cleanableOffsets,
// LogToClean, Cleaner.groupSegmentsBySize).
//
// A log is "clean" below its first dirty offset (where the last cleaning ended, from
// cleaner-offset-checkpoint) and "dirty" above. The dirty section may be cleaned up to the first
// uncleanable offset: the lowest of the active segment's base offset (never cleaned), the high
// watermark (the last stable offset, once there are transactions), and the first segment whose
// largest timestamp is younger than min.compaction.lag.ms — rounded down to a segment boundary.
// dirty ratio = cleanable bytes / (clean bytes + cleanable bytes); a log is cleaned when that
// exceeds min.cleanable.dirty.ratio, or when a dirty segment's first batch is older than
// max.compaction.lag.ms. The filthiest eligible log goes first.
import type { LogSegment } from '../segment.js';
import type { CleanerView } from './cleaner-view.js';

const INT32_MAX = 0x7fffffff;

/** Segments that hold offsets in [from, to): from the one holding `from` to the last below `to`. */
export function segmentsBetween(
  segments: readonly LogSegment[],
  from: number,
  to: number,
): LogSegment[] {
  const out: LogSegment[] = [];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const next = segments[i + 1];
    if (seg.baseOffset >= to) break;
    if (next && next.baseOffset <= from) continue;
    out.push(seg);
  }
  return out;
}

/** The inactive segments from the one holding `offset` on. */
function inactiveSegmentsFrom(segments: readonly LogSegment[], offset: number): LogSegment[] {
  const active = segments[segments.length - 1];
  return segmentsBetween(segments, offset, Number.POSITIVE_INFINITY).filter((s) => s !== active);
}

export interface OffsetsToClean {
  readonly firstDirtyOffset: number;
  readonly firstUncleanableDirtyOffset: number;
  /** The checkpoint was out of range and was replaced by the log start offset. */
  readonly forceUpdateCheckpoint: boolean;
}

export function cleanableOffsets(
  view: CleanerView,
  lastCleanOffset: number | undefined,
  now: number,
  highWatermark: number,
): OffsetsToClean {
  const logStartOffset = view.logStartOffset();
  const checkpoint = lastCleanOffset ?? logStartOffset;
  // A checkpoint below the log start (retention, DeleteRecords) or past the end (a truncation the
  // checkpoint missed) is not trusted: the whole log is taken as dirty.
  const outOfRange = checkpoint < logStartOffset || checkpoint > view.logEndOffset();
  const firstDirtyOffset = outOfRange ? logStartOffset : checkpoint;
  const { segments } = view;
  const cfg = view.config();
  let uncleanable = Math.min(highWatermark, segments[segments.length - 1]!.baseOffset);
  const minLag = Math.max(cfg.minCompactionLagMs, 0);
  if (minLag > 0) {
    const young = inactiveSegmentsFrom(segments, firstDirtyOffset).find(
      (s) => s.largestTimestamp() > now - minLag,
    );
    if (young) uncleanable = Math.min(uncleanable, young.baseOffset);
  }
  return {
    firstDirtyOffset,
    firstUncleanableDirtyOffset: Math.max(firstDirtyOffset, uncleanable),
    forceUpdateCheckpoint: outOfRange && lastCleanOffset !== undefined,
  };
}

export interface LogToClean {
  readonly firstDirtyOffset: number;
  /** Segment-aligned: the base offset of the segment holding the first uncleanable offset. */
  readonly firstUncleanableOffset: number;
  readonly cleanBytes: number;
  readonly cleanableBytes: number;
  readonly totalBytes: number;
  readonly cleanableRatio: number;
  /** A dirty segment's first batch is older than max.compaction.lag.ms. */
  readonly needCompactionNow: boolean;
}

export function logToClean(view: CleanerView, offsets: OffsetsToClean, now: number): LogToClean {
  const { segments } = view;
  const { firstDirtyOffset } = offsets;
  const sizeOf = (list: readonly LogSegment[]) => list.reduce((sum, s) => sum + s.size, 0);
  const firstUncleanableOffset = (
    inactiveSegmentsFrom(segments, offsets.firstUncleanableDirtyOffset)[0] ??
    segments[segments.length - 1]!
  ).baseOffset;
  const cleanBytes = sizeOf(segmentsBetween(segments, -1, firstDirtyOffset));
  const cleanableBytes = sizeOf(
    segmentsBetween(
      segments,
      Math.min(firstDirtyOffset, firstUncleanableOffset),
      firstUncleanableOffset,
    ),
  );
  const totalBytes = cleanBytes + cleanableBytes;
  return {
    firstDirtyOffset,
    firstUncleanableOffset,
    cleanBytes,
    cleanableBytes,
    totalBytes,
    cleanableRatio: totalBytes === 0 ? 0 : cleanableBytes / totalBytes,
    needCompactionNow: maxCompactionDelay(view, firstDirtyOffset, now) > 0,
  };
}

/** How far past max.compaction.lag.ms the oldest dirty first batch is (0 when it is not). */
function maxCompactionDelay(view: CleanerView, firstDirtyOffset: number, now: number): number {
  const maxLag = Math.max(view.config().maxCompactionLagMs, 0);
  if (!Number.isFinite(maxLag)) return 0;
  let earliest = Number.POSITIVE_INFINITY;
  for (const seg of inactiveSegmentsFrom(view.segments, firstDirtyOffset)) {
    const first = seg.size > 0 ? seg.translateOffset(seg.baseOffset) : undefined;
    if (first && first.maxTimestamp > 0) earliest = Math.min(earliest, first.maxTimestamp);
  }
  const cleanUntil = now - maxLag;
  return earliest < cleanUntil ? cleanUntil - earliest : 0;
}

/** Whether a log's cleanable part is worth a cleaning now (Kafka's grabFilthiestCompactedLog). */
export function isCleanable(ltc: LogToClean, minCleanableDirtyRatio: number): boolean {
  return (
    (ltc.needCompactionNow && ltc.cleanableBytes > 0) || ltc.cleanableRatio > minCleanableDirtyRatio
  );
}

/**
 * Groups consecutive segments so that each group's .log bytes stay within segment.bytes and each
 * index within segment.index.bytes (merging the small segments cleaning leaves behind), and its
 * offsets within one segment's int32 range. A group never ends on an empty segment: the cleaned
 * segment of a group must reach the group's last offset for crash recovery to know which old
 * segments it replaces (see segment-swap.ts); an empty segment at the very end is left alone.
 */
export function groupSegmentsBySize(
  segments: readonly LogSegment[],
  maxSize: number,
  maxIndexSize: number,
  firstUncleanableOffset: number,
): LogSegment[][] {
  const groups: LogSegment[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]!];
    let logSize = segments[i]!.size;
    let [offsetIndexSize, timeIndexSize] = indexBytes(segments[i]!);
    i++;
    while (i < segments.length) {
      const seg = segments[i]!;
      const lastOffset = (segments[i + 1]?.baseOffset ?? firstUncleanableOffset) - 1;
      const [offsetIndex, timeIndex] = indexBytes(seg);
      if (
        logSize + seg.size > maxSize ||
        offsetIndexSize + offsetIndex > maxIndexSize ||
        timeIndexSize + timeIndex > maxIndexSize ||
        (seg.size > 0 && lastOffset - group[0]!.baseOffset > INT32_MAX)
      ) {
        break;
      }
      group.push(seg);
      logSize += seg.size;
      offsetIndexSize += offsetIndex;
      timeIndexSize += timeIndex;
      i++;
    }
    while (group.length > 1 && group[group.length - 1]!.size === 0) {
      group.pop();
      i--;
    }
    if (group[group.length - 1]!.size > 0) groups.push(group);
  }
  return groups;
}

/** The sizes of a segment's .index and .timeindex. */
function indexBytes(seg: LogSegment): [number, number] {
  void seg.nextOffset; // loads the indexes of a lazily opened segment
  return [seg.offsetIndex.entryCount * 8, seg.timeIndex.entryCount * 12];
}

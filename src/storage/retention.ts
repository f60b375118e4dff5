// Which old segments to delete, by Kafka's rules (UnifiedLog.deleteOldSegments):
//   1. segments wholly below the log start offset (always, whatever cleanup.policy says);
//   2. with cleanup.policy=delete: retention.bytes, oldest first, while the partition stays at
//      or above the limit after the deletion;
//   3. with cleanup.policy=delete: retention.ms, oldest first, while the segment's largest
//      timestamp is more than retention.ms old.
// Each rule walks from the oldest segment and stops at the first it may not delete. A segment is
// never deleted unless its offsets are all below the high watermark, and an empty last segment
// is never deleted; when every segment goes, the log rolls first so an (empty) active segment
// remains and the log start offset lands on the log end offset.
// The log manager calls `deleteOldSegments` on every log each log.retention.check.interval.ms.

/** The view of a segment that the rules need. */
export interface RetentionSegment {
  readonly baseOffset: number;
  readonly size: number;
  largestTimestamp(): number;
}

/** What the rules see of a log, and the one action they take. */
export interface RetentionTarget {
  readonly segmentsView: readonly RetentionSegment[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly deletePolicy: boolean;
  /** Deletes the `count` oldest segments (rolling first if that is all of them). */
  deleteOldestSegments(count: number, reason: string): void;
}

type Predicate = (segment: RetentionSegment, next: RetentionSegment | undefined) => boolean;

/** How many of the oldest segments `predicate` allows deleting. */
export function deletableSegmentCount(
  target: Pick<RetentionTarget, 'segmentsView' | 'logEndOffset'>,
  highWatermark: number,
  predicate: Predicate,
): number {
  const segments = target.segmentsView;
  let count = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const next = segments[i + 1];
    const upperBoundOffset = next ? next.baseOffset : target.logEndOffset;
    const isLastAndEmpty = !next && segment.size === 0;
    if (highWatermark < upperBoundOffset || isLastAndEmpty || !predicate(segment, next)) break;
    count++;
  }
  return count;
}

function deleteWhere(
  target: RetentionTarget,
  highWatermark: number,
  reason: string,
  predicate: Predicate,
): number {
  const count = deletableSegmentCount(target, highWatermark, predicate);
  if (count > 0) target.deleteOldestSegments(count, reason);
  return count;
}

/**
 * Applies the three rules in Kafka's order; returns how many segments were deleted.
 * `highWatermark` defaults to the log end offset (a single replica).
 */
export function deleteOldSegments(
  target: RetentionTarget,
  now: number,
  highWatermark: number = target.logEndOffset,
): number {
  let deleted = deleteWhere(
    target,
    highWatermark,
    'log start offset breach',
    (_, next) => next !== undefined && next.baseOffset <= target.logStartOffset,
  );
  if (!target.deletePolicy) return deleted;

  const retentionBytes = target.retentionBytes;
  const size = target.segmentsView.reduce((sum, s) => sum + s.size, 0);
  if (retentionBytes >= 0 && size >= retentionBytes) {
    let diff = size - retentionBytes;
    deleted += deleteWhere(
      target,
      highWatermark,
      `retention.bytes ${retentionBytes} breach`,
      (segment) => {
        if (diff - segment.size < 0) return false;
        diff -= segment.size;
        return true;
      },
    );
  }

  const retentionMs = target.retentionMs;
  if (retentionMs >= 0) {
    deleted += deleteWhere(
      target,
      highWatermark,
      `retention.ms ${retentionMs} breach`,
      (segment) => now - segment.largestTimestamp() > retentionMs,
    );
  }
  return deleted;
}

// The validating pass over a segment file that crash recovery and index rebuilding share: every
// batch's framing, magic and CRC32C are checked and its offsets must move forward within the
// segment's int32 range; the indexes are rebuilt as appends would have built them. The pass
// stops at the first batch that fails, and says how many bytes before it are good.
import { scanValidBatches } from './batch-scan.js';
import type { Fd, FileSystem } from './fs.js';
import type { OffsetPosition } from './offset-index.js';
import type { TimestampOffset } from './time-index.js';

const INT32_MAX = 0x7fffffff;

export interface SegmentScan {
  readonly validBytes: number;
  readonly invalid?: string;
  readonly offsetEntries: OffsetPosition[];
  readonly timeEntries: TimestampOffset[];
  readonly nextOffset: number;
  readonly maxTimestamp: number;
  readonly offsetOfMaxTimestamp: number;
  readonly bytesSinceLastIndexEntry: number;
  readonly firstBatchTimestamp: number | undefined;
  /** Where each partition leader epoch seen starts, in order (for the leader-epoch cache). */
  readonly epochStarts: { epoch: number; startOffset: number }[];
}

export function scanForRecovery(
  fs: FileSystem,
  fd: Fd,
  fileSize: number,
  baseOffset: number,
  indexIntervalBytes: number,
): SegmentScan {
  const offsetEntries: OffsetPosition[] = [];
  const timeEntries: TimestampOffset[] = [];
  let next = baseOffset;
  let maxTs = -1;
  let maxTsOffset = baseOffset;
  let bytesSince = 0;
  let first: number | undefined;
  const epochStarts: { epoch: number; startOffset: number }[] = [];
  const end = scanValidBatches(fs, fd, 0, fileSize, (batch, position) => {
    if (batch.baseOffset < next)
      return `offset ${batch.baseOffset} goes back (expected >= ${next})`;
    if (batch.lastOffsetDelta < 0 || batch.lastOffset - baseOffset > INT32_MAX) {
      return `offset range [${batch.baseOffset}, ${batch.lastOffset}] does not fit the segment`;
    }
    first ??= batch.maxTimestamp;
    const epoch = batch.partitionLeaderEpoch;
    if (epoch >= 0 && epoch !== epochStarts[epochStarts.length - 1]?.epoch) {
      epochStarts.push({ epoch, startOffset: batch.baseOffset });
    }
    if (batch.maxTimestamp > maxTs) {
      maxTs = batch.maxTimestamp;
      maxTsOffset = batch.baseOffset;
    }
    if (bytesSince > indexIntervalBytes) {
      offsetEntries.push({ offset: batch.baseOffset, position });
      const lastTime = timeEntries[timeEntries.length - 1];
      if (maxTs >= 0 && (!lastTime || maxTs > lastTime.timestamp)) {
        timeEntries.push({ timestamp: maxTs, offset: maxTsOffset });
      }
      bytesSince = 0;
    }
    bytesSince += batch.buf.length;
    next = batch.lastOffset + 1;
    return undefined;
  });
  return {
    validBytes: end.position,
    invalid: end.invalid,
    offsetEntries,
    timeEntries,
    nextOffset: next,
    maxTimestamp: maxTs,
    offsetOfMaxTimestamp: maxTsOffset,
    bytesSinceLastIndexEntry: bytesSince,
    firstBatchTimestamp: first,
    epochStarts,
  };
}

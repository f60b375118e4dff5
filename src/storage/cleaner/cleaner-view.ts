// What the log cleaner sees of a partition log (PartitionLog.cleanerView()): its segments, its
// settings, its active producers, and the two steps of a segment swap. Everything here is read at
// the moment of the call: between two cleaner steps the log may have rolled, deleted old segments
// (retention, DeleteRecords) or truncated, which the cleaner checks before it trusts its work.
import type { FileSystem } from '../fs.js';
import type { LogConfig } from '../log-config.js';
import type { ProducerStateManager } from '../producer-state.js';
import type { LogSegment, SegmentSettings } from '../segment.js';

export interface CleanerView {
  readonly dir: string;
  readonly fs: FileSystem;
  /** The live segment list, oldest first; the last is the active segment. */
  readonly segments: readonly LogSegment[];
  config(): LogConfig;
  logStartOffset(): number;
  logEndOffset(): number;
  /** False once the log is closed, deleted or offline. */
  isUsable(): boolean;
  /** Producer id -> last offset of its last data batch, for the producers the log tracks. */
  lastOffsetsOfActiveProducers(): Map<number, number>;
  segmentSettings(): SegmentSettings;
  /** Puts `cleaned` (fsynced, .swap files) in place of `old`; old files go. */
  replaceSegments(cleaned: LogSegment, old: readonly LogSegment[]): void;
  /** Gives the swapped-in segment its live file names. */
  completeSwap(cleaned: LogSegment): void;
}

/**
 * Producer id -> last offset of the producer's last data batch (Kafka's
 * lastRecordsOfActiveProducers without transactions): the batch the cleaner keeps, even emptied,
 * so that the producer's last sequence survives a reload of producer state from the log.
 */
export function lastDataOffsets(producers: ProducerStateManager): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of producers.entries()) {
    const last = e.batches[e.batches.length - 1];
    if (last) out.set(e.producerId, last.lastOffset);
  }
  return out;
}

// One cleaning of one log (Kafka's Cleaner.doClean), as a generator that does a bounded amount of
// I/O per step so that the driver (log-cleaner.ts) can interleave it with produce and fetch:
//
//   1. offset map: reads the dirty section [firstDirtyOffset, firstUncleanableOffset) in order and
//      records each key's latest offset, until the map is as full as the load factor allows (the
//      map then covers up to the last whole batch read: records above it are kept as they are);
//   2. cleaning: groups the segments below the map's end (clean and dirty alike) by segment.bytes
//      and, for each group, filters every batch (batch-filter.ts) into a .cleaned segment;
//   3. swap (segment-swap.ts): commit as .swap, replace the group's segments, drop the suffix.
//
// Between steps the log lives on: before trusting its work the cleaner checks that the log is
// still open and that the segments it read are still the log's (retention, DeleteRecords and
// truncation remove them; truncation also aborts through the driver). It returns the offset where
// the next cleaning's dirty section starts.
import { splitBatches } from '../../protocol/records/batch-header.js';
import { wholeBatchesLength } from '../batch-scan.js';
import type { StorageLogger } from '../log-loader.js';
import { CLEANED_SUFFIX, LogSegment } from '../segment.js';
import { type FilterContext, filterBatch, newFilterStats } from './batch-filter.js';
import { groupSegmentsBySize, type LogToClean, segmentsBetween } from './cleanable.js';
import type { CleanerView } from './cleaner-view.js';
import { forEachKey } from './key-scan.js';
import type { OffsetMap } from './offset-map.js';
import {
  commitCleanedSegment,
  discardCleanedSegment,
  flushCleanedSegment,
} from './segment-swap.js';

/** Where a step left the cleaning; tests stop ("crash") at any of them. */
export type CleanerPhase =
  | 'offset-map'
  | 'clean-batch'
  | 'cleaned-chunk'
  | 'cleaned-written'
  | 'swap-committed'
  | 'segments-replaced'
  | 'swapped';

export interface CleanerStep {
  readonly phase: CleanerPhase;
  /** Bytes read and written by the step, for log.cleaner.io.max.bytes.per.second. */
  readonly bytes: number;
  /** Past the commit point: the driver must not pause before 'swapped'. */
  readonly mustContinue: boolean;
}

/** Thrown when the log changed under the cleaner in a way that voids its work; not a failure. */
export class CleaningAbortedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'CleaningAbortedError';
  }
}

/** A batch in a segment file that does not check out: the cleaner stops rather than copy it on. */
export class CorruptSegmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptSegmentError';
  }
}

export interface CleanerStats {
  bytesRead: number;
  bytesWritten: number;
  mapMessagesRead: number;
  messagesRead: number;
  messagesRetained: number;
  invalidMessages: number;
  tombstonesRemoved: number;
  segmentsCleaned: number;
  segmentsWritten: number;
  mapUtilization: number;
}

export function newCleanerStats(): CleanerStats {
  return {
    bytesRead: 0,
    bytesWritten: 0,
    mapMessagesRead: 0,
    messagesRead: 0,
    messagesRetained: 0,
    invalidMessages: 0,
    tombstonesRemoved: 0,
    segmentsCleaned: 0,
    segmentsWritten: 0,
    mapUtilization: 0,
  };
}

export interface CleanParams {
  readonly view: CleanerView;
  readonly toClean: LogToClean;
  readonly map: OffsetMap;
  /** The map is full at slots * load factor (log.cleaner.io.buffer.load.factor). */
  readonly loadFactor: number;
  /** Bytes read per step: log.cleaner.io.buffer.size / threads / 2. */
  readonly readBufferBytes: number;
  readonly now: number;
  readonly logger: StorageLogger;
  readonly stats: CleanerStats;
  /** Set by the driver when the log was truncated or removed. */
  readonly aborted: () => string | undefined;
}

export function* cleanLog(p: CleanParams): Generator<CleanerStep, number, void> {
  const { view, toClean, map } = p;
  const start = toClean.firstDirtyOffset;
  const end = toClean.firstUncleanableOffset;
  yield* buildOffsetMap(p, start, end);
  const endOffset = map.latestOffset + 1;
  p.stats.mapUtilization = map.utilization;
  if (endOffset <= start) return start;
  const cfg = view.config();
  const groups = groupSegmentsBySize(
    segmentsBetween(view.segments, -1, endOffset),
    cfg.segmentBytes,
    cfg.segmentIndexBytes,
    end,
  );
  const activeProducers = view.lastOffsetsOfActiveProducers();
  for (const group of groups) yield* cleanSegments(p, group, activeProducers);
  return endOffset;
}

function checkStillValid(p: CleanParams, segments: readonly LogSegment[]): void {
  const reason = p.aborted();
  if (reason) throw new CleaningAbortedError(reason);
  if (!p.view.isUsable()) throw new CleaningAbortedError('the log was closed');
  const live = p.view.segments;
  const at = live.indexOf(segments[0]!);
  if (
    at < 0 ||
    !segments.every((s, i) => live[at + i] === s) ||
    at + segments.length >= live.length
  )
    throw new CleaningAbortedError('segments being cleaned were removed from the log');
}

/** Reads whole batches from `position`: at least one, however large. */
function readBatches(seg: LogSegment, position: number, bufferBytes: number): Buffer {
  const buf = seg.read(position, bufferBytes);
  const whole = wholeBatchesLength(buf);
  if (whole.length > 0) return buf.subarray(0, whole.length);
  if (buf.length < 12)
    throw new CorruptSegmentError(`${seg.logPath}: truncated batch at ${position}`);
  const size = 12 + buf.readInt32BE(8);
  const one = seg.read(position, size);
  if (wholeBatchesLength(one).length !== size || size < 61)
    throw new CorruptSegmentError(`${seg.logPath}: bad batch at position ${position}`);
  return one;
}

function* buildOffsetMap(
  p: CleanParams,
  start: number,
  end: number,
): Generator<CleanerStep, void, void> {
  const { map, stats } = p;
  const dirty = segmentsBetween(p.view.segments, start, end);
  const maxDesiredMapSize = Math.min(Math.floor(map.maxSlots * p.loadFactor), map.maxSlots - 1);
  for (let i = 0; i < dirty.length; i++) {
    const seg = dirty[i]!;
    const nextSegmentStart = dirty[i + 1]?.baseOffset ?? end;
    let position = seg.baseOffset >= start ? 0 : (seg.translateOffset(start)?.position ?? seg.size);
    while (position < seg.size) {
      checkStillValid(p, [seg]);
      const chunk = readBatches(seg, position, p.readBufferBytes);
      for (const batch of splitBatches(chunk)) {
        if (!batch.isCrcValid())
          throw new CorruptSegmentError(
            `${seg.logPath}: CRC mismatch at offset ${batch.baseOffset}`,
          );
        // Transactional data may yet be aborted: it must not supersede anything (kept intact).
        if (!batch.isControl && !batch.isTransactional && batch.lastOffset >= start) {
          const base = batch.baseOffset;
          const complete = forEachKey(batch, (offsetDelta, key) => {
            stats.mapMessagesRead++;
            if (key === null || base + offsetDelta < start) return true;
            if (map.size >= maxDesiredMapSize) return false;
            map.put(key, base + offsetDelta);
            return true;
          });
          if (!complete) return;
        }
        if (batch.lastOffset >= start) map.updateLatestOffset(batch.lastOffset);
        stats.bytesRead += batch.buf.length;
        // A step per batch keeps each pause of produce and fetch to about one batch's work.
        yield { phase: 'offset-map', bytes: batch.buf.length, mustContinue: false };
      }
      position += chunk.length;
    }
    // Offsets between the segment's last batch and the next segment were cleaned away before.
    map.updateLatestOffset(nextSegmentStart - 1);
  }
}

function* cleanSegments(
  p: CleanParams,
  group: readonly LogSegment[],
  activeProducers: ReadonlyMap<number, number>,
): Generator<CleanerStep, void, void> {
  const { view, stats } = p;
  checkStillValid(p, group);
  const base = group[0]!.baseOffset;
  const cleaned = LogSegment.create(
    view.fs,
    view.dir,
    base,
    view.segmentSettings(),
    p.now,
    CLEANED_SUFFIX,
  );
  const filterStats = newFilterStats();
  const ctx: FilterContext = {
    map: p.map,
    now: p.now,
    config: view.config(),
    activeProducers,
    stats: filterStats,
  };
  let committed = false;
  let swapped = false;
  try {
    const last = group[group.length - 1]!;
    for (const seg of group) {
      let position = 0;
      while (position < seg.size) {
        checkStillValid(p, group);
        const chunk = readBatches(seg, position, p.readBufferBytes);
        const out: Buffer[] = [];
        let at = position;
        for (const batch of splitBatches(chunk)) {
          if (!batch.isCrcValid())
            throw new CorruptSegmentError(
              `${seg.logPath}: CRC mismatch at offset ${batch.baseOffset}`,
            );
          at += batch.buf.length;
          const kept = filterBatch(batch, seg === last && at === seg.size, ctx);
          if (kept) out.push(kept);
          stats.bytesRead += batch.buf.length;
          yield { phase: 'clean-batch', bytes: batch.buf.length, mustContinue: false };
        }
        position += chunk.length;
        let written = 0;
        if (out.length > 0) {
          const records = out.length === 1 ? out[0]! : Buffer.concat(out);
          cleaned.append(records, splitBatches(records));
          written = records.length;
        }
        stats.bytesWritten += written;
        yield { phase: 'cleaned-chunk', bytes: written, mustContinue: false };
      }
    }
    flushCleanedSegment(cleaned);
    yield { phase: 'cleaned-written', bytes: 0, mustContinue: false };
    checkStillValid(p, group);
    commitCleanedSegment(view, cleaned);
    committed = true;
    yield { phase: 'swap-committed', bytes: 0, mustContinue: true };
    view.replaceSegments(cleaned, group);
    yield { phase: 'segments-replaced', bytes: 0, mustContinue: true };
    view.completeSwap(cleaned);
    swapped = true;
    stats.segmentsCleaned += group.length;
    stats.segmentsWritten++;
    yield { phase: 'swapped', bytes: 0, mustContinue: false };
  } finally {
    stats.messagesRead += filterStats.messagesRead;
    stats.messagesRetained += filterStats.messagesRetained;
    stats.invalidMessages += filterStats.invalidMessages;
    stats.tombstonesRemoved += filterStats.tombstonesRemoved;
    if (!committed) discardCleanedSegment(cleaned, p.logger);
    else if (!swapped) finishSwap(p, group, cleaned);
  }
}

/**
 * A committed swap is finished even when the cleaning is stopped (the driver closing, or an error
 * after the commit): otherwise the log would serve the old segments while .swap files on disk say
 * they are replaced. If the log is gone, the next open finishes it.
 */
function finishSwap(p: CleanParams, group: readonly LogSegment[], cleaned: LogSegment): void {
  try {
    if (!p.view.isUsable()) return;
    if (p.view.segments.includes(group[0]!)) p.view.replaceSegments(cleaned, group);
    p.view.completeSwap(cleaned);
  } catch (err) {
    p.logger.warn(
      `${p.view.dir}: finishing the swap of cleaned segment ${cleaned.baseOffset} failed (completed at next open): ${(err as Error).message}`,
    );
  }
}

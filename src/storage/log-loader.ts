// Opening a partition directory: find the segments, recover after a crash, rebuild producer state.
//
// After a clean close (the checkpoint says so) segments are trusted and checked lazily, except
// the last, whose end offset is needed at once. After a crash, every segment from the one holding
// the checkpointed recovery point on is re-read: each batch's framing, magic and CRC32C are
// checked, both indexes rebuilt, and the first bad batch is cut off with everything after it —
// later segments included, so offsets stay dense. What survives is fsynced before the log opens.
// Before all that, a log cleaner swap that a crash interrupted is completed or dropped.
import type { RecordBatchHeader } from '../protocol/records/batch-header.js';
import { recoverInterruptedSwaps } from './cleaner/segment-swap.js';
import type { FileSystem } from './fs.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import {
  deleteSnapshots,
  listSnapshotOffsets,
  readLogCheckpoint,
  readProducerSnapshot,
  snapshotPath,
  writeLogCheckpoint,
} from './partition-files.js';
import { ProducerStateManager } from './producer-state.js';
import {
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  LogSegment,
  type SegmentSettings,
  TIME_INDEX_SUFFIX,
} from './segment.js';

export interface StorageLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: StorageLogger = { info() {}, warn() {} };

export interface LoadParams {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly now: number;
  readonly logger: StorageLogger;
  readonly segmentSettings: () => SegmentSettings;
}

export interface LoadedLog {
  readonly segments: LogSegment[];
  readonly logStartOffset: number;
  readonly recoveryPoint: number;
  readonly hadCleanShutdown: boolean;
  readonly producerState: ProducerStateManager;
  readonly leaderEpochCache: LeaderEpochCache;
}

const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;

export function loadLog(p: LoadParams): LoadedLog {
  const { fs, dir, logger } = p;
  fs.mkdirp(dir);
  // A log cleaner swap cut short by a crash is finished (or dropped) before segments are listed.
  recoverInterruptedSwaps(fs, dir, p.segmentSettings(), p.now, logger);
  const bases = removeStrayFiles(fs, dir);
  const checkpoint = readLogCheckpoint(fs, dir);
  const hadCleanShutdown = checkpoint?.cleanShutdown === true;
  const segments = bases.map((base) => LogSegment.open(fs, dir, base, p.segmentSettings(), p.now));

  let recoveryPoint = checkpoint?.recoveryPoint ?? 0;
  const leaderEpochCache = new LeaderEpochCache(fs, dir);
  if (!hadCleanShutdown && segments.length > 0) {
    recoveryPoint = recoverSegments(segments, recoveryPoint, dir, logger, leaderEpochCache);
  }
  if (segments.length === 0) {
    const start = checkpoint?.logStartOffset ?? 0;
    segments.push(LogSegment.create(fs, dir, start, p.segmentSettings(), p.now));
  }
  const logEndOffset = segments[segments.length - 1]!.nextOffset;
  const logStartOffset = Math.max(checkpoint?.logStartOffset ?? 0, segments[0]!.baseOffset);
  recoveryPoint = Math.min(recoveryPoint, logEndOffset);
  if (hadCleanShutdown) recoveryPoint = logEndOffset;

  const producerState = new ProducerStateManager();
  loadProducerState(fs, dir, segments, producerState, logStartOffset, logEndOffset, logger);
  leaderEpochCache.truncateFromEnd(logEndOffset);
  leaderEpochCache.truncateFromStart(logStartOffset);

  // From here on a crash must be noticed: say so on disk before accepting any write.
  writeLogCheckpoint(fs, dir, { logStartOffset, recoveryPoint, cleanShutdown: false });
  return {
    segments,
    logStartOffset,
    recoveryPoint,
    hadCleanShutdown,
    producerState,
    leaderEpochCache,
  };
}

/** Deletes leftovers (temp files, segments pending deletion, orphan indexes); returns segment bases. */
function removeStrayFiles(fs: FileSystem, dir: string): number[] {
  const names = fs.readdir(dir);
  const logs = new Set(
    names.filter((n) => n.endsWith(LOG_SUFFIX)).map((n) => n.slice(0, -LOG_SUFFIX.length)),
  );
  const bases: number[] = [];
  for (const name of names) {
    if (name.endsWith('.tmp') || name.endsWith(DELETED_SUFFIX)) {
      fs.unlink(`${dir}/${name}`);
      continue;
    }
    const m = SEGMENT_FILE.exec(name);
    if (!m) continue;
    if (m[2] === 'log') bases.push(Number(m[1]));
    else if (
      !logs.has(m[1]!) &&
      (name.endsWith(INDEX_SUFFIX) || name.endsWith(TIME_INDEX_SUFFIX))
    ) {
      fs.unlink(`${dir}/${name}`);
    }
  }
  return bases.sort((a, b) => a - b);
}

/** Recovers segments from the one holding `recoveryPoint`; returns the new recovery point. */
function recoverSegments(
  segments: LogSegment[],
  recoveryPoint: number,
  dir: string,
  logger: StorageLogger,
  epochs: LeaderEpochCache,
): number {
  let from = 0;
  for (let i = 0; i < segments.length; i++) if (segments[i]!.baseOffset <= recoveryPoint) from = i;
  logger.info(
    `${dir}: unclean shutdown, recovering ${segments.length - from} segment(s) from offset ${segments[from]!.baseOffset}`,
  );
  for (let i = from; i < segments.length; i++) {
    const seg = segments[i]!;
    const previous = segments[i - 1];
    if (previous && seg.baseOffset < previous.nextOffset) {
      logger.warn(
        `${dir}: segment ${seg.baseOffset} overlaps the one before it; dropping it and what follows`,
      );
      dropFrom(segments, i);
      break;
    }
    const result = seg.recover();
    for (const e of result.epochStarts) epochs.assign(e.epoch, e.startOffset);
    if (result.truncatedBytes > 0) {
      logger.warn(
        `${dir}: cut ${result.truncatedBytes} bytes off segment ${seg.baseOffset} at position ${seg.size} (${result.reason})`,
      );
      dropFrom(segments, i + 1);
      break;
    }
  }
  // Recovered bytes may exist only in the page cache of a machine that is still up: make them durable.
  for (let i = from; i < segments.length; i++) segments[i]!.flush();
  return segments[segments.length - 1]!.nextOffset;
}

function dropFrom(segments: LogSegment[], index: number): void {
  for (const seg of segments.splice(index)) seg.deleteFiles();
}

function loadProducerState(
  fs: FileSystem,
  dir: string,
  segments: readonly LogSegment[],
  state: ProducerStateManager,
  logStartOffset: number,
  logEndOffset: number,
  logger: StorageLogger,
): void {
  deleteSnapshots(fs, dir, (o) => o > logEndOffset);
  let loaded = false;
  for (const offset of listSnapshotOffsets(fs, dir).reverse()) {
    if (
      state.loadSnapshot(readProducerSnapshot(fs, dir, offset)) &&
      state.mapEndOffset === offset
    ) {
      loaded = true;
      break;
    }
    logger.warn(`${dir}: producer snapshot ${offset} is unreadable; deleting it`);
    fs.unlink(snapshotPath(dir, offset));
  }
  if (!loaded) state.reset(segments[0]!.baseOffset);
  rebuildProducerState(segments, state, logEndOffset);
  state.onLogStartOffsetIncremented(logStartOffset);
}

/** Replays batch headers from `state.mapEndOffset` up to `logEndOffset`. */
export function rebuildProducerState(
  segments: readonly LogSegment[],
  state: ProducerStateManager,
  logEndOffset: number,
): void {
  const from = Math.max(state.mapEndOffset, segments[0]!.baseOffset);
  const replay = (batch: RecordBatchHeader) => {
    if (batch.baseOffset >= from && batch.baseOffset < logEndOffset) state.replay(batch);
  };
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const next = segments[i + 1];
    if (next && next.baseOffset <= from) continue;
    const start = seg.baseOffset >= from ? 0 : seg.translateOffset(from)?.position;
    if (start !== undefined) seg.forEachBatchHeader(start, replay);
  }
  state.mapEndOffset = logEndOffset;
}

/** After a truncation: the newest snapshot still below the end, then the log from there. */
export function reloadProducerState(
  fs: FileSystem,
  dir: string,
  segments: readonly LogSegment[],
  state: ProducerStateManager,
  logStartOffset: number,
): void {
  const logEndOffset = segments[segments.length - 1]!.nextOffset;
  const below = listSnapshotOffsets(fs, dir)
    .filter((o) => o <= logEndOffset)
    .pop();
  const loaded = below !== undefined && state.loadSnapshot(readProducerSnapshot(fs, dir, below));
  if (!loaded) state.reset(segments[0]!.baseOffset);
  rebuildProducerState(segments, state, logEndOffset);
  state.onLogStartOffsetIncremented(logStartOffset);
}

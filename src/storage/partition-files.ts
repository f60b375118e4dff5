// Small per-partition files next to the segments.
//
// log-state.checkpoint (text, replaced atomically):
//     samsa-log-state 1
//     logStartOffset <n>
//     recoveryPoint <n>
//     cleanShutdown <true|false>
// logStartOffset makes DeleteRecords survive a restart; recoveryPoint is the offset below which
// everything was fsynced, where crash recovery starts; cleanShutdown is written true by a clean
// close and false as soon as the log is opened, so a crash at any later time is detected.
// (Kafka keeps the first two in per-data-dir checkpoint files and the marker per data dir; one
// file per partition keeps a partition directory self-contained.)
//
// <offset, 20 digits>.snapshot: producer state as of that offset (format in producer-state.ts).
import { join } from 'node:path';
import { type FileSystem, readWholeFile, writeFileAtomic } from './fs.js';
import type { ProducerStateManager } from './producer-state.js';
import { segmentFileName } from './segment.js';

export const CHECKPOINT_FILE = 'log-state.checkpoint';
export const SNAPSHOT_SUFFIX = '.snapshot';
const HEADER = 'samsa-log-state 1';

export interface LogCheckpoint {
  readonly logStartOffset: number;
  readonly recoveryPoint: number;
  readonly cleanShutdown: boolean;
}

export function writeLogCheckpoint(fs: FileSystem, dir: string, cp: LogCheckpoint): void {
  const text = `${HEADER}\nlogStartOffset ${cp.logStartOffset}\nrecoveryPoint ${cp.recoveryPoint}\ncleanShutdown ${cp.cleanShutdown}\n`;
  writeFileAtomic(fs, join(dir, CHECKPOINT_FILE), Buffer.from(text, 'utf8'));
}

/** The checkpoint, or undefined when it is missing or unreadable (then the whole log is recovered). */
export function readLogCheckpoint(fs: FileSystem, dir: string): LogCheckpoint | undefined {
  const path = join(dir, CHECKPOINT_FILE);
  if (!fs.exists(path)) return undefined;
  const lines = readWholeFile(fs, path).toString('utf8').split('\n');
  if (lines[0] !== HEADER) return undefined;
  const values = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined) values.set(key, value);
  }
  const logStartOffset = Number(values.get('logStartOffset'));
  const recoveryPoint = Number(values.get('recoveryPoint'));
  const clean = values.get('cleanShutdown');
  if (!Number.isSafeInteger(logStartOffset) || !Number.isSafeInteger(recoveryPoint))
    return undefined;
  if (clean !== 'true' && clean !== 'false') return undefined;
  return { logStartOffset, recoveryPoint, cleanShutdown: clean === 'true' };
}

/** Offsets of the producer snapshots in `dir`, ascending. */
export function listSnapshotOffsets(fs: FileSystem, dir: string): number[] {
  return fs
    .readdir(dir)
    .filter((n) => /^\d{20}\.snapshot$/.test(n))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
}

export function snapshotPath(dir: string, offset: number): string {
  return join(dir, segmentFileName(offset, SNAPSHOT_SUFFIX));
}

/** Writes the producer state as of its mapEndOffset, durably. */
export function writeProducerSnapshot(
  fs: FileSystem,
  dir: string,
  state: ProducerStateManager,
): void {
  writeFileAtomic(fs, snapshotPath(dir, state.mapEndOffset), state.serialize());
}

export function readProducerSnapshot(fs: FileSystem, dir: string, offset: number): Buffer {
  return readWholeFile(fs, snapshotPath(dir, offset));
}

/** Deletes snapshots for which `doomed(offset)` holds. */
export function deleteSnapshots(
  fs: FileSystem,
  dir: string,
  doomed: (offset: number) => boolean,
): void {
  for (const offset of listSnapshotOffsets(fs, dir)) {
    if (doomed(offset)) fs.unlink(snapshotPath(dir, offset));
  }
}

/** Keeps the two newest snapshots at or above the log start offset. */
export function deleteOldSnapshots(fs: FileSystem, dir: string, logStartOffset: number): void {
  const keep = new Set(
    listSnapshotOffsets(fs, dir)
      .filter((o) => o >= logStartOffset)
      .slice(-2),
  );
  deleteSnapshots(fs, dir, (o) => !keep.has(o));
}

// Kafka's OffsetCheckpointFile: a small text file of one offset per partition, kept per data
// directory (replication-offset-checkpoint holds high watermarks; cleaner-offset-checkpoint uses
// the same layout):
//
//     0                      version
//     2                      entry count
//     orders 0 1200          topic partition offset
//     __consumer_offsets 7 88
//
// Written whole to <name>.tmp, fsynced, renamed over the old file and the directory fsynced, so
// a crash leaves either the old or the new file, never a mix. Reading is strict: anything but
// this layout is reported with the reason, for the caller to decide what losing it costs.
import { join } from 'node:path';
import { type FileSystem, readWholeFile, writeFileAtomic } from './fs.js';

const VERSION = '0';
const ENTRY = /^(\S+) (\d+) (\d+)$/;

export interface CheckpointEntry {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** A checkpoint file that exists but does not hold the layout above. */
export class CorruptCheckpointError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`checkpoint file ${path} is corrupt: ${reason}`);
    this.name = 'CorruptCheckpointError';
  }
}

/** The entries of `dir`/`name`: empty when the file does not exist; CorruptCheckpointError when unreadable. */
export function readOffsetCheckpoint(fs: FileSystem, dir: string, name: string): CheckpointEntry[] {
  const path = join(dir, name);
  if (!fs.exists(path)) return [];
  const lines = readWholeFile(fs, path).toString('utf8').split('\n');
  // One newline ends the last line; nothing else may follow it.
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== VERSION) {
    throw new CorruptCheckpointError(path, `version line is '${lines[0] ?? ''}', expected 0`);
  }
  const count = Number(lines[1]);
  if (lines[1] === undefined || !/^\d+$/.test(lines[1]) || !Number.isSafeInteger(count)) {
    throw new CorruptCheckpointError(path, `entry count line is '${lines[1] ?? ''}'`);
  }
  const entryLines = lines.slice(2);
  if (entryLines.length !== count) {
    throw new CorruptCheckpointError(
      path,
      `it announces ${count} entries and holds ${entryLines.length}`,
    );
  }
  return entryLines.map((line, i) => {
    const m = ENTRY.exec(line);
    const partition = Number(m?.[2]);
    const offset = Number(m?.[3]);
    if (!m || !Number.isSafeInteger(partition) || !Number.isSafeInteger(offset)) {
      throw new CorruptCheckpointError(path, `line ${i + 3} is not 'topic partition offset'`);
    }
    return { topic: m[1]!, partition, offset };
  });
}

/** Replaces `dir`/`name` with `entries`, atomically and durably. */
export function writeOffsetCheckpoint(
  fs: FileSystem,
  dir: string,
  name: string,
  entries: Iterable<CheckpointEntry>,
): void {
  const lines: string[] = [];
  for (const e of entries) lines.push(`${e.topic} ${e.partition} ${e.offset}`);
  const text = `${VERSION}\n${lines.length}\n${lines.map((l) => `${l}\n`).join('')}`;
  writeFileAtomic(fs, join(dir, name), Buffer.from(text, 'utf8'));
}

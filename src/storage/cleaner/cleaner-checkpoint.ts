// cleaner-offset-checkpoint: per data directory, where each compacted partition's dirty section
// starts (the end offset of its last cleaning). Kafka's OffsetCheckpointFile text format:
//
//     0                      version
//     2                      entry count
//     orders 0 1200          topic partition offset
//     __consumer_offsets 7 88
//
// Replaced atomically. Losing it only costs work: a missing entry means "dirty from the log start".
import { join } from 'node:path';
import { type FileSystem, readWholeFile, writeFileAtomic } from '../fs.js';

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

/** Key of a partition in the checkpoint map. */
export function checkpointKey(topic: string, partition: number): string {
  return `${topic} ${partition}`;
}

/** The checkpointed offsets by `checkpointKey`; empty when the file is missing or unreadable. */
export function readCleanerCheckpoint(fs: FileSystem, dataDir: string): Map<string, number> {
  const out = new Map<string, number>();
  const path = join(dataDir, CLEANER_CHECKPOINT_FILE);
  if (!fs.exists(path)) return out;
  const lines = readWholeFile(fs, path).toString('utf8').split('\n');
  const count = Number(lines[1]);
  if (lines[0] !== '0' || !Number.isSafeInteger(count)) return out;
  for (const line of lines.slice(2, 2 + count)) {
    const m = /^(\S+) (\d+) (\d+)$/.exec(line);
    if (!m) return new Map();
    out.set(checkpointKey(m[1]!, Number(m[2])), Number(m[3]));
  }
  return out.size === count ? out : new Map();
}

export function writeCleanerCheckpoint(
  fs: FileSystem,
  dataDir: string,
  offsets: ReadonlyMap<string, number>,
): void {
  const lines = ['0', String(offsets.size)];
  for (const [key, offset] of offsets) lines.push(`${key} ${offset}`);
  writeFileAtomic(fs, join(dataDir, CLEANER_CHECKPOINT_FILE), Buffer.from(`${lines.join('\n')}\n`));
}

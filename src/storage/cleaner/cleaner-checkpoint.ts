// cleaner-offset-checkpoint: per data directory, where each compacted partition's dirty section
// starts (the end offset of its last cleaning). Kafka's OffsetCheckpointFile text format:
//
//     0                      version
//     2                      entry count
//     orders 0 1200          topic partition offset
//     __consumer_offsets 7 88
//
// Read and written by offset-checkpoint-file.ts (atomic replace). Losing it only costs work:
// a missing entry, or an unreadable file, means "dirty from the log start".
import type { FileSystem } from '../fs.js';
import {
  CorruptCheckpointError,
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
} from '../offset-checkpoint-file.js';

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

/** Key of a partition in the checkpoint map. */
export function checkpointKey(topic: string, partition: number): string {
  return `${topic} ${partition}`;
}

/** The checkpointed offsets by `checkpointKey`; empty when the file is missing or unreadable. */
export function readCleanerCheckpoint(fs: FileSystem, dataDir: string): Map<string, number> {
  let entries: ReturnType<typeof readOffsetCheckpoint>;
  try {
    entries = readOffsetCheckpoint(fs, dataDir, CLEANER_CHECKPOINT_FILE);
  } catch (err) {
    if (err instanceof CorruptCheckpointError) return new Map();
    throw err;
  }
  const out = new Map(entries.map((e) => [checkpointKey(e.topic, e.partition), e.offset]));
  // A partition listed twice is as unreadable as any other damage.
  return out.size === entries.length ? out : new Map();
}

export function writeCleanerCheckpoint(
  fs: FileSystem,
  dataDir: string,
  offsets: ReadonlyMap<string, number>,
): void {
  // Topic names have no spaces: the key splits at its last one.
  const entries = [...offsets].map(([key, offset]) => {
    const at = key.lastIndexOf(' ');
    return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)), offset };
  });
  writeOffsetCheckpoint(fs, dataDir, CLEANER_CHECKPOINT_FILE, entries);
}

// The high watermarks of the partitions held here survive a restart, as in Kafka's
// replication-offset-checkpoint: written to the data directory every
// replica.high.watermark.checkpoint.interval.ms (when any moved) and at clean shutdown, read at
// start-up. A restarted leader then serves consumers up to what was committed before it stopped
// instead of from a high watermark of 0 until its followers fetch again; a restarted follower
// truncates no further than that (records below it are committed).
//
// The file is only a lower bound of the truth: the ReplicaManager clamps a checkpointed value to
// the recovered log (never above its end offset, never below its start), and a missing or
// corrupt file costs only that head start, so it is logged and start-up carries on from 0.
import { type FileSystem, NodeFileSystem } from '../storage/fs.js';
import {
  type CheckpointEntry,
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
} from '../storage/offset-checkpoint-file.js';
import type { Partition } from './partition.js';

export const HIGH_WATERMARK_CHECKPOINT_FILE = 'replication-offset-checkpoint';

export interface HighWatermarkCheckpointsOptions {
  dataDir: string;
  fs?: FileSystem;
  logger?: { info(m: string): void; warn(m: string): void };
}

const key = (topic: string, partition: number) => `${topic}\0${partition}`;

export class HighWatermarkCheckpoints {
  private readonly fs: FileSystem;
  private readonly loaded = new Map<string, number>();
  /** What the file holds now, to skip writes that would change nothing. */
  private written = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: HighWatermarkCheckpointsOptions) {
    this.fs = o.fs ?? new NodeFileSystem();
  }

  /** Reads the file (once, at start-up). Never throws: an unreadable file is logged and ignored. */
  load(): this {
    try {
      const entries = readOffsetCheckpoint(this.fs, this.o.dataDir, HIGH_WATERMARK_CHECKPOINT_FILE);
      for (const e of entries) this.loaded.set(key(e.topic, e.partition), e.offset);
      this.written = render(entries);
    } catch (err) {
      this.o.logger?.warn(
        `${(err as Error).message}; high watermarks start from the log start offsets and catch up with the leaders`,
      );
    }
    return this;
  }

  /** The high watermark checkpointed for a partition before this start, if any. */
  checkpointed(topic: string, partition: number): number | undefined {
    return this.loaded.get(key(topic, partition));
  }

  /** Writes the high watermarks of `partitions` if any differs from the file. Never throws. */
  write(partitions: Iterable<Partition>): void {
    const entries: CheckpointEntry[] = [];
    for (const p of partitions) {
      entries.push({ topic: p.topic, partition: p.partition, offset: p.highWatermark });
    }
    entries.sort((a, b) =>
      a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
    );
    const text = render(entries);
    if (text === this.written) return;
    try {
      writeOffsetCheckpoint(this.fs, this.o.dataDir, HIGH_WATERMARK_CHECKPOINT_FILE, entries);
      this.written = text;
    } catch (err) {
      // The next round tries again; a stale file only costs a restarted broker some head start.
      this.o.logger?.warn(`cannot write the high watermark checkpoint: ${(err as Error).message}`);
    }
  }

  /** Writes every `intervalMs` (replica.high.watermark.checkpoint.interval.ms) until stop(). */
  start(intervalMs: number, partitions: () => Iterable<Partition>): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.write(partitions()), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

function render(entries: readonly CheckpointEntry[]): string {
  return entries.map((e) => `${e.topic} ${e.partition} ${e.offset}`).join('\n');
}

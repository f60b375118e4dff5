// Which leader epoch wrote which offsets: (epoch, start offset) pairs, both rising (Kafka's
// LeaderEpochFileCache). It answers OffsetForLeaderEpoch, so that a follower coming back can cut
// what a new leader never had, and tells ListOffsets/Fetch the epoch of an offset.
//
// File leader-epoch-checkpoint (Kafka's text format): "0" (version), the entry count, then one
// "<epoch> <startOffset>" line per entry. Rewritten atomically on every change; changes are rare
// (a new leader epoch, a truncation, a log start offset move).
import { join } from 'node:path';
import { type FileSystem, readWholeFile, writeFileAtomic } from './fs.js';

export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[];
  private readonly path: string;

  constructor(
    private readonly fs: FileSystem,
    dir: string,
  ) {
    this.path = join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
    this.entries = this.read();
  }

  get epochEntries(): readonly EpochEntry[] {
    return this.entries;
  }

  get latestEpoch(): number | undefined {
    return this.entries[this.entries.length - 1]?.epoch;
  }

  /** Records that `epoch` starts at `startOffset`; entries it contradicts are dropped. */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0 || startOffset < 0) return;
    const latest = this.entries[this.entries.length - 1];
    if (latest && latest.epoch === epoch && latest.startOffset <= startOffset) return;
    while (this.entries.length > 0) {
      const last = this.entries[this.entries.length - 1]!;
      if (last.epoch < epoch && last.startOffset < startOffset) break;
      this.entries.pop();
    }
    this.entries.push({ epoch, startOffset });
    this.write();
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch <= `requestedEpoch` this log knows and the offset
   * where the next epoch starts (the log end offset for the latest epoch); undefined epoch and
   * offset when there is no answer.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer;
    if (this.latestEpoch === requestedEpoch)
      return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.entries.findIndex((e) => e.epoch > requestedEpoch);
    if (higher < 0) return undefinedAnswer;
    const next = this.entries[higher]!;
    // An epoch older than all known ones: its data is gone; replicate from the next epoch's start.
    if (higher === 0) return { epoch: requestedEpoch, endOffset: next.startOffset };
    return { epoch: this.entries[higher - 1]!.epoch, endOffset: next.startOffset };
  }

  /** The epoch that wrote `offset`, or undefined when it is before every known epoch. */
  epochForOffset(offset: number): number | undefined {
    let found: number | undefined;
    for (const e of this.entries) {
      if (e.startOffset > offset) break;
      found = e.epoch;
    }
    return found;
  }

  /** After truncating the log to `endOffset`: drops the epochs that start at or after it. */
  truncateFromEnd(endOffset: number): void {
    const before = this.entries.length;
    while (
      this.entries.length > 0 &&
      this.entries[this.entries.length - 1]!.startOffset >= endOffset
    ) {
      this.entries.pop();
    }
    if (this.entries.length !== before) this.write();
  }

  /** After the log start offset moved to `startOffset`: the epoch holding it now starts there. */
  truncateFromStart(startOffset: number): void {
    let drop = 0;
    while (drop < this.entries.length && this.entries[drop]!.startOffset <= startOffset) drop++;
    if (drop === 0) return;
    const holder = this.entries[drop - 1]!;
    if (drop === 1 && holder.startOffset === startOffset) return;
    this.entries = [{ epoch: holder.epoch, startOffset }, ...this.entries.slice(drop)];
    this.write();
  }

  clear(): void {
    if (this.entries.length === 0) return;
    this.entries = [];
    this.write();
  }

  private read(): EpochEntry[] {
    if (!this.fs.exists(this.path)) return [];
    const lines = readWholeFile(this.fs, this.path).toString('utf8').trim().split('\n');
    const count = Number(lines[1]);
    if (lines[0] !== '0' || !Number.isSafeInteger(count) || lines.length !== count + 2) return [];
    const entries: EpochEntry[] = [];
    for (const line of lines.slice(2)) {
      const [epoch, startOffset] = line.trim().split(/\s+/).map(Number);
      if (!Number.isSafeInteger(epoch) || !Number.isSafeInteger(startOffset)) return [];
      const last = entries[entries.length - 1];
      if (last && (epoch! <= last.epoch || startOffset! < last.startOffset)) return [];
      entries.push({ epoch: epoch!, startOffset: startOffset! });
    }
    return entries;
  }

  private write(): void {
    const lines = [
      '0',
      String(this.entries.length),
      ...this.entries.map((e) => `${e.epoch} ${e.startOffset}`),
    ];
    writeFileAtomic(this.fs, this.path, Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
  }
}

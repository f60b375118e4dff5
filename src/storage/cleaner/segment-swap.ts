// Swapping a cleaned segment in, so that a crash at any point leaves a correct log (Kafka's
// replaceSegments and the .cleaned/.swap handling of LogLoader).
//
// The cleaner writes a group of old segments' survivors into <base>.log.cleaned (+ .index.cleaned,
// .timeindex.cleaned), <base> being the group's first base offset, and then:
//   1. fsyncs the three .cleaned files;
//   2. renames them to .swap, the .log last, and fsyncs the directory. A <base>.log.swap is the
//      commit point: from here on the cleaned segment is the truth for its offset range;
//   3. replaces the old segments with the cleaned one in memory and renames the old files .deleted
//      (or deletes them, with file.delete.delay.ms 0);
//   4. renames the .swap files to their live names, the .log first, and fsyncs the directory.
//
// At open (`recoverInterruptedSwaps`, before anything else reads the directory):
//   - *.cleaned files are deleted: the cleaning never committed, the old segments are intact;
//   - .index.swap / .timeindex.swap without a .log.swap are deleted (an unfinished step 2, whose
//     .log rename never happened; or step 4 after the .log rename: its indexes are rebuilt);
//   - each <base>.log.swap is recovered (CRC-checked, indexes rebuilt): with N its next offset, the
//     live segment files whose base offset is in [base, N) are the old segments it replaces and are
//     deleted; then its files are renamed live. The cleaner keeps the last batch of every group
//     (emptied if need be), so N is past the last old segment's base offset: no old segment of the
//     group can survive beside its replacement, which would serve stale records at their offsets.
//   - *.deleted files are then removed by the loader, as ever.
import type { FileSystem } from '../fs.js';
import type { StorageLogger } from '../log-loader.js';
import { CLEANED_SUFFIX, LogSegment, type SegmentSettings, SWAP_SUFFIX } from '../segment.js';
import type { CleanerView } from './cleaner-view.js';

const SWAP_LOG = /^(\d{20})\.log\.swap$/;
const SWAP_INDEX = /^(\d{20})\.(index|timeindex)\.swap$/;
const LIVE_SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;

/** Step 1: records the cleaned segment's largest timestamp and fsyncs its three files. */
export function flushCleanedSegment(cleaned: LogSegment): void {
  cleaned.onBecomeInactive();
  cleaned.flush();
}

/** Step 2, the commit point: .cleaned -> .swap, the .log last, durably. */
export function commitCleanedSegment(view: CleanerView, cleaned: LogSegment): void {
  cleaned.changeFileSuffixes(CLEANED_SUFFIX, SWAP_SUFFIX);
  view.fs.syncDir(view.dir);
}

/** Removes what a cleaning that did not commit left behind. Never throws. */
export function discardCleanedSegment(cleaned: LogSegment, logger: StorageLogger): void {
  try {
    cleaned.deleteFiles();
  } catch (err) {
    logger.warn(
      `could not delete ${cleaned.logPath} (removed at next open): ${(err as Error).message}`,
    );
  }
}

/** Finishes, at open, the segment swaps a crash interrupted, and deletes uncommitted cleanings. */
export function recoverInterruptedSwaps(
  fs: FileSystem,
  dir: string,
  settings: SegmentSettings,
  now: number,
  logger: StorageLogger,
): void {
  const names = fs.readdir(dir);
  const swapBases = new Set<string>();
  for (const name of names) {
    const m = SWAP_LOG.exec(name);
    if (m) swapBases.add(m[1]!);
  }
  let changed = false;
  for (const name of names) {
    const orphanSwapIndex = SWAP_INDEX.exec(name);
    if (name.endsWith(CLEANED_SUFFIX) || (orphanSwapIndex && !swapBases.has(orphanSwapIndex[1]!))) {
      fs.unlink(`${dir}/${name}`);
      changed = true;
    }
  }
  for (const baseName of [...swapBases].sort()) {
    const base = Number(baseName);
    const swap = LogSegment.open(fs, dir, base, settings, now, SWAP_SUFFIX);
    const recovered = swap.recover();
    const next = swap.nextOffset;
    for (const name of fs.readdir(dir)) {
      const m = LIVE_SEGMENT_FILE.exec(name);
      if (m && Number(m[1]) >= base && Number(m[1]) < next) fs.unlink(`${dir}/${name}`);
    }
    swap.flush();
    swap.changeFileSuffixes(SWAP_SUFFIX, '', true);
    swap.closeHandles();
    changed = true;
    logger.info(
      `${dir}: completed the interrupted swap of cleaned segment ${base} (offsets ${base} to ${next - 1})` +
        (recovered.truncatedBytes > 0 ? `; ${recovered.truncatedBytes} bad bytes cut off` : ''),
    );
  }
  if (changed) fs.syncDir(dir);
}

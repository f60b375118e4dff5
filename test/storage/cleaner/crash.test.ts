// Crash safety of cleaning: the process dies (MemoryFileSystem.crash(): unsynced bytes lost, open
// descriptors gone, nothing closed) at each phase of a cleaning, and the reopened log must serve
// a correct log: the same offsets as before, every record one that was written, the latest value
// of every key, CRC-valid batches, no .cleaned/.swap leftovers; and cleaning must then finish.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CleanerPhase, CleanerStep } from '../../../src/storage/cleaner/cleaner.js';
import {
  assertCorrect,
  DIR,
  latestPerKey,
  type ReadRecord,
  readAll,
  type Setup,
  setup,
  writeOverwrites,
} from './helpers.js';

const name = (base: number, suffix: string) => `${DIR}/${String(base).padStart(20, '0')}${suffix}`;

/** A log of several segments, several of which the cleaner merges into one group. */
function dirtyLog(fileDeleteDelayMs: number): { s: Setup; before: ReadRecord[] } {
  const s = setup({ segmentBytes: 600, fileDeleteDelayMs });
  writeOverwrites(s.log, 6, 8, 3);
  s.log.roll();
  return { s, before: readAll(s.log) };
}

function leftovers(s: Setup): string[] {
  return s.fs.readdir(DIR).filter((n) => /\.(cleaned|swap)$/.test(n));
}

function crashAt(phase: CleanerPhase, occurrence: number, delay: number) {
  const { s, before } = dirtyLog(delay);
  const leo = s.log.logEndOffset;
  let seen = 0;
  const step = s.manager.cleaner.stepUntil(
    (st: CleanerStep) => st.phase === phase && ++seen === occurrence,
  );
  assert.ok(step, `the cleaning reached ${phase} #${occurrence}`);
  return { s, before, leo };
}

function reopenAfterCrash(s: Setup, before: readonly ReadRecord[], leo: number) {
  s.fs.crash();
  const again = s.reopen();
  assert.deepEqual(leftovers(s), []);
  assertCorrect(again.log, before, leo);
  // The interrupted work is redone, and the log ends up exactly compacted.
  again.manager.cleaner.cleanUntilIdle();
  assert.deepEqual(readAll(again.log), latestPerKey(before));
  assert.deepEqual(leftovers(s), []);
  again.manager.close();
  return again;
}

describe('log cleaner: a crash at any phase leaves a correct log', () => {
  for (const delay of [0, 60_000]) {
    const files = delay === 0 ? 'old files deleted at once' : 'old files renamed .deleted';
    for (const phase of [
      'offset-map',
      'clean-batch',
      'cleaned-chunk',
      'cleaned-written',
      'swap-committed',
      'segments-replaced',
      'swapped',
    ] as const) {
      it(`crash after ${phase} (${files})`, () => {
        const { s, before, leo } = crashAt(phase, 1, delay);
        if (phase === 'cleaned-written') {
          assert.ok(s.fs.exists(name(0, '.log.cleaned')), 'the .cleaned segment exists');
        }
        if (phase === 'swap-committed') assert.ok(s.fs.exists(name(0, '.log.swap')));
        reopenAfterCrash(s, before, leo);
      });
    }
  }

  it('a crash after the swap committed makes the cleaned segment the truth', () => {
    const { s, before, leo } = crashAt('swap-committed', 1, 0);
    const recordsBefore = readAll(s.log).length;
    s.fs.crash();
    const again = s.reopen();
    assertCorrect(again.log, before, leo);
    assert.ok(readAll(again.log).length < recordsBefore, 'the first group is compacted');
    again.manager.close();
  });

  it('a crash in the middle of the .cleaned -> .swap renames drops the cleaning', () => {
    const { s, before, leo } = crashAt('cleaned-written', 1, 0);
    s.fs.rename(name(0, '.index.cleaned'), name(0, '.index.swap'));
    s.fs.rename(name(0, '.timeindex.cleaned'), name(0, '.timeindex.swap'));
    reopenAfterCrash(s, before, leo);
  });

  it('a crash while the old segments of a merged group are being removed completes the swap', () => {
    // One cleaning leaves small segments; the next merges them into one group.
    const s = setup({ segmentBytes: 600 });
    writeOverwrites(s.log, 6, 8, 3);
    s.log.roll();
    s.manager.cleaner.cleanUntilIdle();
    writeOverwrites(s.log, 6, 1, 3);
    s.log.roll();
    const before = readAll(s.log);
    const leo = s.log.logEndOffset;
    const bases = s.log.segmentBaseOffsets;
    assert.ok(s.manager.cleaner.stepUntil((st) => st.phase === 'swap-committed'));
    const swapped = s.fs.readdir(DIR).filter((n) => n.endsWith('.log.swap'));
    assert.deepEqual(swapped, [name(0, '.log.swap').slice(DIR.length + 1)]);
    // Only the first old segment was removed before the crash.
    for (const suffix of ['.log', '.index', '.timeindex']) s.fs.unlink(name(bases[0]!, suffix));
    s.fs.crash();
    const again = s.reopen();
    assert.deepEqual(leftovers(s), []);
    assertCorrect(again.log, before, leo);
    assert.ok(again.log.numberOfSegments < bases.length - 1, 'the group became one segment');
    again.manager.close();
  });

  it('a crash between renaming the .log and its indexes to live names rebuilds the indexes', () => {
    const { s, before, leo } = crashAt('segments-replaced', 1, 0);
    s.fs.rename(name(0, '.log.swap'), name(0, '.log'));
    reopenAfterCrash(s, before, leo);
  });

  it('a torn .cleaned write before the crash is dropped', () => {
    const { s, before, leo } = crashAt('cleaned-chunk', 1, 0);
    s.fs.tearLastWrite(name(0, '.log.cleaned'), 10);
    reopenAfterCrash(s, before, leo);
  });

  it('a failed write to the .cleaned segment leaves the log as it was', () => {
    const { s, before } = dirtyLog(0);
    s.fs.failNextWrite({ path: /\.log\.cleaned$/ });
    assert.deepEqual(s.manager.cleaner.cleanUntilIdle(), []);
    assert.ok(s.manager.cleaner.isUncleanable('compacted', 0));
    assert.deepEqual(readAll(s.log), before);
    assert.deepEqual(leftovers(s), []);
    assert.equal(s.log.isOffline, false);
    s.manager.close();
  });

  it('a failed fsync of the .cleaned segment leaves the log as it was', () => {
    const { s, before } = dirtyLog(0);
    s.fs.failNextSync({ path: /\.log\.cleaned$/ });
    assert.deepEqual(s.manager.cleaner.cleanUntilIdle(), []);
    assert.deepEqual(readAll(s.log), before);
    assert.deepEqual(leftovers(s), []);
    s.manager.close();
  });

  it('stopping the cleaner after the commit point finishes the swap', () => {
    const { s, before, leo } = crashAt('swap-committed', 1, 0);
    s.manager.close();
    assert.deepEqual(leftovers(s), []);
    const again = s.reopen();
    assertCorrect(again.log, before, leo);
    again.manager.close();
  });

  it('retention removing segments under a cleaning abandons it without harm', () => {
    const { s, before } = dirtyLog(0);
    s.manager.cleaner.stepUntil((st) => st.phase === 'clean-batch');
    s.log.deleteRecordsBefore(s.log.segmentBaseOffsets[1]!);
    assert.deepEqual(s.manager.cleaner.cleanUntilIdle().length, 1);
    assert.equal(s.manager.cleaner.isUncleanable('compacted', 0), false);
    assert.deepEqual(leftovers(s), []);
    const kept = before.filter((r) => r.offset >= s.log.logStartOffset);
    assert.deepEqual(readAll(s.log), latestPerKey(kept));
    s.manager.close();
  });
});

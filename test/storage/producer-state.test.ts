import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordBatchHeader } from '../../src/protocol/records/batch-header.js';
import { PartitionLog } from '../../src/storage/log.js';
import { logConfig } from '../../src/storage/log-config.js';
import { MemoryFileSystem } from '../../src/storage/memory-fs.js';
import { ProducerStateManager } from '../../src/storage/producer-state.js';
import { buildBatch } from './batches.js';

const DIR = '/data/idem-0';
const PID = 1000;

function batch(seq: number, records = 1, epoch = 0, baseOffset = 0): RecordBatchHeader {
  return new RecordBatchHeader(
    buildBatch({ records, producerId: PID, producerEpoch: epoch, baseSequence: seq, baseOffset }),
  );
}

function check(state: ProducerStateManager, b: RecordBatchHeader) {
  const append = state.begin('client');
  const r = append.checkAndRecord(b);
  if (r.kind === 'ok') append.commit();
  return r;
}

describe('ProducerStateManager rules', () => {
  it('accepts in-order sequences and detects a retried batch among the last five', () => {
    const s = new ProducerStateManager();
    for (let i = 0; i < 6; i++) assert.equal(check(s, batch(i * 2, 2, 0, i * 2)).kind, 'ok');
    const dup = check(s, batch(8, 2));
    assert.deepEqual(dup, {
      kind: 'duplicate',
      firstOffset: 8,
      lastOffset: 9,
      timestamp: 1_700_000_000_000,
    });
    // the first batch fell out of the five cached: it is out of order now, not a duplicate
    assert.equal((check(s, batch(0, 2)) as { errorCode: number }).errorCode, 45);
  });

  it('refuses a gap or a repeat with OUT_OF_ORDER_SEQUENCE_NUMBER', () => {
    const s = new ProducerStateManager();
    check(s, batch(0));
    assert.equal((check(s, batch(2)) as { errorCode: number }).errorCode, 45);
    assert.equal(check(s, batch(1)).kind, 'ok');
    assert.equal(
      (check(s, batch(1, 2)) as { errorCode: number }).errorCode,
      45,
      'overlaps, not an exact retry',
    );
  });

  it('refuses an older epoch with INVALID_PRODUCER_EPOCH and needs sequence 0 for a new one', () => {
    const s = new ProducerStateManager();
    check(s, batch(0, 1, 3));
    assert.equal((check(s, batch(1, 1, 2)) as { errorCode: number }).errorCode, 47);
    assert.equal((check(s, batch(5, 1, 4)) as { errorCode: number }).errorCode, 45);
    assert.equal(check(s, batch(0, 1, 4)).kind, 'ok');
    assert.equal(s.lastEntry(PID)?.producerEpoch, 4);
    assert.equal(s.lastEntry(PID)?.batches.length, 1, 'batches of the old epoch are dropped');
  });

  it('accepts any sequence from a producer it has no state for (KIP-360)', () => {
    const s = new ProducerStateManager();
    assert.equal(check(s, batch(42)).kind, 'ok');
    assert.equal(check(s, batch(43)).kind, 'ok');
  });

  it('wraps the sequence from int32 max to 0', () => {
    const s = new ProducerStateManager();
    check(s, batch(0x7fffffff - 1, 2));
    assert.equal(s.lastEntry(PID)?.batches[0]?.lastSeq, 0x7fffffff);
    assert.equal(check(s, batch(0)).kind, 'ok');
  });

  it('records nothing before commit and applies replicated batches unchecked', () => {
    const s = new ProducerStateManager();
    const append = s.begin('client');
    assert.equal(append.checkAndRecord(batch(0)).kind, 'ok');
    assert.equal(s.lastEntry(PID), undefined);
    const replica = s.begin('replication');
    assert.equal(replica.checkAndRecord(batch(17, 1, 0, 5)).kind, 'ok');
    replica.commit();
    assert.equal(s.lastEntry(PID)?.batches[0]?.firstSeq, 17);
  });

  it('keeps every producer of a multi-batch append pending until commit, and the order within one', () => {
    const s = new ProducerStateManager();
    const other = (seq: number, baseOffset: number) =>
      new RecordBatchHeader(
        buildBatch({ producerId: PID + 1, producerEpoch: 0, baseSequence: seq, baseOffset }),
      );
    const append = s.begin('coordinator');
    assert.equal(append.checkAndRecord(batch(0, 1, 0, 0)).kind, 'ok');
    assert.equal(append.checkAndRecord(other(5, 1)).kind, 'ok');
    assert.equal(append.checkAndRecord(batch(1, 1, 0, 2)).kind, 'ok');
    assert.equal(append.checkAndRecord(batch(2, 1, 1, 3)).kind, 'ok', 'a newer epoch');
    assert.equal(
      (append.checkAndRecord(batch(3, 1, 0, 4)) as { errorCode: number }).errorCode,
      47,
      'the epoch raised earlier in the same append counts',
    );
    assert.equal(s.producerCount, 0);
    append.commit();
    assert.deepEqual(
      s.lastEntry(PID)?.batches.map((b) => [b.firstSeq, b.firstOffset]),
      [[2, 3]],
    );
    assert.equal(s.lastEntry(PID)?.producerEpoch, 1);
    assert.deepEqual(
      s.lastEntry(PID + 1)?.batches.map((b) => [b.firstSeq, b.firstOffset]),
      [[5, 1]],
    );
    assert.equal(s.mapEndOffset, 5);
  });

  it('leaves the committed state alone when an append is not committed', () => {
    const s = new ProducerStateManager();
    check(s, batch(0, 1, 0, 0));
    const before = structuredClone(s.lastEntry(PID));
    const append = s.begin('client');
    assert.equal(append.checkAndRecord(batch(1, 1, 0, 1)).kind, 'ok');
    assert.deepEqual(s.lastEntry(PID), before, 'a failed write leaves nothing behind');
    assert.equal(s.mapEndOffset, 1);
  });

  it('round-trips through a snapshot and refuses a damaged one', () => {
    const s = new ProducerStateManager();
    check(s, batch(0, 3));
    s.mapEndOffset = 3;
    const snap = s.serialize();
    const t = new ProducerStateManager();
    assert.ok(t.loadSnapshot(snap));
    assert.deepEqual(t.lastEntry(PID), s.lastEntry(PID));
    assert.equal(t.mapEndOffset, 3);
    snap[snap.length - 1] ^= 1;
    assert.equal(new ProducerStateManager().loadSnapshot(snap), false);
  });

  it('forgets producers below the log start offset and idle ones', () => {
    const s = new ProducerStateManager();
    check(s, batch(0, 1, 0, 0));
    s.onLogStartOffsetIncremented(1);
    assert.equal(s.producerCount, 0);
    check(s, batch(0));
    assert.equal(s.removeExpiredProducers(1_700_000_000_000 + 10, 5), 1);
  });
});

describe('idempotence in PartitionLog', () => {
  const config = logConfig({ messageTimestampAfterMaxMs: Number.POSITIVE_INFINITY });
  const produce = (seq: number, records = 2, epoch = 0) =>
    buildBatch({ records, producerId: PID, producerEpoch: epoch, baseSequence: seq });

  it('acknowledges a retried batch with its first offsets and writes it once', () => {
    const fs = new MemoryFileSystem();
    const log = PartitionLog.open({ fs, dir: DIR, config });
    log.append(produce(0));
    log.append(produce(2));
    const retry = log.append(produce(0));
    assert.deepEqual([retry.baseOffset, retry.lastOffset, retry.duplicate], [0, 1, true]);
    assert.equal(log.logEndOffset, 4);
    assert.throws(() => log.append(produce(7)), { code: 45 });
    assert.throws(
      () => log.append(buildBatch({ producerId: PID, producerEpoch: -1, baseSequence: -1 })),
      {
        code: 87,
      },
    );
  });

  it('rebuilds the state after a clean reopen (snapshot) and after a crash (log scan)', () => {
    for (const crash of [false, true]) {
      const fs = new MemoryFileSystem();
      const one = produce(0).length;
      const opts = { fs, dir: DIR, config: logConfig({ ...config, segmentBytes: one * 2 }) };
      const log = PartitionLog.open(opts);
      for (let i = 0; i < 5; i++) log.append(produce(i * 2));
      if (crash) fs.crash({ dropUnsynced: false });
      else log.close();
      const again = PartitionLog.open(opts);
      const retry = again.append(produce(8));
      assert.deepEqual([retry.baseOffset, retry.duplicate], [8, true], `crash=${crash}`);
      assert.equal(again.append(produce(10)).baseOffset, 10);
      assert.throws(() => again.append(produce(20)), { code: 45 });
      again.close();
    }
  });

  it('rebuilds the state after truncation', () => {
    const fs = new MemoryFileSystem();
    const log = PartitionLog.open({ fs, dir: DIR, config });
    for (let i = 0; i < 4; i++) log.append(produce(i * 2));
    log.truncateTo(4);
    assert.equal(log.producerState.lastEntry(PID)?.batches.at(-1)?.lastSeq, 3);
    assert.equal(log.append(produce(4)).baseOffset, 4);
  });
});

// Shared set-up for the log cleaner tests: a LogManager over a MemoryFileSystem with an injected
// clock, keyed batches, and a reader that returns what a consumer would see.
import assert from 'node:assert/strict';
import { RecordBatchHeader, splitBatches } from '../../../src/protocol/records/batch-header.js';
import { iterateRecords } from '../../../src/protocol/records/record.js';
import type { CleanerConfig } from '../../../src/storage/cleaner/cleaner-config.js';
import type { PartitionLog } from '../../../src/storage/log.js';
import { type LogConfig, logConfig } from '../../../src/storage/log-config.js';
import { LogManager, type LogManagerOptions } from '../../../src/storage/log-manager.js';
import { MemoryFileSystem } from '../../../src/storage/memory-fs.js';
import { buildBatch, type TestBatchOptions } from '../batches.js';

export const T0 = 1_700_000_000_000;
export const DATA = '/data';
export const TOPIC = 'compacted';
export const DIR = `${DATA}/${TOPIC}-0`;

export function compactedConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return logConfig({
    cleanupPolicy: ['compact'],
    messageTimestampAfterMaxMs: Number.POSITIVE_INFINITY,
    minCleanableDirtyRatio: 0.01,
    fileDeleteDelayMs: 0,
    segmentBytes: 1024,
    ...overrides,
  });
}

export interface Setup {
  fs: MemoryFileSystem;
  clock: { now: number };
  manager: LogManager;
  log: PartitionLog;
  /** Closes nothing: reopens the manager on the same files (after a crash, say). */
  reopen(): { manager: LogManager; log: PartitionLog };
}

export function setup(
  overrides: Partial<LogConfig> = {},
  cleaner: Partial<CleanerConfig> = {},
  fs = new MemoryFileSystem(),
  options: Partial<LogManagerOptions> = {},
): Setup {
  const clock = { now: T0 };
  const config = compactedConfig(overrides);
  const open = () => {
    const manager = LogManager.open({
      dataDir: DATA,
      fs,
      clock: () => clock.now,
      defaultConfig: config,
      cleaner: { backoffMs: 10, ...cleaner },
      ...options,
    });
    return { manager, log: manager.getOrCreateLog(TOPIC, 0) };
  };
  const { manager, log } = open();
  return { fs, clock, manager, log, reopen: open };
}

export type KV = readonly [key: string | null, value: string | null];

/** One batch of keyed records (a null value is a tombstone). */
export function keyed(
  entries: readonly KV[],
  options: Omit<TestBatchOptions, 'records'> & { timestamp?: number } = {},
): Buffer {
  return buildBatch({
    ...options,
    baseTimestamp: options.timestamp ?? options.baseTimestamp ?? T0,
    records: entries.map(([key, value]) => ({ key, value })),
  });
}

export interface ReadRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** Every batch from the log start to the log end, whole, CRC-checked. */
export function allBatches(log: PartitionLog): RecordBatchHeader[] {
  const out: RecordBatchHeader[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const read = log.read(offset, 1 << 20);
    if (read.records.length === 0) break;
    for (const b of splitBatches(read.records)) {
      assert.ok(b.isCrcValid(), `batch at ${b.baseOffset} passes its CRC`);
      out.push(new RecordBatchHeader(Buffer.from(b.buf)));
    }
    offset = read.nextOffset;
  }
  return out;
}

/** What a consumer reading from the start would get. */
export function readAll(log: PartitionLog): ReadRecord[] {
  const out: ReadRecord[] = [];
  for (const batch of allBatches(log)) {
    for (const r of iterateRecords(batch)) {
      out.push({
        offset: batch.baseOffset + r.offsetDelta,
        key: r.key?.toString() ?? null,
        value: r.value?.toString() ?? null,
        timestamp: batch.baseTimestamp + r.timestampDelta,
      });
    }
  }
  return out;
}

/** The latest record per key of `records` (tombstones included), in offset order. */
export function latestPerKey(records: readonly ReadRecord[]): ReadRecord[] {
  const latest = new Map<string | null, ReadRecord>();
  for (const r of records) latest.set(r.key, r);
  return [...latest.values()].sort((a, b) => a.offset - b.offset);
}

/** Writes `rounds` overwrites of keys k0..k{keys-1}, `perBatch` records per batch. */
export function writeOverwrites(
  log: PartitionLog,
  keys: number,
  rounds: number,
  perBatch = 5,
  timestamp = T0,
): void {
  const entries: KV[] = [];
  for (let r = 0; r < rounds; r++) for (let k = 0; k < keys; k++) entries.push([`k${k}`, `v${r}`]);
  for (let i = 0; i < entries.length; i += perBatch)
    log.append(keyed(entries.slice(i, i + perBatch), { timestamp }));
}

/** Everything a reader may rely on, whether or not the cleaning took effect. */
export function assertCorrect(log: PartitionLog, before: readonly ReadRecord[], leo: number): void {
  const after = readAll(log);
  assert.equal(log.logEndOffset, leo);
  const written = new Map(before.map((r) => [r.offset, r]));
  let last = -1;
  for (const r of after) {
    assert.ok(r.offset > last, 'offsets only grow');
    last = r.offset;
    assert.deepEqual(r, written.get(r.offset), `offset ${r.offset} holds what was written there`);
  }
  assert.deepEqual(latestPerKey(after), latestPerKey(before), 'the latest value of every key');
}

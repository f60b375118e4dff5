// Log cleaner: cleaning throughput, and what a cleaning in the background does to produce latency.
//   node --import tsx bench/cleaner-bench.ts [MiB of dirty log per case, default 64]
//
// 1. Throughput: a compacted partition of keyed 100 B records (50,000 keys, overwritten over and
//    over, ~16 KiB batches, 16 MiB segments) on a real directory, rolled so that all of it is
//    cleanable; `cleanUntilIdle()` cleans it in the foreground. MiB/s counts the log bytes the
//    cleaner read (offset map pass + cleaning pass each read the dirty section once); "per CPU
//    second" divides by the process's CPU time, which a busy shared machine disturbs less.
// 2. Produce latency: a "producer" appends a 1 KiB batch to another partition every millisecond
//    (setTimeout), and each append's latency is timer lateness + append time, as a produce request
//    waiting behind the cleaner's work on the event loop would see it. Once with the cleaner idle,
//    once while it cleans the same dirty log in the background (start(), with the default 1 ms
//    ticks and with 5 ms ticks).
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch, CompressionType } from '../src/protocol/records/index.js';
import { NodeFileSystem } from '../src/storage/fs.js';
import type { PartitionLog } from '../src/storage/log.js';
import { logConfig } from '../src/storage/log-config.js';
import { LogManager } from '../src/storage/log-manager.js';

const MiB = 1024 * 1024;
const dirtyBytes = Number(process.argv[2] ?? 64) * MiB;
const KEYS = 50_000;

// Values of hex digits: about 2:1 under a codec, like typical JSON or text payloads.
const VALUES = Array.from({ length: 64 }, () => Buffer.from(randomBytes(50).toString('hex')));

function fill(log: PartitionLog, compression: CompressionType): void {
  let k = 0;
  const now = Date.now();
  while (log.size < dirtyBytes) {
    const records = [];
    for (let i = 0; i < 140; i++) {
      const value = VALUES[k % VALUES.length]!;
      records.push({ key: Buffer.from(`key-${k++ % KEYS}`), value, timestamp: now });
    }
    log.append(buildRecordBatch({ records, compression }).buf);
  }
  log.roll();
}

function open(dir: string, cleaner = {}) {
  return LogManager.open({
    dataDir: dir,
    fs: new NodeFileSystem(),
    configFor: (topic) =>
      logConfig({
        cleanupPolicy: topic === 'compacted' ? ['compact'] : ['delete'],
        segmentBytes: 16 * MiB,
        messageTimestampAfterMaxMs: Number.POSITIVE_INFINITY,
        fileDeleteDelayMs: 0,
      }),
    cleaner: { backoffMs: 10, ...cleaner },
  });
}

function withDir<T>(work: (dir: string) => T): T {
  const dir = nodeFs.mkdtempSync(join(tmpdir(), 'samsa-cleaner-bench-'));
  try {
    return work(dir);
  } finally {
    nodeFs.rmSync(dir, { recursive: true, force: true });
  }
}

function throughput(label: string, compression: CompressionType): string {
  return withDir((dir) => {
    const manager = open(dir);
    const log = manager.getOrCreateLog('compacted', 0);
    fill(log, compression);
    const size = log.size;
    const start = performance.now();
    const cpu = process.cpuUsage();
    const results = manager.cleaner.cleanUntilIdle();
    const sec = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSec = (used.user + used.system) / 1e6;
    const read = results.reduce((sum, r) => sum + r.stats.bytesRead, 0);
    const records = results.reduce((sum, r) => sum + r.stats.messagesRead, 0);
    const after = log.size;
    manager.close();
    return `| ${label} | ${(size / MiB).toFixed(0)} MiB -> ${(after / MiB).toFixed(1)} MiB | ${results.length} | ${(size / MiB / sec).toFixed(1)} MiB/s of log (${(read / MiB / sec).toFixed(1)} MiB/s read), ${Math.round(records / sec).toLocaleString('en')} records/s | ${(size / MiB / cpuSec).toFixed(1)} MiB/s |`;
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function produceLatency(withCleaning: boolean, maxTickMs = 1): Promise<string> {
  const dir = nodeFs.mkdtempSync(join(tmpdir(), 'samsa-cleaner-bench-'));
  try {
    const manager = open(dir, { maxTickMs });
    const compacted = manager.getOrCreateLog('compacted', 0);
    fill(compacted, CompressionType.None);
    const target = manager.getOrCreateLog('produce', 0);
    const batch = buildRecordBatch({
      records: [{ key: null, value: Buffer.alloc(1000, 0x62), timestamp: Date.now() }],
    }).buf;
    const latencies: number[] = [];
    let cleaningMs = 0;
    const start = performance.now();
    if (withCleaning) manager.cleaner.start();
    const deadline = start + 3000;
    while (performance.now() < deadline || (withCleaning && !cleaned(manager))) {
      const due = performance.now() + 1;
      await new Promise((resolve) => setTimeout(resolve, 1));
      batch.writeBigInt64BE(0n, 0);
      target.append(batch);
      latencies.push(performance.now() - due);
      if (withCleaning && cleaningMs === 0 && cleaned(manager))
        cleaningMs = performance.now() - start;
    }
    manager.close();
    latencies.sort((a, b) => a - b);
    const f = (n: number) => n.toFixed(2);
    const size = (dirtyBytes / MiB).toFixed(0);
    const what = withCleaning
      ? `while cleaning ${size} MiB, ${maxTickMs} ms ticks (done in ${(cleaningMs / 1000).toFixed(1)} s, ${(dirtyBytes / MiB / (cleaningMs / 1000)).toFixed(1)} MiB/s)`
      : 'cleaner idle';
    return `| ${what} | ${latencies.length} | ${f(percentile(latencies, 50))} | ${f(percentile(latencies, 99))} | ${f(percentile(latencies, 99.9))} | ${f(latencies[latencies.length - 1]!)} |`;
  } finally {
    nodeFs.rmSync(dir, { recursive: true, force: true });
  }
}

function cleaned(manager: LogManager): boolean {
  return (
    manager.cleaner.firstDirtyOffset('compacted', 0) !== undefined &&
    manager.cleaner.history.length > 0
  );
}

console.log(
  '| data | log size before -> after | rounds | cleaning (foreground, wall clock) | per CPU second |',
);
console.log('| --- | --- | --- | --- | --- |');
console.log(throughput('uncompressed', CompressionType.None));
console.log(throughput('lz4', CompressionType.Lz4));
console.log(throughput('zstd', CompressionType.Zstd));
console.log();
console.log('| 1 KiB append every 1 ms | appends | p50 ms | p99 ms | p99.9 ms | max ms |');
console.log('| --- | --- | --- | --- | --- | --- |');
console.log(await produceLatency(false));
console.log(await produceLatency(true));
console.log(await produceLatency(true, 5));

// Storage engine throughput: PartitionLog.append and read on a real directory (NodeFileSystem).
//   node --import tsx bench/storage-bench.ts [MiB per case, default 256]
// Appends go to the page cache (no fsync per append: flush.messages/flush.ms at Kafka's
// defaults), as a produce with acks=1 does; each append is validated (framing, CRC32C) and gets
// its offsets assigned in place. Reads are fetch-sized (1 MiB) sequential reads of what was just
// written, so they come from the page cache too.
import * as nodeFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '../src/protocol/records/index.js';
import { NodeFileSystem } from '../src/storage/fs.js';
import { PartitionLog } from '../src/storage/log.js';
import { logConfig } from '../src/storage/log-config.js';

const MiB = 1024 * 1024;
const totalBytes = Number(process.argv[2] ?? 256) * MiB;

function batchOf(targetBytes: number): Buffer {
  const value = Buffer.alloc(100, 0x61);
  const now = Date.now();
  const records = [];
  // ~111 bytes per 100 B record (length, attributes, deltas, lengths, headers count)
  for (let size = 61; size + 111 <= targetBytes; size += 111)
    records.push({ key: null, value, timestamp: now });
  return buildRecordBatch({ records }).buf;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function runCase(label: string, batchBytes: number): string {
  const dir = nodeFs.mkdtempSync(join(tmpdir(), 'samsa-storage-bench-'));
  try {
    const fs = new NodeFileSystem();
    const config = logConfig({
      messageTimestampAfterMaxMs: Number.POSITIVE_INFINITY,
      maxMessageBytes: 2 * MiB,
    });
    const log = PartitionLog.open({ fs, dir: join(dir, 'bench-0'), config });
    const batch = batchOf(batchBytes);
    const records = batch.readInt32BE(57);
    const appends = Math.max(1, Math.floor(totalBytes / batch.length));

    let start = process.hrtime.bigint();
    for (let i = 0; i < appends; i++) {
      batch.writeBigInt64BE(0n, 0); // a producer sends base offset 0; append wrote the last one
      log.append(batch);
    }
    const appendSec = seconds(start);
    const written = appends * batch.length;

    start = process.hrtime.bigint();
    let offset = 0;
    let read = 0;
    while (offset < log.logEndOffset) {
      const r = log.read(offset, MiB);
      read += r.records.length;
      offset = r.nextOffset;
    }
    const readSec = seconds(start);
    log.close();
    const mbs = (bytes: number, s: number) => (bytes / MiB / s).toFixed(0);
    return `| ${label} (${batch.length} B, ${records} records) | ${(written / MiB).toFixed(0)} MiB | ${mbs(written, appendSec)} MiB/s, ${Math.round(appends / appendSec)} appends/s, ${Math.round((appends * records) / appendSec).toLocaleString('en')} records/s | ${mbs(read, readSec)} MiB/s |`;
  } finally {
    nodeFs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log('| batch | volume | append | read (1 MiB fetches) |');
console.log('| --- | --- | --- | --- |');
console.log(runCase('16 KiB batches', 16 * 1024));
console.log(runCase('1 MiB batches', MiB));

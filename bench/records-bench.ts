// Micro-benchmarks of protocol/records: CRC32C, record decoding, batch building and the codecs.
//   node --import tsx bench/records-bench.ts
// Each figure is the best of a few timed rounds of ~300 ms, so the whole run stays well under
// 30 s on a shared 2-core machine.
import { crc32c } from '@node-rs/crc32';
import {
  buildRecordBatch,
  CompressionType,
  compress,
  compressionName,
  decompress,
  type RecordInput,
  readRecords,
} from '../src/protocol/records/index.js';

const ROUND_MS = 300;
const ROUNDS = 3;

/** Runs `fn` repeatedly for ROUNDS rounds; returns the best rate in calls per second. */
function rate(fn: () => void): number {
  fn(); // warm-up
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    do {
      fn();
      calls++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    } while (elapsed < ROUND_MS);
    best = Math.max(best, (calls * 1000) / elapsed);
  }
  return best;
}

function textLike(size: number, seed: number): Buffer {
  // JSON-ish events with random ids and numbers: gzip takes them to roughly a third, like
  // typical event data (repetitive keys, high-entropy values).
  const words = ['user', 'order', 'click', 'page', 'id', 'amount', 'ts', 'ok', 'items', 'eu-west'];
  const parts: string[] = [];
  let x = seed >>> 0;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  let length = 0;
  while (length < size) {
    const s = `{"${words[next() % 10]}":${next() % 1000000},"${words[next() % 10]}":"${next().toString(36)}${next().toString(16)}"},`;
    parts.push(s);
    length += s.length;
  }
  return Buffer.from(parts.join('').slice(0, size));
}

const MiB = 1024 * 1024;
const mbps = (callsPerSec: number, bytes: number) => (callsPerSec * bytes) / MiB;
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const lines: string[] = [];
const out = (s: string) => {
  lines.push(s);
  console.log(s);
};

// CRC32C
const oneMiB = textLike(MiB, 7);
out('| measurement | result |');
out('| --- | --- |');
out(
  `| CRC32C, 1 MiB buffers (native) | ${fmt(
    mbps(
      rate(() => crc32c(oneMiB)),
      MiB,
    ),
  )} MiB/s |`,
);

// Record decoding and batch building
for (const valueSize of [100, 1024]) {
  const count = valueSize === 100 ? 1000 : 500;
  const records: RecordInput[] = Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`key-${i}`),
    value: textLike(valueSize, i),
    timestamp: 1_700_000_000_000 + i,
  }));
  const batch = buildRecordBatch({ records });
  const decodeRate = rate(() => readRecords(batch)) * count;
  out(
    `| decode ${valueSize} B records, uncompressed batch of ${count} | ${fmt(decodeRate)} records/s |`,
  );
  const buildRate = rate(() => buildRecordBatch({ records })) * count;
  out(
    `| build ${valueSize} B records, uncompressed batch of ${count} | ${fmt(buildRate)} records/s |`,
  );
  const lz4 = buildRecordBatch({ records, compression: CompressionType.Lz4 });
  const lz4Rate = rate(() => readRecords(lz4)) * count;
  out(
    `| decode ${valueSize} B records, lz4 batch of ${count} (incl. decompression) | ${fmt(lz4Rate)} records/s |`,
  );
}

// Codecs on 1 MiB of JSON-like data
out('');
out('| codec (1 MiB JSON-like input) | ratio | compress MiB/s | decompress MiB/s |');
out('| --- | --- | --- | --- |');
for (const codec of [
  CompressionType.Gzip,
  CompressionType.Snappy,
  CompressionType.Lz4,
  CompressionType.Zstd,
]) {
  const compressed = compress(codec, oneMiB);
  const c = mbps(
    rate(() => compress(codec, oneMiB)),
    MiB,
  );
  const d = mbps(
    rate(() => decompress(codec, compressed)),
    MiB,
  );
  out(
    `| ${compressionName(codec)} | ${fmt(MiB / compressed.length, 1)}x | ${fmt(c)} | ${fmt(d)} |`,
  );
}

// Micro-benchmarks of the generated codecs: that decoding a 1 MiB Produce request leaves the
// records where they arrived (no copy), CRC32C speed, and encode/decode time per message for
// Metadata, Produce and Fetch at the versions current clients use.
//   node --import tsx bench/protocol-bench.ts
// Each figure is the best of three ~300 ms rounds (a shared machine is noisy; the best round is
// the one least disturbed).
import { crc32c } from '@node-rs/crc32';
import { FetchApi, type FetchResponse } from '../src/protocol/messages/fetch.js';
import { MetadataApi, type MetadataResponse } from '../src/protocol/messages/metadata.js';
import { ProduceApi, type ProduceRequest } from '../src/protocol/messages/produce.js';
import { Reader } from '../src/protocol/primitives/reader.js';
import { randomUuid } from '../src/protocol/primitives/uuid.js';
import { buildRecordBatch, type RecordInput } from '../src/protocol/records/index.js';

const ROUND_MS = 300;

/** Best time per call, in nanoseconds, over three rounds. */
function nsPerCall(fn: () => void): number {
  fn();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsedNs = 0;
    do {
      fn();
      calls++;
      elapsedNs = Number(process.hrtime.bigint() - start);
    } while (elapsedNs < ROUND_MS * 1e6);
    best = Math.min(best, elapsedNs / calls);
  }
  return best;
}

function batchOf(bytes: number, recordSize: number): Buffer {
  const records: RecordInput[] = [];
  const value = Buffer.alloc(recordSize, 0x61);
  for (let i = 0; i * (recordSize + 12) < bytes; i++) {
    records.push({
      key: Buffer.from(`k${i}`),
      value,
      headers: [],
      timestamp: 1_700_000_000_000 + i,
    });
  }
  return buildRecordBatch({ records }).buf;
}

function produceRequest(records: Buffer, partitions = 1): ProduceRequest {
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [
      {
        name: 'bench',
        partitionData: Array.from({ length: partitions }, (_, index) => ({ index, records })),
      },
    ],
  };
}

const lines: string[] = [];
const out = (s: string) => {
  lines.push(s);
  console.log(s);
};

// 1. A 1 MiB Produce request: the decoded records are a view into the request frame.
const big = batchOf(1024 * 1024, 1000);
const frame = ProduceApi.encodeRequest(produceRequest(big), 9).toBuffer();
const decoded = ProduceApi.decodeRequest(new Reader(frame), 9);
const records = decoded.topicData[0]!.partitionData[0]!.records!;
const sharesMemory =
  records.buffer === frame.buffer &&
  records.byteOffset >= frame.byteOffset &&
  records.byteOffset + records.length <= frame.byteOffset + frame.length;
out(`Produce v9 request of ${frame.length} bytes (one ${big.length}-byte batch):`);
out(
  `- decoded records lie inside the request frame (same ArrayBuffer, offset ${records.byteOffset - frame.byteOffset}): ${sharesMemory ? 'yes, no copy' : 'NO: copied'}`,
);
const decodeBig = nsPerCall(() => ProduceApi.decodeRequest(new Reader(frame), 9));
const copyBig = nsPerCall(() => Buffer.from(records));
out(
  `- decode time: ${(decodeBig / 1000).toFixed(2)} µs; copying those records once would take ${(copyBig / 1000).toFixed(2)} µs`,
);

// 2. CRC32C, native.
const mib = Buffer.alloc(1024 * 1024, 7);
const crcNs = nsPerCall(() => crc32c(mib));
out(
  `CRC32C (@node-rs/crc32) over 1 MiB: ${((((1024 * 1024) / crcNs) * 1e9) / 1e6).toFixed(0)} MB/s`,
);

// 3. Per-message encode/decode for the three hottest APIs.
const metadata: MetadataResponse = {
  throttleTimeMs: 0,
  brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }],
  clusterId: 'cluster',
  controllerId: 1,
  topics: Array.from({ length: 10 }, (_, t) => ({
    errorCode: 0,
    name: `topic-${t}`,
    topicId: randomUuid(),
    isInternal: false,
    partitions: Array.from({ length: 10 }, (_, p) => ({
      errorCode: 0,
      partitionIndex: p,
      leaderId: 1,
      leaderEpoch: 0,
      replicaNodes: [1],
      isrNodes: [1],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: -2147483648,
  })),
};
const batch16k = batchOf(16 * 1024, 100);
const fetch: FetchResponse = {
  throttleTimeMs: 0,
  errorCode: 0,
  sessionId: 0,
  responses: [
    {
      topicId: randomUuid(),
      partitions: Array.from({ length: 10 }, (_, p) => ({
        partitionIndex: p,
        errorCode: 0,
        highWatermark: 1000n,
        lastStableOffset: 1000n,
        logStartOffset: 0n,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: batch16k,
      })),
    },
  ],
};
const produce = produceRequest(batch16k, 10);

// Encoding stops at the list of buffers the socket takes (batches referenced, not joined).
const cases: [string, () => Buffer[], (b: Buffer) => unknown][] = [
  [
    'Metadata v12 response, 10 topics x 10 partitions',
    () => MetadataApi.encodeResponse(metadata, 12).toBuffers(),
    (b) => MetadataApi.decodeResponse(new Reader(b), 12),
  ],
  [
    'Produce v9 request, 10 partitions x 16 KiB batch',
    () => ProduceApi.encodeRequest(produce, 9).toBuffers(),
    (b) => ProduceApi.decodeRequest(new Reader(b), 9),
  ],
  [
    'Fetch v16 response, 10 partitions x 16 KiB batch',
    () => FetchApi.encodeResponse(fetch, 16).toBuffers(),
    (b) => FetchApi.decodeResponse(new Reader(b), 16),
  ],
];
out('');
out('| message | bytes | encode (µs) | decode (µs) |');
out('| --- | --- | --- | --- |');
for (const [name, encode, decode] of cases) {
  const bytes = Buffer.concat(encode());
  const enc = nsPerCall(() => encode());
  const dec = nsPerCall(() => decode(bytes));
  out(`| ${name} | ${bytes.length} | ${(enc / 1000).toFixed(2)} | ${(dec / 1000).toFixed(2)} |`);
}

// Seeded fuzzing of every decoder and decompressor with random and mutated input: the only
// error allowed out is MalformedInputError. Deterministic (fixed seeds), and capped by a
// deadline so a slow machine spends a few seconds at most.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from '@node-rs/crc32';
import { MalformedInputError } from '../../../src/protocol/errors.js';
import {
  buildRecordBatch,
  CompressionType,
  compress,
  decodeRecords,
  decompress,
  iterateRecords,
  RECORD_BATCH_OVERHEAD,
  RecordBatchHeader,
  readEndTransactionMarker,
  readLegacyMessageSet,
  readRecords,
  splitBatches,
  validateProducedRecords,
  validateProducedRecordsDeep,
} from '../../../src/protocol/records/index.js';
import { capturedRecordSets, goldenScenarios } from './golden-frames.js';

const LIMIT = 1024 * 1024;
const BUDGET_MS = 2500;

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Buffer, rnd: () => number): Buffer {
  const int = (n: number) => Math.floor(rnd() * n);
  let b = Buffer.from(src);
  const edits = 1 + int(4);
  for (let e = 0; e < edits; e++) {
    switch (int(6)) {
      case 0: // flip a bit
        if (b.length) b[int(b.length)]! ^= 1 << int(8);
        break;
      case 1: // random byte
        if (b.length) b[int(b.length)] = int(256);
        break;
      case 2: // truncate
        b = b.subarray(0, int(b.length + 1));
        break;
      case 3: // insert random bytes
        {
          const at = int(b.length + 1);
          const ins = Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256)));
          b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
        }
        break;
      case 4: // interesting values for length fields
        if (b.length >= 4) {
          const v = [0, -1, -2, 0x7fffffff, 0x80000000 | 0, 1, 127, 128][int(8)]!;
          b.writeInt32BE(v, int(b.length - 3));
        }
        break;
      default: {
        // delete a range
        const at = int(b.length + 1);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + int(16))]);
      }
    }
  }
  return b;
}

function onlyMalformed(what: string, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof MalformedInputError, `${what}: ${(err as Error)?.stack ?? err}`);
  }
}

/** Re-signs a mutated batch so the decoders behind the CRC check are reached too. */
function resign(buf: Buffer): Buffer {
  if (buf.length >= RECORD_BATCH_OVERHEAD) new RecordBatchHeader(buf).updateCrc();
  return buf;
}

function exerciseBatches(buf: Buffer): void {
  onlyMalformed('validateProducedRecords', () => {
    const r = validateProducedRecords(buf, { produceVersion: 9, maxMessageBytes: LIMIT });
    if (r.ok) {
      validateProducedRecordsDeep(r.batch, {
        now: 0,
        messageTimestampType: 0,
        maxDecompressedBytes: LIMIT,
      });
    }
  });
  let batches: RecordBatchHeader[] = [];
  onlyMalformed('splitBatches', () => {
    batches = splitBatches(buf, true);
  });
  for (const batch of batches) {
    onlyMalformed('readRecords', () => readRecords(batch, { maxBytes: LIMIT }));
    onlyMalformed('iterateRecords', () => [...iterateRecords(batch, { maxBytes: LIMIT })]);
    onlyMalformed('readEndTransactionMarker', () => readEndTransactionMarker(batch));
  }
}

function seedBatches(): Buffer[] {
  const records = Array.from({ length: 20 }, (_, i) => ({
    key: i % 4 ? Buffer.from(`k${i}`) : null,
    value: i % 5 ? Buffer.from(`value-${i}-`.repeat(i)) : null,
    headers: i % 3 ? [] : [{ key: `h${i}`, value: Buffer.from('x') }],
    timestamp: 1_700_000_000_000 + i,
  }));
  const seeds = [0, 1, 2, 3, 4].map(
    (compression) => buildRecordBatch({ compression: compression as CompressionType, records }).buf,
  );
  seeds.push(
    buildRecordBatch({
      isControl: true,
      isTransactional: true,
      records: [{ key: Buffer.from('00000001', 'hex'), value: Buffer.alloc(6), timestamp: 1 }],
    }).buf,
  );
  // Captured batches from real clients, one per codec, when present.
  const byCodec = new Map<number, Buffer>();
  for (const s of goldenScenarios().slice(0, 40)) {
    for (const set of capturedRecordSets(s)) {
      for (const b of splitBatches(set.records, true)) {
        if (!byCodec.has(b.compression)) byCodec.set(b.compression, Buffer.from(b.buf));
      }
    }
  }
  return [...seeds, ...byCodec.values()];
}

test('mutated and random record batches raise only MalformedInputError', () => {
  const rnd = prng(0x5a4d5a);
  const seeds = seedBatches();
  const deadline = Date.now() + BUDGET_MS;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const seed = seeds[i % seeds.length]!;
    const m = mutate(seed, rnd);
    exerciseBatches(i % 2 ? resign(m) : m);
    if (i % 50 === 0) {
      const random = Buffer.from(
        Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)),
      );
      exerciseBatches(random);
      onlyMalformed('decodeRecords', () => decodeRecords(random, Math.floor(rnd() * 40) - 2));
    }
  }
});

test('mutated and random compressed payloads raise only MalformedInputError', () => {
  const rnd = prng(0xc0dec);
  const plain = Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(500));
  const payloads = [1, 2, 3, 4].map(
    (codec) => [codec, compress(codec as CompressionType, plain)] as const,
  );
  const deadline = Date.now() + BUDGET_MS;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const [codec, payload] = payloads[i % payloads.length]!;
    const m = mutate(payload, rnd);
    for (const c of [codec, 1 + (i % 4)])
      onlyMalformed(`decompress ${c}`, () => decompress(c, m, LIMIT));
    if (i % 20 === 0) {
      const random = Buffer.from(
        Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)),
      );
      for (const c of [0, 1, 2, 3, 4, 5, 7])
        onlyMalformed(`decompress ${c}`, () => decompress(c, random, LIMIT));
    }
  }
});

test('mutated legacy message sets raise only MalformedInputError', () => {
  const rnd = prng(0x1e6ac);
  // magic 1, gzip wrapper around two messages, built by hand (see legacy.test.ts for golden ones).
  const inner = Buffer.concat([
    legacyMessage(0, 1, 0, 'a', 'x'),
    legacyMessage(1, 1, 0, null, 'yy'),
  ]);
  const seeds = [
    Buffer.concat([legacyMessage(5, 0, 0, 'k', 'v'), legacyMessage(6, 1, 0, null, null)]),
    legacyMessage(1, 1, 1, null, compress(CompressionType.Gzip, inner)),
    legacyMessage(1, 1, 2, null, compress(CompressionType.Snappy, inner)),
    legacyMessage(1, 0, 3, null, compress(CompressionType.Lz4, inner)),
  ];
  const deadline = Date.now() + BUDGET_MS;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const m = mutate(seeds[i % seeds.length]!, rnd);
    onlyMalformed('readLegacyMessageSet', () => readLegacyMessageSet(m, { maxBytes: LIMIT }));
    onlyMalformed('readLegacyMessageSet tail', () =>
      readLegacyMessageSet(m, { maxBytes: LIMIT, allowPartialTail: true }),
    );
  }
});

function legacyMessage(
  offset: number,
  magic: 0 | 1,
  codec: number,
  key: string | Buffer | null,
  value: string | Buffer | null,
): Buffer {
  const bytes = (v: string | Buffer | null) => {
    if (v === null) return Buffer.from('ffffffff', 'hex');
    const b = Buffer.from(v);
    const len = Buffer.alloc(4);
    len.writeInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const ts = Buffer.alloc(magic === 1 ? 8 : 0);
  if (magic === 1) ts.writeBigInt64BE(1000n);
  const body = Buffer.concat([Buffer.from([magic, codec]), ts, bytes(key), bytes(value)]);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(BigInt(offset), 0);
  head.writeInt32BE(body.length + 4, 8);
  head.writeUInt32BE(crc32(body) >>> 0, 12);
  return Buffer.concat([head, body]);
}

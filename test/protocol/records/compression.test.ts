import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import { compressSync as lz4RawCompress } from 'lz4-napi';
import { compressSync as snappyRawCompress } from 'snappy';
import zstd from 'zstd-napi/binding.js';
import { MalformedInputError } from '../../../src/protocol/errors.js';
import {
  CompressionType,
  compress,
  compressionName,
  decompress,
  isKnownCompression,
  isXerialFramed,
} from '../../../src/protocol/records/index.js';

const CODECS = [
  CompressionType.None,
  CompressionType.Gzip,
  CompressionType.Snappy,
  CompressionType.Lz4,
  CompressionType.Zstd,
] as const;

function sample(size: number, seed = 1): Buffer {
  // Half-compressible text-like data, deterministic.
  const b = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = i % 3 === 0 ? 97 + ((x >>> 16) % 26) : 32 + (i % 7);
  }
  return b;
}

const refusesLimit = (fn: () => unknown) =>
  assert.throws(fn, (e: unknown) => e instanceof MalformedInputError && /limit/.test(e.message));
const refusesCorrupt = (fn: () => unknown) =>
  assert.throws(fn, (e: unknown) => e instanceof MalformedInputError && e.code === 2);

test('CRC32C check vectors (RFC 3720 / iSCSI)', () => {
  assert.equal(crc32c(Buffer.from('123456789')) >>> 0, 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(0)) >>> 0, 0);
  assert.equal(crc32c(Buffer.alloc(32, 0)) >>> 0, 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)) >>> 0, 0x62a8ab43);
  const ascending = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  assert.equal(crc32c(ascending) >>> 0, 0x46dd794e);
});

test('every codec round-trips empty, small and multi-block payloads', () => {
  for (const codec of CODECS) {
    for (const size of [0, 1, 100, 70_000, 300_000]) {
      const input = sample(size, size + codec);
      const out = decompress(codec, compress(codec, input), size + 1);
      assert.ok(out.equals(input), `${compressionName(codec)} ${size}`);
    }
  }
});

test('codec names and ids', () => {
  assert.deepEqual(CODECS.map(compressionName), ['none', 'gzip', 'snappy', 'lz4', 'zstd']);
  assert.equal(compressionName(6), 'unknown(6)');
  assert.equal(isKnownCompression(4), true);
  assert.equal(isKnownCompression(5), false);
  refusesCorrupt(() => decompress(5, Buffer.from('x')));
});

test('snappy is written in the xerial framing Java writes, with 32 KiB blocks', () => {
  const input = sample(70_000);
  const out = compress(CompressionType.Snappy, input);
  assert.ok(isXerialFramed(out));
  assert.deepEqual(
    out.subarray(0, 16),
    Buffer.from('82534e4150505900' + '00000001' + '00000001', 'hex'),
  );
  // Three blocks: 32768 + 32768 + 4464 bytes of input.
  let at = 16;
  let blocks = 0;
  while (at < out.length) {
    at += 4 + out.readInt32BE(at);
    blocks++;
  }
  assert.equal(at, out.length);
  assert.equal(blocks, 3);
});

test('snappy reads raw blocks (librdkafka) and concatenated xerial streams', () => {
  const input = sample(5000);
  const raw = snappyRawCompress(input);
  assert.ok(decompress(CompressionType.Snappy, raw).equals(input));
  const a = compress(CompressionType.Snappy, input.subarray(0, 2000));
  const b = compress(CompressionType.Snappy, input.subarray(2000));
  assert.ok(decompress(CompressionType.Snappy, Buffer.concat([a, b])).equals(input));
});

test('snappy refuses a length preamble beyond the limit before decoding', () => {
  // Preamble says 4 GiB - 1; the native decoder would try to allocate it.
  const lie = Buffer.from('ffffffff0f0000', 'hex');
  refusesLimit(() => decompress(CompressionType.Snappy, lie));
  const input = sample(100_000);
  refusesLimit(() =>
    decompress(CompressionType.Snappy, compress(CompressionType.Snappy, input), 99_999),
  );
  refusesLimit(() => decompress(CompressionType.Snappy, snappyRawCompress(input), 99_999));
  refusesCorrupt(() =>
    decompress(CompressionType.Snappy, Buffer.from('82534e41505059000000', 'hex')),
  );
});

test('lz4 writes a v1 frame with independent blocks, readable with any block size', () => {
  const out = compress(CompressionType.Lz4, sample(1000));
  assert.equal(out.readUInt32LE(0), 0x184d2204);
  const flg = out[4]!;
  assert.equal(flg & 0xc0, 0x40, 'version 1');
  assert.equal(flg & 0x20, 0x20, 'independent blocks (Java refuses dependent ones)');
  const sizeId = (out[5]! >> 4) & 7;
  assert.ok(sizeId >= 4 && sizeId <= 7, 'block size Java accepts');
});

/** A hand-made LZ4 frame: FLG/BD as given, blocks as [compressed?, bytes]. */
function lz4Frame(
  flg: number,
  bd: number,
  blocks: [boolean, Buffer][],
  contentSize?: bigint,
): Buffer {
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18, flg, bd])];
  if (contentSize !== undefined) {
    const cs = Buffer.alloc(8);
    cs.writeBigUInt64LE(contentSize);
    parts.push(cs);
  }
  parts.push(Buffer.from([0])); // header checksum, not verified
  for (const [compressed, data] of blocks) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE((data.length | (compressed ? 0 : 0x80000000)) >>> 0);
    parts.push(size, data);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}
const lz4Block = (input: Buffer) => lz4RawCompress(input).subarray(4); // drop lz4-napi's size prefix

test('lz4 decodes hand-made frames: uncompressed blocks, 64 KiB blocks, content size', () => {
  const a = sample(60_000, 1);
  const b = sample(1000, 2);
  const frame = lz4Frame(
    0x68,
    0x40,
    [
      [true, lz4Block(a)],
      [false, b],
    ],
    61_000n,
  );
  assert.ok(decompress(CompressionType.Lz4, frame).equals(Buffer.concat([a, b])));
});

test('lz4 refuses bombs, dependent blocks and bad descriptors', () => {
  // 20 blocks of 4 MiB of zeros each: 80 MiB from a few hundred KiB.
  const zeros = lz4Block(Buffer.alloc(4 * 1024 * 1024));
  const bomb = lz4Frame(
    0x60,
    0x70,
    Array.from({ length: 20 }, () => [true, zeros] as [boolean, Buffer]),
  );
  assert.ok(bomb.length < 400_000);
  refusesLimit(() => decompress(CompressionType.Lz4, bomb));
  refusesLimit(() => decompress(CompressionType.Lz4, lz4Frame(0x68, 0x40, [], 1n << 40n)));
  refusesCorrupt(() =>
    decompress(CompressionType.Lz4, lz4Frame(0x40, 0x40, [[false, sample(10)]])),
  );
  refusesCorrupt(() =>
    decompress(CompressionType.Lz4, lz4Frame(0x60, 0x30, [[false, sample(10)]])),
  );
  refusesCorrupt(() =>
    decompress(CompressionType.Lz4, lz4Frame(0x60, 0x40, [[false, sample(70_000)]])),
  );
});

test('zstd decodes frames without a content size, as streaming producers write them', () => {
  const input = sample(500_000);
  const cctx = new zstd.CCtx();
  cctx.setParameter(zstd.CParameter.contentSizeFlag, 0);
  const out = Buffer.alloc(zstd.compressBound(input.length));
  const [, produced] = cctx.compressStream2(out, input, zstd.EndDirective.end);
  const frame = out.subarray(0, produced);
  assert.equal(zstd.getFrameContentSize(frame), null);
  assert.ok(decompress(CompressionType.Zstd, frame).equals(input));
  refusesLimit(() => decompress(CompressionType.Zstd, frame, 499_999));
  // Samsa's own frames carry the size.
  assert.equal(zstd.getFrameContentSize(compress(CompressionType.Zstd, input)), input.length);
});

/** A zstd frame of RLE blocks with no content size: `blocks` x 128 KiB from 4 bytes each. */
function zstdRleBomb(blocks: number): Buffer {
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])]; // FHD 0, window 2^17
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    const header = (131072 << 3) | (1 << 1) | last; // RLE block of 128 KiB
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0x41]));
  }
  return Buffer.concat(parts);
}

test('zstd refuses bombs with and without a declared size', () => {
  const bomb = zstdRleBomb(1000); // 125 MiB from 4 KiB
  assert.ok(
    decompress(CompressionType.Zstd, zstdRleBomb(3)).equals(Buffer.alloc(3 * 131072, 0x41)),
  );
  refusesLimit(() => decompress(CompressionType.Zstd, bomb));
  // Single-segment frame declaring 2^40 bytes.
  const fcs = Buffer.alloc(8);
  fcs.writeBigUInt64LE(1n << 40n);
  const lie = Buffer.concat([
    Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0]),
    fcs,
    Buffer.from([1, 0, 0]),
  ]);
  refusesLimit(() => decompress(CompressionType.Zstd, lie));
  refusesCorrupt(() => decompress(CompressionType.Zstd, zstdRleBomb(3).subarray(0, 10)));
});

test('gzip stops at the limit and refuses corrupt input', () => {
  const zeros = gzipSync(Buffer.alloc(2 * 1024 * 1024));
  refusesLimit(() => decompress(CompressionType.Gzip, zeros, 1024 * 1024));
  assert.equal(decompress(CompressionType.Gzip, zeros, 2 * 1024 * 1024).length, 2 * 1024 * 1024);
  refusesCorrupt(() => decompress(CompressionType.Gzip, zeros.subarray(0, zeros.length - 5)));
  refusesCorrupt(() => decompress(CompressionType.Gzip, Buffer.from('not gzip at all')));
});

test('none is bounded too', () => {
  refusesLimit(() => decompress(CompressionType.None, Buffer.alloc(10), 9));
});

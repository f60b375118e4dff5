// LZ4 for magic 2 is the LZ4 *frame* format (KIP-57), not raw blocks.
//
// Writing: lz4-napi's compressFrameSync emits a frame with independent blocks (FLG 0x60: version
// 1, block independence, no checksums, no content size) and 256 KiB maximum blocks. Java's
// Lz4BlockInputStream requires version 1 and independent blocks and takes block sizes 64 KiB to
// 4 MiB; librdkafka and the KafkaJS lz4 codecs read any standard frame.
//
// Reading: the frame's block headers are walked first, so its largest possible output is known
// before anything is decoded; a bomb is refused before it is allocated. Like Java, dependent
// blocks (which Kafka has never written) are refused. When a block-by-block decode is needed,
// content checksums are skipped (the batch CRC32C already covers every byte) and so is the
// header checksum, which magic 0 producers wrote wrongly (KAFKA-3160).
import { compressFrameSync, decompressFrameSync, uncompressSync } from 'lz4-napi';
import { MalformedInputError } from '../../errors.js';
import { CORRUPT_MESSAGE, exceedsLimit } from './limits.js';

const LZ4_FRAME_MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_1 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;
const BD_RESERVED = 0x8f;
const BLOCK_UNCOMPRESSED = 0x80000000;

function corrupt(why: string): MalformedInputError {
  return new MalformedInputError(`lz4 data is corrupt: ${why}`, CORRUPT_MESSAGE);
}

export function lz4Compress(buf: Buffer): Buffer {
  return compressFrameSync(buf);
}

interface Lz4Frame {
  maxBlockSize: number;
  blocks: { compressed: boolean; data: Buffer }[];
  /** Where the frame ends: after the end mark and the content checksum, if any. */
  end: number;
  /** The most the blocks can decode to. */
  bound: number;
}

/** Checks the frame's structure and finds its blocks without decoding any. */
function parseFrame(buf: Buffer, maxBytes: number): Lz4Frame {
  if (buf.length < 7) throw corrupt('truncated frame header');
  if (buf.readUInt32LE(0) !== LZ4_FRAME_MAGIC) throw corrupt('not an LZ4 frame (bad magic)');
  const flg = buf[4]!;
  const bd = buf[5]!;
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_1) throw corrupt('frame version is not 1');
  if (flg & (FLG_RESERVED | FLG_DICT_ID)) throw corrupt('reserved or dictionary flag set');
  if ((flg & FLG_BLOCK_INDEPENDENCE) === 0) throw corrupt('dependent blocks are not supported');
  if (bd & BD_RESERVED) throw corrupt('reserved block descriptor bits set');
  const sizeId = (bd >> 4) & 0x07;
  if (sizeId < 4) throw corrupt(`block size id ${sizeId} is not 4-7`);
  const maxBlockSize = 1 << (2 * sizeId + 8);
  const blockChecksum = (flg & FLG_BLOCK_CHECKSUM) !== 0;
  let at = 6;
  if (flg & FLG_CONTENT_SIZE) {
    if (buf.length < at + 9) throw corrupt('truncated frame header');
    // A declared size beyond the limit is refused at once; a smaller one is not trusted.
    const declared = Number(buf.readBigUInt64LE(at));
    if (declared > maxBytes) throw exceedsLimit('lz4', maxBytes);
    at += 8;
  }
  at += 1; // header checksum

  const blocks: Lz4Frame['blocks'] = [];
  let bound = 0;
  for (;;) {
    if (buf.length - at < 4) throw corrupt('truncated block size');
    const word = buf.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const size = (word & ~BLOCK_UNCOMPRESSED) >>> 0;
    if (size > maxBlockSize) throw corrupt(`block of ${size} bytes exceeds ${maxBlockSize}`);
    if (buf.length - at < size + (blockChecksum ? 4 : 0)) throw corrupt('truncated block');
    const compressed = (word & BLOCK_UNCOMPRESSED) === 0;
    blocks.push({ compressed, data: buf.subarray(at, at + size) });
    bound += compressed ? maxBlockSize : size;
    at += size + (blockChecksum ? 4 : 0);
  }
  // Like Java, a missing content checksum and anything after the frame are not errors.
  const end = flg & FLG_CONTENT_CHECKSUM ? Math.min(buf.length, at + 4) : at;
  return { maxBlockSize, blocks, end, bound };
}

export function lz4Decompress(buf: Buffer, maxBytes: number): Buffer {
  const frame = parseFrame(buf, maxBytes);
  // When every block at its largest still fits the limit (nearly always: Kafka batches are far
  // smaller than the limit), one native call decodes the frame. It is stricter than Java
  // (header and content checksums), so on failure the block walk below decides.
  if (frame.bound <= maxBytes) {
    try {
      return decompressFrameSync(buf.subarray(0, frame.end));
    } catch {
      // fall through
    }
  }
  const parts: Buffer[] = [];
  let total = 0;
  for (const { compressed, data } of frame.blocks) {
    const budget = maxBytes - total;
    let block: Buffer;
    if (!compressed) {
      if (data.length > budget) throw exceedsLimit('lz4', maxBytes);
      block = data;
    } else {
      const capacity = Math.min(frame.maxBlockSize, budget);
      block = decodeBlock(data, capacity, budget < frame.maxBlockSize, maxBytes);
    }
    total += block.length;
    parts.push(block);
  }
  return Buffer.concat(parts, total);
}

/**
 * lz4-napi decodes a raw block prefixed with the output capacity (uint32 LE); the block may
 * decode to less, but never to more.
 */
function decodeBlock(data: Buffer, capacity: number, limited: boolean, maxBytes: number): Buffer {
  const input = Buffer.allocUnsafe(4 + data.length);
  input.writeUInt32LE(capacity, 0);
  data.copy(input, 4);
  try {
    return uncompressSync(input);
  } catch (err) {
    if (limited) throw exceedsLimit('lz4', maxBytes);
    throw corrupt((err as Error).message);
  }
}

// LZ4 for magic 2 is the LZ4 *frame* format (KIP-57), not raw blocks.
//
// Writing: lz4-napi's compressFrameSync emits a frame with independent blocks (FLG 0x60: version
// 1, block independence, no checksums, no content size) and 256 KiB maximum blocks. Java's
// Lz4BlockInputStream requires version 1 and independent blocks and takes block sizes 64 KiB to
// 4 MiB; librdkafka and the KafkaJS lz4 codecs read any standard frame.
//
// Reading: the frame is walked here block by block, and each block is decoded natively into an
// output no larger than what is left of the caller's limit, so a bomb is refused before it is
// allocated. Like Java, dependent blocks (which Kafka has never written) are refused, and
// content checksums are skipped: the batch CRC32C already covers every byte. The header
// checksum is not verified either, because magic 0 producers wrote it wrongly (KAFKA-3160).
import { compressFrameSync, uncompressSync } from 'lz4-napi';
import { MalformedInputError } from '../../errors.js';
import { CORRUPT_MESSAGE, exceedsLimit } from './limits.js';

const LZ4_FRAME_MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_1 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
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

export function lz4Decompress(buf: Buffer, maxBytes: number): Buffer {
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

  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    if (buf.length - at < 4) throw corrupt('truncated block size');
    const word = buf.readUInt32LE(at);
    at += 4;
    if (word === 0) break; // end mark; a content checksum and anything after are ignored
    const size = (word & ~BLOCK_UNCOMPRESSED) >>> 0;
    if (size > maxBlockSize) throw corrupt(`block of ${size} bytes exceeds ${maxBlockSize}`);
    if (buf.length - at < size + (blockChecksum ? 4 : 0)) throw corrupt('truncated block');
    const data = buf.subarray(at, at + size);
    at += size + (blockChecksum ? 4 : 0);
    const budget = maxBytes - total;
    let block: Buffer;
    if (word & BLOCK_UNCOMPRESSED) {
      if (size > budget) throw exceedsLimit('lz4', maxBytes);
      block = data;
    } else {
      block = decodeBlock(data, Math.min(maxBlockSize, budget), budget < maxBlockSize, maxBytes);
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

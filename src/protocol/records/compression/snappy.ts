// Snappy in Kafka comes in two framings, and readers must take both:
// - xerial snappy-java's stream format, which Java kafka-clients writes (SnappyOutputStream):
//     magic 0x82 'SNAPPY' 0x00, int32 version (1), int32 min compatible version (1),
//     then [int32 length + raw snappy block]*, each block holding up to 32 KiB of input;
// - one raw snappy block for the whole payload, which librdkafka (kcat, confluent-kafka)
//   writes.
// Java's SnappyInputStream, librdkafka and kafkajs-snappy all read both, falling back to raw
// when the magic is absent. Samsa writes the xerial framing: it is the reference client's
// format, so every consumer that works against Apache Kafka with Java producers reads it.
import { compressSync, uncompressSync } from 'snappy';
import { MalformedInputError } from '../../errors.js';
import { CORRUPT_MESSAGE, exceedsLimit } from './limits.js';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_VERSION = 1;
const XERIAL_MIN_COMPATIBLE_VERSION = 1;
/** snappy-java's default block size, which Kafka's producer keeps. */
const XERIAL_BLOCK_SIZE = 32 * 1024;
/**
 * snappy's default hands back memory owned by the native side (an external buffer), which costs
 * far more per call than copying the output; with 32 KiB blocks that overhead dominated
 * (measured: ~4x slower decompression, bench/records-bench.ts).
 */
const COPY = { copyOutputData: true } as const;
const COPY_AS_BUFFER = { asBuffer: true, copyOutputData: true } as const;

function corrupt(why: string): MalformedInputError {
  return new MalformedInputError(`snappy data is corrupt: ${why}`, CORRUPT_MESSAGE);
}

export function snappyCompress(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.allocUnsafe(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_MIN_COMPATIBLE_VERSION, 12);
  parts.push(header);
  for (let at = 0; at < buf.length; at += XERIAL_BLOCK_SIZE) {
    const block = compressSync(buf.subarray(at, at + XERIAL_BLOCK_SIZE), COPY);
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

export function isXerialFramed(buf: Buffer): boolean {
  return (
    buf.length >= XERIAL_MAGIC.length && XERIAL_MAGIC.equals(buf.subarray(0, XERIAL_MAGIC.length))
  );
}

export function snappyDecompress(buf: Buffer, maxBytes: number): Buffer {
  if (!isXerialFramed(buf)) return rawDecompress(buf, maxBytes);
  if (buf.length < XERIAL_HEADER_SIZE) throw corrupt('truncated xerial header');
  const parts: Buffer[] = [];
  let total = 0;
  let at = XERIAL_HEADER_SIZE;
  while (at < buf.length) {
    // snappy-java reads concatenated streams, each with its own header.
    if (isXerialFramed(buf.subarray(at, at + XERIAL_MAGIC.length))) {
      if (buf.length - at < XERIAL_HEADER_SIZE) throw corrupt('truncated xerial header');
      at += XERIAL_HEADER_SIZE;
      continue;
    }
    if (buf.length - at < 4) throw corrupt('truncated xerial block length');
    const length = buf.readInt32BE(at);
    at += 4;
    if (length < 0 || length > buf.length - at) {
      throw corrupt(`xerial block of ${length} bytes with ${buf.length - at} left`);
    }
    const block = rawDecompress(buf.subarray(at, at + length), maxBytes - total);
    at += length;
    total += block.length;
    parts.push(block);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

/** The uncompressed length a raw snappy block declares (its leading uint32 varint). */
export function snappyUncompressedLength(buf: Buffer): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= buf.length) throw corrupt('truncated length preamble');
    const b = buf[i]!;
    if (i === 4 && b > 0x0f) throw corrupt('length preamble does not fit in 32 bits');
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return value;
  }
  throw corrupt('length preamble longer than 5 bytes');
}

function rawDecompress(buf: Buffer, maxBytes: number): Buffer {
  // The native decoder allocates what the preamble declares, so the declaration is checked
  // against the limit first.
  const declared = snappyUncompressedLength(buf);
  if (declared > maxBytes) throw exceedsLimit('snappy', maxBytes);
  let out: Buffer;
  try {
    out = uncompressSync(buf, COPY_AS_BUFFER) as Buffer;
  } catch (err) {
    throw corrupt((err as Error).message);
  }
  if (out.length !== declared) throw corrupt(`declared ${declared} bytes, decoded ${out.length}`);
  return out;
}

// Zstandard frames. Producers that stream (Java's ZstdOutputStream, librdkafka) write frames
// without a content size, so decompression cannot size its output from the header and streams
// into chunks instead, stopping as soon as the caller's limit is passed. Samsa writes the
// content size (one-shot compression does), which every decoder accepts and which lets
// readers allocate once.
import zstd from 'zstd-napi/binding.js';
import { MalformedInputError } from '../../errors.js';
import { CORRUPT_MESSAGE, exceedsLimit } from './limits.js';

/** Kafka's default zstd level (compression.zstd.level), also zstd's own default. */
const DEFAULT_LEVEL = 3;
const MIN_CHUNK = 128 * 1024;

let cctx: InstanceType<typeof zstd.CCtx> | undefined;
let dctx: InstanceType<typeof zstd.DCtx> | undefined;

function corrupt(why: string): MalformedInputError {
  return new MalformedInputError(`zstd data is corrupt: ${why}`, CORRUPT_MESSAGE);
}

export function zstdCompress(buf: Buffer, level = DEFAULT_LEVEL): Buffer {
  cctx ??= new zstd.CCtx();
  const out = Buffer.allocUnsafe(zstd.compressBound(buf.length));
  const n = cctx.compress(out, buf, level);
  return out.subarray(0, n);
}

/**
 * The window a frame may ask for bounds the decoder's memory whatever the output limit.
 * Streaming encoders pick 2^21-2^23 windows at common levels, so never go below 2^23, nor
 * above zstd's own default cap of 2^27.
 */
function windowLogMax(maxBytes: number): number {
  return Math.min(27, Math.max(23, Math.ceil(Math.log2(Math.max(1, maxBytes)))));
}

export function zstdDecompress(buf: Buffer, maxBytes: number): Buffer {
  dctx ??= new zstd.DCtx();
  const d = dctx;
  try {
    d.reset(zstd.ResetDirective.sessionAndParameters);
    d.setParameter(zstd.DParameter.windowLogMax, windowLogMax(maxBytes));
  } catch (err) {
    throw corrupt((err as Error).message);
  }

  // One frame that declares its size: check the declaration, then decode in one call.
  let declared: number | null = null;
  try {
    declared = zstd.getFrameContentSize(buf);
    if (declared !== null && zstd.findFrameCompressedSize(buf) !== buf.length) declared = null;
  } catch {
    declared = null; // not a well-formed single frame; the streaming path reports why
  }
  if (declared !== null) {
    if (declared > maxBytes) throw exceedsLimit('zstd', maxBytes);
    const out = Buffer.allocUnsafe(declared);
    let n: number;
    try {
      n = d.decompress(out, buf);
    } catch (err) {
      throw corrupt((err as Error).message);
    }
    if (n !== declared) throw corrupt(`declared ${declared} bytes, decoded ${n}`);
    return out;
  }
  return decompressStreaming(d, buf, maxBytes);
}

function decompressStreaming(
  d: InstanceType<typeof zstd.DCtx>,
  buf: Buffer,
  maxBytes: number,
): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let input = buf;
  let frameDone = false;
  while (input.length > 0 || !frameDone) {
    // One byte beyond the budget tells "exactly at the limit" from "over it".
    const capacity = Math.min(Math.max(MIN_CHUNK, input.length * 4), maxBytes - total + 1);
    const chunk = Buffer.allocUnsafe(capacity);
    let hint: number;
    let produced: number;
    let consumed: number;
    try {
      [hint, produced, consumed] = d.decompressStream(chunk, input);
    } catch (err) {
      throw corrupt((err as Error).message);
    }
    total += produced;
    if (total > maxBytes) throw exceedsLimit('zstd', maxBytes);
    if (produced > 0) parts.push(chunk.subarray(0, produced));
    input = input.subarray(consumed);
    frameDone = hint === 0;
    // Input used up, frame unfinished and room left in the output: the frame is truncated.
    if (input.length === 0 && !frameDone && produced < capacity) throw corrupt('truncated frame');
    if (produced === 0 && consumed === 0 && !frameDone) throw corrupt('decoder made no progress');
  }
  return Buffer.concat(parts, total);
}

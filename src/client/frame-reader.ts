// Cuts the response byte stream into frames (int32 size + body) where the socket reads them.
// The socket reads into memory this reader hands out (net's `onread` option): small frames land
// in a 64 KiB chunk and are returned as views of it, and once a frame's size prefix shows that
// it will not fit the chunk, a buffer of its exact size is allocated, the part already read is
// copied over and the rest is read straight into it. A 1 MiB Fetch answer thus costs one
// allocation and a copy of at most one chunk, not a copy of the whole answer (and no 64 KiB
// allocation per read). Bytes before the write position are never overwritten, so frames and
// the keys and values decoded from them stay valid as long as the application keeps them.

const CHUNK_BYTES = 64 * 1024;
/** Below this much room left in a chunk, the next read goes to a fresh chunk. */
const MIN_READ_BYTES = 1024;

export class FrameReader {
  /** Where reads land: a shared chunk, or one frame's own buffer. */
  private buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  /** First byte of `buf` not yet returned in a frame (the next size prefix). */
  private start = 0;
  /** End of the bytes read into `buf`. */
  private end = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /** The memory the next socket read should fill (its start is the first free byte). */
  readBuffer(): Buffer {
    return this.buf.subarray(this.end);
  }

  /**
   * Records that the socket read `n` bytes into the last `readBuffer()` and returns the frame
   * bodies they complete, in order.
   */
  onRead(n: number): Buffer[] {
    this.end += n;
    const frames: Buffer[] = [];
    const buf = this.buf;
    for (;;) {
      const available = this.end - this.start;
      if (available < 4) break;
      const size = buf.readInt32BE(this.start);
      if (size < 0 || size > this.maxFrameBytes) {
        throw new RangeError(
          `response frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes} bytes`,
        );
      }
      if (available - 4 < size) break;
      frames.push(buf.subarray(this.start + 4, this.start + 4 + size));
      this.start += 4 + size;
    }
    this.makeRoom();
    return frames;
  }

  /** Adds bytes read elsewhere (a TLS socket's 'data'); copies them once into frame memory. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      const target = this.readBuffer();
      const n = Math.min(target.length, chunk.length - at);
      chunk.copy(target, 0, at, at + n);
      at += n;
      for (const f of this.onRead(n)) frames.push(f);
    }
    return frames;
  }

  /** Moves the unread tail where the rest of its frame can be read without a later copy. */
  private makeRoom(): void {
    const available = this.end - this.start;
    const known = available >= 4;
    // The whole frame (prefix included) when its size is known, else at least the prefix.
    const need = known ? 4 + this.buf.readInt32BE(this.start) : 4;
    const free = this.buf.length - this.end;
    const fits = need <= this.buf.length - this.start;
    // Room for a worthwhile read: what the frame still lacks, or MIN_READ_BYTES.
    if (fits && free >= (known ? Math.min(MIN_READ_BYTES, need - available) : MIN_READ_BYTES)) {
      return;
    }
    const next = Buffer.allocUnsafe(Math.max(need, CHUNK_BYTES));
    this.buf.copy(next, 0, this.start, this.end);
    this.buf = next;
    this.start = 0;
    this.end = available;
  }
}

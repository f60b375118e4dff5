// Splits a TCP byte stream into Kafka frames (int32 size, then that many bytes). Chunks are
// kept in a list and only the bytes of one frame that spans chunks are ever concatenated, so a
// 1 MiB produce arriving in 64 KiB reads costs one copy of that frame, not one per read. The
// memory for that copy comes from `alloc` (the connection's buffer pool), so it can be reused.

export class FrameTooLargeError extends Error {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`frame of ${size} bytes is larger than socket.request.max.bytes (${limit})`);
    this.name = 'FrameTooLargeError';
  }
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being assembled, once its 4-byte prefix has arrived. */
  private frameSize = -1;

  constructor(
    private readonly maxFrameSize: number,
    private readonly alloc: (n: number) => Buffer = Buffer.allocUnsafe,
  ) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Adds bytes and returns the frames they complete (bodies without the size prefix). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.frameSize < 0) {
        if (this.buffered < 4) break;
        const size = this.take(4).readInt32BE(0);
        if (size < 0 || size > this.maxFrameSize)
          throw new FrameTooLargeError(size, this.maxFrameSize);
        this.frameSize = size;
      }
      if (this.buffered < this.frameSize) break;
      frames.push(this.take(this.frameSize));
      this.frameSize = -1;
    }
    return frames;
  }

  /** Removes n buffered bytes; a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = n === 4 ? Buffer.allocUnsafe(4) : this.alloc(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0]!;
        const want = Math.min(n - filled, c.length);
        c.copy(out, filled, 0, want);
        filled += want;
        if (want === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(want);
      }
    }
    this.buffered -= n;
    return out;
  }
}

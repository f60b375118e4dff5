// Splits a TCP byte stream into Kafka frames (int32 size, then that many bytes). A frame that lies
// wholly inside one chunk comes out as a view of that chunk; only a frame that spans chunks is
// copied, once, into memory from `alloc` (the connection's buffer pool), as its bytes arrive. The
// decoder keeps no reference to a chunk after push() returns, so a chunk may be memory the caller
// reads into again (connection.ts reads sockets into one shared buffer): the caller only has to
// be done with, or copy, the views push() returned from it before that.

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
  /** The 4-byte size of the next frame, while it arrives split across chunks. */
  private readonly prefix = Buffer.alloc(4);
  private prefixFilled = 0;
  /** The frame being assembled (its full size) and how many of its bytes have arrived. */
  private partial: Buffer | undefined;
  private partialFilled = 0;

  constructor(
    private readonly maxFrameSize: number,
    private readonly alloc: (n: number) => Buffer = Buffer.allocUnsafe,
  ) {}

  /** Bytes received that belong to no complete frame yet. */
  get bufferedBytes(): number {
    return this.prefixFilled + (this.partial ? this.partialFilled + 4 : 0);
  }

  /** Adds bytes and returns the frames they complete (bodies without the size prefix). */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let pos = 0;
    if (this.partial) {
      pos = Math.min(chunk.length, this.partial.length - this.partialFilled);
      chunk.copy(this.partial, this.partialFilled, 0, pos);
      this.partialFilled += pos;
      const done = this.completed();
      if (!done) return frames;
      frames.push(done);
    }
    while (pos < chunk.length) {
      let size: number;
      if (this.prefixFilled > 0 || chunk.length - pos < 4) {
        const n = Math.min(4 - this.prefixFilled, chunk.length - pos);
        chunk.copy(this.prefix, this.prefixFilled, pos, pos + n);
        this.prefixFilled += n;
        pos += n;
        if (this.prefixFilled < 4) break;
        this.prefixFilled = 0;
        size = this.prefix.readInt32BE(0);
      } else {
        size = chunk.readInt32BE(pos);
        pos += 4;
      }
      if (size < 0 || size > this.maxFrameSize)
        throw new FrameTooLargeError(size, this.maxFrameSize);
      if (chunk.length - pos >= size) {
        frames.push(chunk.subarray(pos, pos + size));
        pos += size;
        continue;
      }
      this.partial = this.alloc(size);
      this.partialFilled = chunk.copy(this.partial, 0, pos);
      pos = chunk.length;
    }
    return frames;
  }

  private completed(): Buffer | undefined {
    const p = this.partial!;
    if (this.partialFilled < p.length) return undefined;
    this.partial = undefined;
    this.partialFilled = 0;
    return p;
  }
}

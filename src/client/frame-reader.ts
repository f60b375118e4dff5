// Cuts the response byte stream into frames (int32 size + body). Socket reads are queued as
// they come; a frame that lies inside one read is returned as a view of it, and only a frame
// spread over several reads is copied, once, into a buffer of its exact size. Nothing is
// concatenated per 'data' event, so a 10 MiB fetch response read in 64 KiB pieces costs one copy.

export class FrameReader {
  private readonly chunks: Buffer[] = [];
  /** Index of the first unread chunk in `chunks` (shifting arrays is O(n)). */
  private head = 0;
  private buffered = 0;
  /** Body size of the frame being assembled, -1 while its size prefix is incomplete. */
  private pending = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Adds one socket read and returns the frame bodies it completes, in order. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.pending < 0) {
        if (this.buffered < 4) break;
        const size = this.take(4).readInt32BE(0);
        if (size < 0 || size > this.maxFrameBytes) {
          throw new RangeError(
            `response frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes} bytes`,
          );
        }
        this.pending = size;
      }
      if (this.buffered < this.pending) break;
      frames.push(this.take(this.pending));
      this.pending = -1;
    }
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
    return frames;
  }

  private take(n: number): Buffer {
    const first = this.chunks[this.head]!;
    this.buffered -= n;
    if (n === 0) return Buffer.alloc(0);
    if (first.length >= n) {
      if (first.length === n) this.chunks[this.head++] = EMPTY;
      else this.chunks[this.head] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[this.head]!;
      const want = Math.min(n - filled, c.length);
      c.copy(out, filled, 0, want);
      filled += want;
      if (want === c.length) this.chunks[this.head++] = EMPTY;
      else this.chunks[this.head] = c.subarray(want);
    }
    return out;
  }
}

const EMPTY = Buffer.alloc(0);

// Reusable memory for the big buffers of the request path: the segment bytes a Fetch reads (about
// max.partition.fetch.bytes each) and Produce frames assembled from several socket reads. A fresh
// megabyte per request is garbage a moment later, and under kcat that garbage, not the copying,
// was the largest broker cost (GC 17-23 % of busy time); page faults on fresh memory came on top.
//
// Buffers come in power-of-two sizes from MIN_SIZE to MAX_SIZE; a request for more (or less) gets
// plain memory that is never pooled. The pool tracks the memory it lent, so release() of anything
// else, or a second release() of the same buffer, is ignored rather than handing one buffer to
// two owners. Owners release a buffer only when nothing can read it any more: a Fetch response
// once the socket has written it (Connection), a Produce frame once its request has been handled.
// Free buffers of each size are kept up to the most of that size that were lent at once (beyond
// that released memory goes to the GC), and all of them together up to maxRetainedBytes (the
// broker's RSS under load counts against the memory goal); below minRetainedBytes everything is
// kept. A fixed 8 MiB was too little: a Fetch of 8 partitions lends 8 x 1 MiB at once, and with a
// Produce frame's buffers also kept, about one buffer per Fetch was dropped and allocated afresh.
// A cap on the total at the most lent at once failed the same way, more quietly: smaller buffers
// kept from other requests filled it, so the eighth 1 MiB buffer of each Fetch was still dropped.
// Under kcat, reading into that fresh memory (its pages faulted in inside readSync) and the GC
// it caused made an 8-partition consume cost the broker about 1.5x the CPU per GB of a
// 1-partition one.

const MIN_SIZE = 64 * 1024;
const MAX_SIZE = 8 * 1024 * 1024;

function sizeClass(n: number): number {
  let size = MIN_SIZE;
  while (size < n) size *= 2;
  return size;
}

export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Memory handed out and not yet released: the only memory release() takes back. */
  private readonly lent = new WeakSet<ArrayBuffer>();
  private retained = 0;
  /** Per size class: buffers lent and not yet released, and the most that ever were at once. */
  private readonly lentCount = new Map<number, number>();
  private readonly peakCount = new Map<number, number>();

  constructor(
    readonly minRetainedBytes = 8 * 1024 * 1024,
    readonly maxRetainedBytes = 64 * 1024 * 1024,
  ) {}

  /** Bytes held in free buffers. */
  get retainedBytes(): number {
    return this.retained;
  }

  /** `n` bytes of uninitialised memory; pooled when MIN_SIZE / 2 < n <= MAX_SIZE. */
  acquire(n: number): Buffer {
    if (n <= MIN_SIZE / 2 || n > MAX_SIZE) return Buffer.allocUnsafe(n);
    const size = sizeClass(n);
    const list = this.free.get(size);
    let memory = list?.pop();
    if (memory) this.retained -= size;
    else memory = Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer;
    this.lent.add(memory);
    const lent = (this.lentCount.get(size) ?? 0) + 1;
    this.lentCount.set(size, lent);
    if (lent > (this.peakCount.get(size) ?? 0)) this.peakCount.set(size, lent);
    return Buffer.from(memory, 0, n);
  }

  /** Gives back memory from acquire() (any view of it); the caller must not touch it again. */
  release(buf: Buffer): void {
    const memory = buf.buffer;
    if (!(memory instanceof ArrayBuffer) || !this.lent.has(memory)) return;
    this.lent.delete(memory);
    const size = memory.byteLength;
    const lent = this.lentCount.get(size)! - 1;
    this.lentCount.set(size, lent);
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    const total = this.retained + size;
    const needed = list.length + lent < this.peakCount.get(size)!;
    if (total > this.maxRetainedBytes || (!needed && total > this.minRetainedBytes)) return;
    list.push(memory);
    this.retained = total;
  }
}

/**
 * Buffers lent to one response: the Fetch handler reads segment bytes into them, the connection
 * releases them all once the response has been written (or will never be).
 */
export class BufferLease {
  private held: Buffer[] = [];

  constructor(private readonly pool: BufferPool) {}

  /** `n` bytes valid until release(). */
  alloc = (n: number): Buffer => {
    const buf = this.pool.acquire(n);
    this.held.push(buf);
    return buf;
  };

  get size(): number {
    return this.held.length;
  }

  release(): void {
    const held = this.held;
    this.held = [];
    for (const b of held) this.pool.release(b);
  }
}

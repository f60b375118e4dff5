import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameDecoder, FrameTooLargeError } from '../../src/broker/frame-decoder.js';

const frame = (body: Buffer) => {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
};

test('frames split across and within chunks come out whole and in order', () => {
  const bodies = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(1000, 7), Buffer.from('xyz')];
  const stream = Buffer.concat(bodies.map(frame));
  for (const chunkSize of [1, 2, 3, 5, 64, stream.length]) {
    const d = new FrameDecoder(1 << 20);
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += chunkSize)
      out.push(...d.push(stream.subarray(i, i + chunkSize)));
    assert.deepEqual(out, bodies, `chunk size ${chunkSize}`);
    assert.equal(d.bufferedBytes, 0);
  }
});

test('a frame inside one chunk is a view, not a copy', () => {
  const chunk = frame(Buffer.alloc(100, 1));
  const [body] = new FrameDecoder(1000).push(chunk);
  assert.equal(body!.buffer, chunk.buffer);
});

test('oversized and negative sizes are refused before buffering', () => {
  const d = new FrameDecoder(10);
  assert.throws(() => d.push(Buffer.from([0, 0, 0, 11])), FrameTooLargeError);
  assert.throws(
    () => new FrameDecoder(10).push(Buffer.from([0xff, 0xff, 0xff, 0xff])),
    FrameTooLargeError,
  );
});

test('a frame spanning chunks is assembled in memory from alloc, a frame in one chunk is not', () => {
  const sizes: number[] = [];
  const d = new FrameDecoder(1 << 20, (n) => {
    sizes.push(n);
    return Buffer.allocUnsafe(n);
  });
  const big = frame(Buffer.alloc(5000, 3));
  const [whole] = d.push(frame(Buffer.alloc(10, 1)));
  assert.equal(whole!.length, 10);
  assert.deepEqual(sizes, []);
  assert.deepEqual(d.push(big.subarray(0, 2000)), []);
  const [body] = d.push(big.subarray(2000));
  assert.deepEqual(body, Buffer.alloc(5000, 3));
  assert.deepEqual(sizes, [5000]);
});

test('frames stay intact when the chunk they came from is overwritten: the decoder keeps no view', () => {
  const bodies = [Buffer.alloc(300, 1), Buffer.alloc(5000, 2), Buffer.alloc(40, 3)];
  const stream = Buffer.concat(bodies.map(frame));
  // Like a socket read into one reused buffer: every chunk lands in the same memory, and the
  // views the decoder returned of it are copied before the next read, as the connection does.
  const reused = Buffer.alloc(1024);
  const d = new FrameDecoder(1 << 20);
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += reused.length) {
    const n = stream.copy(reused, 0, i, i + reused.length);
    for (const f of d.push(reused.subarray(0, n)))
      out.push(f.buffer === reused.buffer ? Buffer.from(f) : f);
    reused.fill(0xee);
  }
  assert.deepEqual(out, bodies);
  assert.equal(d.bufferedBytes, 0);
});

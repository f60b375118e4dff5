// The request path's buffer pool: memory is handed to one owner at a time, and a Fetch
// response's record bytes are not reused while the socket still holds them.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { BufferLease, BufferPool } from '../../src/broker/buffer-pool.js';
import { FetchApi } from '../../src/protocol/messages/fetch.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { splitBatches } from '../../src/protocol/records/batch-header.js';
import { fetchRequest } from '../helpers/fetch-request.js';
import { buildBatch, recordValues } from '../storage/batches.js';
import { produce, startTestBroker, type TestBroker } from './handlers/helpers.js';

const MiB = 1024 * 1024;

/** `count` buffers of `size` bytes lent at once, then all released (as one Fetch's are). */
function lendAtOnce(pool: BufferPool, count: number, size: number): Buffer[] {
  const bufs = Array.from({ length: count }, () => pool.acquire(size));
  for (const b of bufs) pool.release(b);
  return bufs;
}

const memoryOf = (bufs: Buffer[]) => new Set(bufs.map((b) => b.buffer));

describe('BufferPool', () => {
  test('released memory is reused, memory still lent never is', () => {
    const pool = new BufferPool();
    const a = pool.acquire(100_000);
    const b = pool.acquire(100_000);
    assert.equal(a.length, 100_000);
    assert.notEqual(a.buffer, b.buffer);
    pool.release(a);
    const c = pool.acquire(90_000);
    assert.equal(c.buffer, a.buffer, 'the free buffer of that size class is taken again');
    const d = pool.acquire(90_000);
    assert.notEqual(d.buffer, a.buffer);
    assert.notEqual(d.buffer, b.buffer);
  });

  test('a second release, a view, or memory the pool never lent cannot hand a buffer out twice', () => {
    const pool = new BufferPool();
    const a = pool.acquire(200_000);
    pool.release(a.subarray(10, 20));
    pool.release(a);
    pool.release(Buffer.allocUnsafe(200_000));
    const b = pool.acquire(200_000);
    const c = pool.acquire(200_000);
    assert.equal(b.buffer, a.buffer);
    assert.notEqual(c.buffer, a.buffer);
    pool.release(b);
    pool.release(b);
    assert.equal(pool.retainedBytes, 256 * 1024);
  });

  test('small and huge requests are plain memory; retained memory is capped', () => {
    const pool = new BufferPool(1024 * 1024, 1024 * 1024);
    const small = pool.acquire(1000);
    const huge = pool.acquire(9 * 1024 * 1024);
    pool.release(small);
    pool.release(huge);
    assert.equal(pool.retainedBytes, 0);
    const bufs = [pool.acquire(600_000), pool.acquire(600_000), pool.acquire(600_000)];
    for (const b of bufs) pool.release(b);
    assert.equal(pool.retainedBytes, 1024 * 1024, 'one 1 MiB buffer kept, the others dropped');
  });

  test('as much is kept as was lent at once, between the two bounds', () => {
    const pool = new BufferPool(2 * MiB, 12 * MiB);
    // A Fetch of 8 partitions: 8 x 1 MiB lent at once, released together once written.
    const first = lendAtOnce(pool, 8, MiB);
    assert.equal(pool.retainedBytes, 8 * MiB, 'all 8 kept, not the 2 MiB floor');
    const again = lendAtOnce(pool, 8, MiB);
    assert.deepEqual(
      memoryOf(again),
      memoryOf(first),
      'the next Fetch of 8 partitions reuses the same memory',
    );
    // Lent at once beyond the ceiling: no more than the ceiling is kept.
    lendAtOnce(pool, 16, MiB);
    assert.equal(pool.retainedBytes, 12 * MiB);
  });

  test('buffers of other sizes kept meanwhile do not crowd out those a Fetch needs', () => {
    const pool = new BufferPool(2 * MiB, 64 * MiB);
    // Produce frames assembled earlier leave smaller buffers in the pool.
    const frames = [pool.acquire(MiB / 2), pool.acquire(MiB / 2), pool.acquire(MiB / 4)];
    for (const b of frames) pool.release(b);
    const first = lendAtOnce(pool, 8, MiB);
    const again = lendAtOnce(pool, 8, MiB);
    assert.deepEqual(
      memoryOf(again),
      memoryOf(first),
      'every buffer of the next 8-partition Fetch is one the pool kept',
    );
    assert.equal(pool.retainedBytes, 8 * MiB + 1.25 * MiB);
  });

  test('beyond the floor, no more of a size is kept than was ever lent at once', () => {
    const pool = new BufferPool(MiB, 64 * MiB);
    // Two 1 MiB buffers at once, then one at a time, many times: two stay.
    lendAtOnce(pool, 2, MiB);
    for (let i = 0; i < 5; i++) pool.release(pool.acquire(MiB));
    assert.equal(pool.retainedBytes, 2 * MiB);
    // 256 KiB buffers lent one at a time, past the floor: one is kept.
    const one = pool.acquire(MiB / 4);
    pool.release(one);
    pool.release(pool.acquire(MiB / 4));
    assert.equal(pool.retainedBytes, 2.25 * MiB);
    // Four of them at once: then four are kept.
    lendAtOnce(pool, 4, MiB / 4);
    assert.equal(pool.retainedBytes, 3 * MiB);
  });

  test('a lease gives everything back at once, once', () => {
    const pool = new BufferPool();
    const lease = new BufferLease(pool);
    const a = lease.alloc(70_000);
    lease.alloc(300_000);
    assert.equal(lease.size, 2);
    lease.release();
    lease.release();
    assert.equal(lease.size, 0);
    assert.equal(pool.retainedBytes, 128 * 1024 + 512 * 1024);
    assert.equal(pool.acquire(70_000).buffer, a.buffer);
  });
});

describe('Fetch responses and pooled memory', () => {
  let broker: TestBroker;
  const sockets: Socket[] = [];
  before(async () => {
    broker = await startTestBroker();
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await broker.stop();
  });

  /** The record values of every batch of a Fetch v12 response frame (header included). */
  function valuesOf(frame: Buffer): string[] {
    const r = new Reader(frame);
    r.int32();
    r.taggedFields();
    const res = FetchApi.decodeResponse(r, 12);
    const records = res.responses[0]!.partitions[0]!.records!;
    const values: string[] = [];
    for (const b of splitBatches(records)) {
      assert.ok(b.isCrcValid(), `batch at offset ${b.baseOffset} arrived intact`);
      values.push(...recordValues(b.buf).map((v) => v[0]!));
    }
    return values;
  }

  test('a response the client has not read yet keeps its bytes while other fetches run', async () => {
    await broker.createTopic('pool-fetch', 2);
    const writer = await broker.client();
    // About 6.4 MB per partition, more than loopback's socket buffers hold for a reader that
    // does not read: part of the first response stays in the broker's memory meanwhile.
    for (const [partition, fill] of [
      [0, 'a'],
      [1, 'b'],
    ] as const) {
      for (let i = 0; i < 8; i++) {
        const records = Array.from({ length: 8 }, () => ({ value: Buffer.alloc(100_000, fill) }));
        const answer = await produce(writer, 'pool-fetch', partition, buildBatch({ records }));
        assert.equal(answer.errorCode, 0);
      }
    }

    const slow = connect(broker.port, '127.0.0.1');
    sockets.push(slow);
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.pause();
    const w = new Writer(256);
    w.int32(0).int16(FetchApi.apiKey).int16(12).int32(1).nullableString('slow');
    w.emptyTaggedFields();
    FetchApi.encodeRequest(
      fetchRequest('pool-fetch', { partition: 0, maxBytes: 8_000_000 }),
      12,
      w,
    );
    const parts = w.toBuffers();
    parts[0]!.writeInt32BE(w.length - 4, 0);
    for (const p of parts) slow.write(p);
    await new Promise((r) => setTimeout(r, 300));

    // Meanwhile another client fetches the other partition, into memory of the same size class.
    const fast = await broker.client();
    for (let i = 0; i < 3; i++) {
      const frame = await fast.requestRaw(
        FetchApi,
        12,
        fetchRequest('pool-fetch', { partition: 1, maxBytes: 8_000_000 }),
      );
      const values = valuesOf(frame);
      assert.equal(values.length, 64);
      assert.ok(values.every((v) => v === 'b'));
    }

    const chunks: Buffer[] = [];
    let got = 0;
    const frame = await new Promise<Buffer>((resolve, reject) => {
      slow.on('error', reject);
      slow.on('data', (c: Buffer) => {
        chunks.push(c);
        got += c.length;
        const all = Buffer.concat(chunks);
        if (got >= 4 && got >= 4 + all.readInt32BE(0)) resolve(all.subarray(4));
      });
      slow.resume();
    });
    const values = valuesOf(frame);
    assert.equal(values.length, 64);
    assert.ok(
      values.every((v) => v === 'a'),
      'the slow reader got its own partition, not bytes of a later fetch',
    );
  });
});

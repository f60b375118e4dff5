// The connection's read path over real TCP: frames that straddle reads, frames read straight into
// their own memory, and frames whose bytes must survive the shared read buffer being reused by
// other connections (a Produce queued behind a long-poll Fetch, group metadata a coordinator
// keeps), plus pausing a connection whose queue is full.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { socketReads } from '../../src/broker/socket-reads.js';
import { ApiVersionsApi } from '../../src/protocol/messages/api-versions.js';
import { FetchApi } from '../../src/protocol/messages/fetch.js';
import type { ApiCodec } from '../../src/protocol/messages/index.js';
import { JoinGroupApi } from '../../src/protocol/messages/join-group.js';
import { ProduceApi, type ProduceResponse } from '../../src/protocol/messages/produce.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { splitBatches } from '../../src/protocol/records/batch-header.js';
import { groupBroker, joinRequest } from '../coordinator/group/wire.js';
import { fetchRequest } from '../helpers/fetch-request.js';
import { buildBatch, recordValues } from '../storage/batches.js';
import { produce, startTestBroker, type TestBroker } from './handlers/helpers.js';

let broker: TestBroker;

/** A client that writes frames exactly as told (several per write, or one in pieces). */
class RawClient {
  private buffered = Buffer.alloc(0);
  private readonly waiting = new Map<
    number,
    { resolve: (f: Buffer) => void; reject: (e: Error) => void }
  >();
  readonly order: number[] = [];
  private nextId = 1;
  private constructor(readonly socket: Socket) {
    socket.on('error', () => {});
    socket.on('close', () => {
      for (const w of this.waiting.values())
        w.reject(new Error('the broker closed the connection'));
    });
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (
        this.buffered.length >= 4 &&
        this.buffered.length >= 4 + this.buffered.readInt32BE(0)
      ) {
        const frame = this.buffered.subarray(4, 4 + this.buffered.readInt32BE(0));
        this.buffered = this.buffered.subarray(4 + frame.length);
        const id = frame.readInt32BE(0);
        this.order.push(id);
        this.waiting.get(id)?.resolve(frame);
        this.waiting.delete(id);
      }
    });
  }
  static open(port: number): Promise<RawClient> {
    return new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
    });
  }
  /** A request frame (size prefix included) and the promise of its response frame. */
  frame<Req>(api: ApiCodec<Req, unknown>, version: number, body: Req) {
    const id = this.nextId++;
    const w = new Writer(256);
    w.int32(0).int16(api.apiKey).int16(version).int32(id).nullableString('raw');
    if (api.requestHeaderVersion(version) >= 2) w.emptyTaggedFields();
    api.encodeRequest(body, version, w);
    const bytes = w.toBuffer();
    bytes.writeInt32BE(bytes.length - 4, 0);
    const answer = new Promise<Buffer>((resolve, reject) =>
      this.waiting.set(id, { resolve, reject }),
    );
    // Awaited later (after other traffic): a hang-up meanwhile must fail that await, not the
    // process with an unhandled rejection.
    answer.catch(() => {});
    return { bytes, answer };
  }
}

function produceBody(topic: string, records: Buffer) {
  return {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  };
}

function produceError(frame: Buffer): number {
  const r = new Reader(frame);
  r.int32();
  r.taggedFields();
  const res: ProduceResponse = ProduceApi.decodeResponse(r, 9);
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

/** Every record value of partition 0, each batch checked against its CRC. */
async function valuesIn(topic: string): Promise<string[]> {
  const c = await broker.client();
  const res = await c.request(FetchApi, 12, fetchRequest(topic));
  const values: string[] = [];
  for (const b of splitBatches(res.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0))) {
    assert.ok(b.isCrcValid(), `batch at ${b.baseOffset} is intact`);
    values.push(...recordValues(b.buf));
  }
  return values;
}

/** Another connection produces ~2 MB in 64 KiB batches: its reads reuse the shared memory. */
async function noise(topic: string): Promise<void> {
  const c = await broker.client();
  for (let i = 0; i < 32; i++) {
    const batch = buildBatch({ records: 64, valueSize: 1000 });
    assert.equal((await produce(c, topic, 0, batch, { acks: 1 })).errorCode, 0);
  }
}

// A broken read path shows as an answer that never comes (a frame overwritten by another
// connection's request is answered with that request's correlation id): each test has a deadline.
const DEADLINE = { timeout: 30_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const adopt of [true, false]) {
  describe(adopt ? 'reads into shared memory' : "reads into Node's own buffers (fallback)", () => {
    before(async () => {
      socketReads.adopt = adopt;
      broker = await startTestBroker();
    });
    after(async () => {
      socketReads.adopt = true;
      await broker.stop();
    });
    test(
      'a Produce frame straddling reads, its size prefix split too, is stored whole',
      DEADLINE,
      async () => {
        await broker.createTopic('straddle');
        const c = await RawClient.open(broker.port);
        const values = Array.from({ length: 300 }, (_, i) => `${i}`.padEnd(1000, '.'));
        const batch = buildBatch({ records: values.map((value) => ({ value })) });
        const { bytes, answer } = c.frame(ProduceApi, 9, produceBody('straddle', batch));
        // Two bytes of the size, then a little, then most of a ~300 KB frame: the rest is read
        // straight into the frame's own memory; each piece in a read of its own.
        for (const [from, to] of [
          [0, 2],
          [2, 40],
          [40, 200_000],
          [200_000, bytes.length],
        ] as const) {
          c.socket.write(bytes.subarray(from, to));
          await sleep(20);
        }
        assert.equal(produceError(await answer), 0);
        assert.deepEqual(await valuesIn('straddle'), values);
        c.socket.destroy();
      },
    );

    test(
      'Produce frames queued behind a long-poll Fetch keep their bytes while other connections read',
      DEADLINE,
      async () => {
        await broker.createTopic('waiting');
        await broker.createTopic('queued');
        await broker.createTopic('noise');
        const c = await RawClient.open(broker.port);
        const fetch = c.frame(
          FetchApi,
          12,
          fetchRequest('waiting', { maxWaitMs: 300, minBytes: 1 << 20 }),
        );
        const batches = [0, 1].map((n) =>
          buildBatch({
            records: Array.from({ length: 20 }, (_, i) => ({ value: `queued-${n}-${i}` })),
          }),
        );
        const produces = batches.map((b) => c.frame(ProduceApi, 9, produceBody('queued', b)));
        // One write: the Produce frames arrive in the same read as the Fetch and wait for it.
        c.socket.write(Buffer.concat([fetch.bytes, ...produces.map((p) => p.bytes)]));
        await noise('noise');
        await fetch.answer;
        for (const p of produces) assert.equal(produceError(await p.answer), 0);
        assert.deepEqual(
          await valuesIn('queued'),
          [0, 1].flatMap((n) => Array.from({ length: 20 }, (_, i) => `queued-${n}-${i}`)),
        );
        c.socket.destroy();
      },
    );

    test(
      'a full queue pauses the connection; every request is still answered, in order',
      DEADLINE,
      async () => {
        await broker.createTopic('paused');
        const c = await RawClient.open(broker.port);
        const fetch = c.frame(
          FetchApi,
          12,
          fetchRequest('paused', { maxWaitMs: 200, minBytes: 1 << 20 }),
        );
        const rest = Array.from({ length: 150 }, () =>
          c.frame(ApiVersionsApi, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }),
        );
        c.socket.write(Buffer.concat([fetch.bytes, ...rest.map((r) => r.bytes)]));
        await Promise.all([fetch.answer, ...rest.map((r) => r.answer)]);
        assert.deepEqual(
          c.order,
          Array.from({ length: 151 }, (_, i) => i + 1),
        );
        c.socket.destroy();
      },
    );

    test(
      "metadata of a JoinGroup waiting for a rebalance survives other connections' reads",
      DEADLINE,
      async () => {
        const gb = await groupBroker();
        try {
          const join = (metadata: Buffer, memberId = '') =>
            joinRequest('kept', { memberId, protocols: [{ name: 'range', metadata }] });
          const m1 = Buffer.alloc(3000, '1');
          const m2 = Buffer.alloc(3000, '2');
          const leader = await gb.client.request(JoinGroupApi, 3, join(m1));
          assert.equal(leader.errorCode, 0);
          // A second member's JoinGroup waits until the leader rejoins; its request (the member's
          // metadata) is held meanwhile.
          const second = await gb.connect();
          const waiting = second.request(JoinGroupApi, 3, join(m2));
          await sleep(50);
          // Requests of another connection, ~30 KB each, read into the memory the JoinGroup came in.
          const other = await gb.connect();
          for (let i = 0; i < 16; i++) {
            await other.request(ApiVersionsApi, 3, {
              clientSoftwareName: 'x'.repeat(30_000 + i),
              clientSoftwareVersion: '1',
            });
          }
          const rejoined = await gb.client.request(JoinGroupApi, 3, join(m1, leader.memberId));
          assert.equal(rejoined.errorCode, 0);
          assert.equal((await waiting).errorCode, 0);
          const metadata = rejoined.members.map((m) => m.metadata.toString()).sort();
          assert.deepEqual(metadata, [m1.toString(), m2.toString()]);
        } finally {
          await gb.close();
        }
      },
    );
  });
}

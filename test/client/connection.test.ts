// Connection against crafted broker behaviour: version choice, ApiVersions fallback, pipelining,
// timeouts, broken connections, the authenticate seam; and the frame reader on split input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Connection } from '../../src/client/connection.js';
import { ConnectionError, KafkaError, RequestTimeoutError } from '../../src/client/errors.js';
import { FrameReader } from '../../src/client/frame-reader.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { MetadataApi } from '../../src/protocol/messages/metadata.js';
import {
  FakeBroker as Fake,
  type FakeBroker,
  type FakeRequest,
  metadataFor,
} from './fake-broker.js';

const connect = (b: FakeBroker, extra: Partial<Parameters<typeof Connection.connect>[0]> = {}) =>
  Connection.connect({ host: '127.0.0.1', port: b.port, clientId: 'test', ...extra });

const noTopics = { topics: [], allowAutoTopicCreation: false };

describe('FrameReader', () => {
  const frame = (body: Buffer) => {
    const b = Buffer.alloc(4 + body.length);
    b.writeInt32BE(body.length, 0);
    body.copy(b, 4);
    return b;
  };

  it('returns frames whole whatever the read boundaries', () => {
    const bodies = [
      Buffer.from('a'),
      Buffer.alloc(0),
      Buffer.from('hello world'),
      Buffer.alloc(3000, 7),
      Buffer.alloc(200_000, 9),
      Buffer.from('after the big one'),
    ];
    const stream = Buffer.concat(bodies.map(frame));
    for (const step of [1, 2, 3, 5, 7, 4096, 70_000, stream.length]) {
      // Through push() (TLS) and through readBuffer()/onRead() (what a plain socket does, each
      // read filling at most the memory handed out).
      const pushed = new FrameReader(1 << 20);
      const read = new FrameReader(1 << 20);
      const viaPush: Buffer[] = [];
      const viaRead: Buffer[] = [];
      for (let at = 0; at < stream.length; at += step) {
        viaPush.push(...pushed.push(stream.subarray(at, at + step)));
      }
      for (let at = 0; at < stream.length; ) {
        const target = read.readBuffer();
        const n = Math.min(step, target.length, stream.length - at);
        assert.ok(n > 0, 'the reader always offers room');
        stream.copy(target, 0, at, at + n);
        at += n;
        viaRead.push(...read.onRead(n));
      }
      assert.deepEqual(viaPush, bodies, `push, step ${step}`);
      assert.deepEqual(viaRead, bodies, `onRead, step ${step}`);
      assert.equal(pushed.bufferedBytes, 0);
      assert.equal(read.bufferedBytes, 0);
    }
  });

  it('reads a frame larger than a chunk into its own buffer, never overwriting handed-out frames', () => {
    const r = new FrameReader(1 << 20);
    const small = frame(Buffer.from('keep me'));
    const big = frame(Buffer.alloc(300_000, 5));
    const stream = Buffer.concat([small, big, small]);
    const out: Buffer[] = [];
    const targets = new Set<ArrayBufferLike>();
    for (let at = 0; at < stream.length; ) {
      const target = r.readBuffer();
      targets.add(target.buffer);
      const n = Math.min(target.length, stream.length - at);
      stream.copy(target, 0, at, at + n);
      at += n;
      out.push(...r.onRead(n));
    }
    assert.equal(out.length, 3);
    assert.equal(out[0]!.toString(), 'keep me', 'the first frame was not overwritten');
    assert.equal(out[1]!.length, 300_000);
    assert.ok(out[1]!.every((b) => b === 5));
    assert.equal(out[1]!.buffer.byteLength, 300_004, 'one buffer of the frame size');
    assert.ok(targets.has(out[1]!.buffer), 'the socket read straight into it');
    assert.equal(out[2]!.toString(), 'keep me');
  });

  it('refuses a frame above the limit', () => {
    assert.throws(() => new FrameReader(10).push(frame(Buffer.alloc(11))), /exceeds the limit/);
  });
});

describe('Connection', () => {
  it('picks the highest version both sides support, per API', async () => {
    const b = await Fake.start({
      [ApiKey.ApiVersions]: () => ({
        errorCode: 0,
        apiKeys: [
          { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 9 },
          { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 7 },
          { apiKey: ApiKey.Produce, minVersion: 0, maxVersion: 99 },
          { apiKey: ApiKey.Fetch, minVersion: 0, maxVersion: 3 },
        ],
        throttleTimeMs: 0,
      }),
      [ApiKey.Metadata]: () => metadataFor(b, {}),
    });
    const c = await connect(b);
    assert.equal(c.version(ApiKey.Metadata), 7);
    assert.equal(c.version(ApiKey.Produce), 11);
    assert.equal(c.supports(ApiKey.Fetch), false, 'broker max 3 < client min 4');
    assert.equal(c.supports(ApiKey.JoinGroup), false);
    assert.throws(
      () => c.version(ApiKey.JoinGroup),
      (e: unknown) =>
        e instanceof KafkaError &&
        e.errorName === 'UNSUPPORTED_VERSION' &&
        /JoinGroup/.test(e.message),
    );
    await c.send(MetadataApi, noTopics);
    assert.equal(b.requests.at(-1)!.version, 7);
    assert.equal(b.requests[0]!.version, 4, 'ApiVersions at our highest (4)');
    c.close();
    await b.stop();
  });

  it('falls back to the ApiVersions version an older broker names in its v0 error answer', async () => {
    const b = await Fake.start({
      [ApiKey.ApiVersions]: (req) =>
        req.version > 2
          ? {
              errorCode: 35,
              apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 2 }],
            }
          : {
              errorCode: 0,
              apiKeys: [
                { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 2 },
                { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 8 },
              ],
              throttleTimeMs: 0,
            },
    });
    // The fake writes the error answer in the version asked (4); force v0 as Kafka does.
    const orig = b.respond.bind(b);
    b.respond = (req: FakeRequest, body: unknown) =>
      orig((body as { errorCode: number }).errorCode === 35 ? { ...req, version: 0 } : req, body);
    const c = await connect(b);
    assert.deepEqual(
      b.requests.map((r) => r.version),
      [4, 2],
    );
    assert.equal(c.version(ApiKey.Metadata), 8);
    c.close();
    await b.stop();
  });

  it('pipelines requests and matches answers by correlation id, even out of order', async () => {
    const held: FakeRequest[] = [];
    const b = await Fake.start({
      [ApiKey.Metadata]: (req) => {
        held.push(req);
        if (held.length === 3)
          for (const r of held.reverse())
            b.respond(
              r,
              metadataFor(b, {
                [`t${(r.body as { topics: { name: string }[] }).topics[0]!.name}`]: 1,
              }),
            );
        return 'silent';
      },
    });
    const c = await connect(b);
    const answers = await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        c.send(MetadataApi, { topics: [{ name }], allowAutoTopicCreation: false }),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a.topics[0]!.name),
      ['ta', 'tb', 'tc'],
    );
    assert.equal(c.inFlight, 0);
    c.close();
    await b.stop();
  });

  it('times a request out with REQUEST_TIMED_OUT and closes the connection', async () => {
    const b = await Fake.start({ [ApiKey.Metadata]: () => 'silent' });
    const c = await connect(b, { requestTimeoutMs: 100 });
    const slow = c.send(MetadataApi, noTopics, { timeoutMs: 5_000 });
    const err = await c.send(MetadataApi, noTopics).catch((e: unknown) => e);
    assert.ok(err instanceof RequestTimeoutError);
    assert.equal(err.errorName, 'REQUEST_TIMED_OUT');
    assert.equal(err.retriable, true);
    await assert.rejects(
      slow,
      (e: unknown) => e instanceof ConnectionError && e.errorName === 'NETWORK_EXCEPTION',
    );
    assert.equal(c.closed, true);
    await assert.rejects(c.send(MetadataApi, noTopics), ConnectionError);
    await b.stop();
  });

  it('fails requests in flight with a retriable ConnectionError when the broker drops the connection', async () => {
    const b = await Fake.start({ [ApiKey.Metadata]: () => 'close' });
    const c = await connect(b);
    let closed: Error | undefined;
    c.onClose((e) => {
      closed = e;
    });
    const err = await c.send(MetadataApi, noTopics).catch((e: unknown) => e);
    assert.ok(err instanceof ConnectionError && err.retriable && err.broker === b.bootstrap);
    assert.ok(closed instanceof ConnectionError);
    await b.stop();
  });

  it('reports an unreachable broker as a ConnectionError', async () => {
    const b = await Fake.start({});
    const port = b.port;
    await b.stop();
    await assert.rejects(
      Connection.connect({ host: '127.0.0.1', port, clientId: 't', connectTimeoutMs: 2000 }),
      (e: unknown) => e instanceof ConnectionError && /could not connect/.test(e.message),
    );
  });

  it('runs the authenticate hook after ApiVersions and before the connection is handed out', async () => {
    const b = await Fake.start({ [ApiKey.Metadata]: () => metadataFor(b, {}) });
    const seen: number[] = [];
    const c = await connect(b, {
      authenticate: async (conn) => {
        seen.push(conn.apiVersions.size);
        await conn.send(MetadataApi, noTopics);
      },
    });
    assert.ok(seen[0]! > 0);
    assert.deepEqual(
      b.requests.map((r) => r.apiKey),
      [ApiKey.ApiVersions, ApiKey.Metadata],
    );
    c.close();
    await assert.rejects(
      connect(b, {
        authenticate: async () => {
          throw new KafkaError(58, 'bad password');
        },
      }),
      (e: unknown) => e instanceof KafkaError && e.errorName === 'SASL_AUTHENTICATION_FAILED',
    );
    await b.stop();
  });
});

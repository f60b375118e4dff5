// The server layer over real TCP: framing, in-order answers, and that bad input closes only
// the offending connection while others carry on.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { type EmbeddedBroker, startBroker } from '../../src/broker/index.js';
import {
  ApiVersionsApi,
  type ApiVersionsResponse,
} from '../../src/protocol/messages/api-versions.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';

let broker: EmbeddedBroker;
before(async () => {
  broker = await startBroker({
    port: 0,
    logLevel: 'error',
    config: { 'socket.request.max.bytes': '1000' },
  });
});
after(() => broker.stop());

/** A raw client: sends frames, collects response frames, notices when the broker hangs up. */
class RawClient {
  readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  private readonly waiting: ((frame: Buffer) => void)[] = [];
  closed: Promise<void>;
  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
    this.socket.on('error', () => {});
    this.socket.on('data', (chunk) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (
        this.buffered.length >= 4 &&
        this.buffered.length >= 4 + this.buffered.readInt32BE(0)
      ) {
        const size = this.buffered.readInt32BE(0);
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        this.waiting.shift()?.(frame);
      }
    });
  }
  send(body: Buffer): Promise<Buffer> {
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    this.socket.write(Buffer.concat([size, body]));
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }
}

function apiVersionsRequest(version: number, correlationId: number): Buffer {
  const w = new Writer().int16(18).int16(version).int32(correlationId).nullableString('test');
  if (version >= 3) w.emptyTaggedFields();
  ApiVersionsApi.encodeRequest(
    { clientSoftwareName: 'raw', clientSoftwareVersion: '1' },
    version,
    w,
  );
  return w.toBuffer();
}

function decodeApiVersions(
  frame: Buffer,
  version: number,
): { correlationId: number; body: ApiVersionsResponse } {
  const r = new Reader(frame);
  const correlationId = r.int32(); // ApiVersions responses always use header v0
  const body = ApiVersionsApi.decodeResponse(r, version);
  assert.equal(r.remaining(), 0);
  return { correlationId, body };
}

test('ApiVersions is answered for every version, in request order when pipelined', async () => {
  const c = new RawClient(broker.port);
  const answers = await Promise.all(
    [0, 1, 2, 3, 4].map((v) => c.send(apiVersionsRequest(v, 100 + v))),
  );
  answers.forEach((frame, v) => {
    const { correlationId, body } = decodeApiVersions(frame, v);
    assert.equal(correlationId, 100 + v);
    assert.equal(body.errorCode, 0);
    const own = body.apiKeys.find((k) => k.apiKey === 18);
    assert.deepEqual(own, { apiKey: 18, minVersion: 0, maxVersion: 4 });
  });
  c.socket.destroy();
});

test('an ApiVersions version the broker does not know gets UNSUPPORTED_VERSION in a v0 body', async () => {
  const c = new RawClient(broker.port);
  const w = new Writer().int16(18).int16(99).int32(7).nullableString('future').emptyTaggedFields();
  const { correlationId, body } = decodeApiVersions(await c.send(w.toBuffer()), 0);
  assert.equal(correlationId, 7);
  assert.equal(body.errorCode, 35);
  assert.ok(body.apiKeys.some((k) => k.apiKey === 18));
  c.socket.destroy();
});

test('bad input closes that connection only', async () => {
  const healthy = new RawClient(broker.port);
  const bad: [string, (c: RawClient) => void][] = [
    [
      'unknown API key',
      (c) =>
        void c.send(new Writer().int16(9999).int16(0).int32(1).nullableString(null).toBuffer()),
    ],
    ['frame over socket.request.max.bytes', (c) => c.sendRaw(Buffer.from([0, 0, 0x10, 0]))],
    ['negative frame size', (c) => c.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xfe]))],
    ['truncated header', (c) => void c.send(Buffer.from([0, 18]))],
    [
      'random bytes as a body',
      (c) => void c.send(Buffer.from([0, 3, 0, 12, 0, 0, 0, 1, 0x7f, 0x7f, 1, 2, 3])),
    ],
  ];
  for (const [what, act] of bad) {
    const c = new RawClient(broker.port);
    act(c);
    await c.closed; // the broker hangs up; a hang here fails the test by timeout
    const { body } = decodeApiVersions(await healthy.send(apiVersionsRequest(3, 1)), 3);
    assert.equal(body.errorCode, 0, `broker still serves after: ${what}`);
  }
  healthy.socket.destroy();
});

// A scriptable in-process broker for unit tests of the client's response handling: it decodes
// requests with the generated codecs and answers whatever a test's handler returns, so a test
// can feed crafted answers (errors, reordering, silence) that a real broker rarely produces.
import { createServer, type Server, type Socket } from 'node:net';
import { CLIENT_VERSIONS } from '../../src/client/versions.js';
import { ApiKey, apiCodec } from '../../src/protocol/messages/index.js';
import { decodeRequestHeader } from '../../src/protocol/messages/request-header.js';
import { encodeResponseHeader } from '../../src/protocol/messages/response-header.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';

export interface FakeRequest {
  apiKey: number;
  version: number;
  correlationId: number;
  body: unknown;
  socket: Socket;
}

/** Returns the answer body, 'silent' for no answer, 'close' to drop the connection. */
export type FakeHandler = (req: FakeRequest) => unknown | 'silent' | 'close' | Promise<unknown>;

export class FakeBroker {
  readonly requests: FakeRequest[] = [];
  port = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly handlers: Partial<Record<number, FakeHandler>>) {
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(handlers: Partial<Record<number, FakeHandler>>): Promise<FakeBroker> {
    const b = new FakeBroker(handlers);
    await new Promise<void>((resolve) => b.server.listen(0, '127.0.0.1', resolve));
    b.port = (b.server.address() as { port: number }).port;
    return b;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Writes an answer for `req` (for handlers that answer later or out of order). */
  respond(req: FakeRequest, body: unknown): void {
    const api = apiCodec(req.apiKey)!;
    const headerVersion =
      req.apiKey === ApiKey.ApiVersions ? 0 : api.responseHeaderVersion(req.version);
    const w = new Writer();
    w.int32(0);
    encodeResponseHeader({ correlationId: req.correlationId }, headerVersion, w);
    api.encodeResponse(body, req.version, w);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    req.socket.write(frame);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + frame.length);
        void this.onFrame(socket, frame);
      }
    });
  }

  private async onFrame(socket: Socket, frame: Buffer): Promise<void> {
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const api = apiCodec(apiKey)!;
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, api.requestHeaderVersion(version));
    const body = api.decodeRequest(r, version);
    const req: FakeRequest = { apiKey, version, correlationId: header.correlationId, body, socket };
    this.requests.push(req);
    const handler =
      this.handlers[apiKey] ?? (apiKey === ApiKey.ApiVersions ? defaultApiVersions : undefined);
    if (!handler) throw new Error(`fake broker: no handler for ${api.name}`);
    const answer = await handler(req);
    if (answer === 'silent') return;
    if (answer === 'close') {
      socket.destroy();
      return;
    }
    this.respond(req, answer);
  }
}

/** Advertises exactly the client's own ranges. */
export const defaultApiVersions: FakeHandler = () => ({
  errorCode: 0,
  apiKeys: [...CLIENT_VERSIONS].map(([apiKey, r]) => ({
    apiKey,
    minVersion: r.min,
    maxVersion: r.max,
  })),
  throttleTimeMs: 0,
});

/** A Metadata answer for one broker (this fake) leading every partition of `topics`. */
export function metadataFor(broker: FakeBroker, topics: Record<string, number>, leader = 1) {
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: '127.0.0.1', port: broker.port, rack: null }],
    clusterId: 'fake',
    controllerId: 1,
    topics: Object.entries(topics).map(([name, n]) => ({
      errorCode: 0,
      name,
      topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
      isInternal: false,
      partitions: Array.from({ length: n }, (_, i) => ({
        errorCode: 0,
        partitionIndex: i,
        leaderId: leader,
        leaderEpoch: 0,
        replicaNodes: [1],
        isrNodes: [1],
        offlineReplicas: [],
      })),
      topicAuthorizedOperations: -2147483648,
    })),
  };
}

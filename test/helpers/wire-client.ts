// A minimal Kafka wire client for tests: sends any generated request at a chosen version and
// decodes the answer with the generated codecs. It deliberately shares no code with
// src/client, so broker tests do not depend on our own client being right.
import { connect, type Socket } from 'node:net';
import type { ApiCodec } from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';

export class WireClient {
  private readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private nextCorrelationId = 1;
  private readonly pending = new Map<number, (frame: Buffer) => void>();
  /** Resolves when the broker closes the connection. */
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        const correlationId = frame.readInt32BE(0);
        this.pending.get(correlationId)?.(frame);
        this.pending.delete(correlationId);
      }
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new WireClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a request and resolves with the decoded response. */
  async request<Req, Res>(
    api: ApiCodec<Req, Res>,
    version: number,
    body: Req,
    clientId = 'samsa-test',
  ): Promise<Res> {
    const frame = await this.requestRaw(api, version, body, clientId);
    const r = new Reader(frame);
    r.int32();
    if (api.responseHeaderVersion(version) >= 1) r.taggedFields();
    const response = api.decodeResponse(r, version);
    if (r.remaining() !== 0)
      throw new Error(`${api.name} v${version} response has ${r.remaining()} extra bytes`);
    return response;
  }

  /** Sends a request and resolves with the raw response frame (header included). */
  requestRaw<Req>(
    api: ApiCodec<Req, unknown>,
    version: number,
    body: Req,
    clientId = 'samsa-test',
  ): Promise<Buffer> {
    const correlationId = this.nextCorrelationId++;
    const w = new Writer(256);
    w.int32(0).int16(api.apiKey).int16(version).int32(correlationId).nullableString(clientId);
    if (api.requestHeaderVersion(version) >= 2) w.emptyTaggedFields();
    api.encodeRequest(body, version, w);
    const parts = w.toBuffers();
    parts[0]!.writeInt32BE(w.length - 4, 0);
    const answer = new Promise<Buffer>((resolve) => this.pending.set(correlationId, resolve));
    for (const p of parts) this.socket.write(p);
    return answer;
  }

  /** Sends a request that gets no answer (Produce with acks=0). */
  send<Req>(api: ApiCodec<Req, unknown>, version: number, body: Req): void {
    const w = new Writer(256);
    w.int32(0)
      .int16(api.apiKey)
      .int16(version)
      .int32(this.nextCorrelationId++)
      .nullableString('samsa-test');
    if (api.requestHeaderVersion(version) >= 2) w.emptyTaggedFields();
    api.encodeRequest(body, version, w);
    const parts = w.toBuffers();
    parts[0]!.writeInt32BE(w.length - 4, 0);
    for (const p of parts) this.socket.write(p);
  }

  /** Writes raw bytes (for malformed-input tests). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

// One client connection: frames in, responses out, in request order.
//
// Like Kafka, a connection handles one request at a time: the next frame is decoded only when
// the previous request has been answered (or needs no answer). That keeps responses in
// request order, which clients rely on, and makes each connection's appends happen in the
// order they were sent, which the idempotent producer relies on. Frames that arrive meanwhile
// wait in a queue; the socket is paused when the queue grows, so a fast sender is slowed down
// by TCP rather than by our memory.
import type { Socket } from 'node:net';
import { KafkaError, MalformedInputError } from '../protocol/errors.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import type { Broker } from './broker.js';
import { FrameDecoder, FrameTooLargeError } from './frame-decoder.js';
import { type Handler, NO_RESPONSE, type RequestContext, type RequestHeader } from './handler.js';
import { unsupportedApiVersionsResponse } from './handlers/api-versions.js';
import type { Logger } from './logger.js';

const API_VERSIONS_KEY = 18;
const MAX_QUEUED_FRAMES = 64;

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private busy = false;
  private paused = false;
  private closed = false;
  private readonly closing = new AbortController();
  readonly clientAddress: string;
  private readonly log: Logger;

  constructor(
    private readonly socket: Socket,
    private readonly broker: Broker,
    readonly id: number,
    log: Logger,
    readonly listenerName: string,
  ) {
    this.clientAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    this.log = log.child(`conn ${id} ${this.clientAddress}`);
    this.decoder = new FrameDecoder(broker.config.int('socket.request.max.bytes'));
    socket.setNoDelay(true);
    const idleMs = broker.config.long('connections.max.idle.ms');
    if (idleMs > 0 && Number.isFinite(idleMs)) {
      socket.setTimeout(idleMs, () => this.close(`idle for ${idleMs} ms`));
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.close(`socket error: ${err.message}`, 'debug'));
    socket.on('close', () => {
      this.closed = true;
      this.closing.abort();
      broker.connectionClosed(this);
    });
  }

  /** Closes this connection only, saying why in the log; the broker carries on. */
  close(reason: string, level: 'debug' | 'warn' = 'warn'): void {
    if (this.closed) return;
    this.closed = true;
    this.log[level](`closing connection: ${reason}`);
    this.queue.length = 0;
    this.closing.abort();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      if (!(err instanceof FrameTooLargeError)) throw err;
      this.close(err.message);
      return;
    }
    if (frames.length === 0) return;
    this.queue.push(...frames);
    if (this.queue.length >= MAX_QUEUED_FRAMES && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        await this.process(this.queue.shift()!);
        // A client that does not read its responses is not sent more: wait for the socket
        // to drain before the next request is handled.
        if (this.socket.writableNeedDrain) await this.drained();
      }
    } finally {
      this.busy = false;
    }
    if (this.paused && !this.closed) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private async process(frame: Buffer): Promise<void> {
    const r = new Reader(frame);
    let header: RequestHeader;
    let handler: Handler | undefined;
    let request: unknown;
    try {
      const apiKey = r.int16();
      const apiVersion = r.int16();
      const correlationId = r.int32();
      handler = this.broker.router.handler(apiKey);
      if (!handler) {
        return this.close(`unknown API key ${apiKey} (correlation id ${correlationId})`);
      }
      const clientId = r.nullableString();
      header = { apiKey, apiVersion, correlationId, clientId };
      if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
        if (apiKey === API_VERSIONS_KEY) {
          // Kafka answers an ApiVersions it cannot parse with a v0 body naming what it does
          // support, so the client can retry with a version both sides know.
          this.send(header, 0, 0, unsupportedApiVersionsResponse(this.broker), handler);
          return;
        }
        return this.close(
          `${handler.api.name} v${apiVersion} is not supported (v${handler.minVersion}-${handler.maxVersion} are), client ${clientId}`,
        );
      }
      if (handler.api.requestHeaderVersion(apiVersion) >= 2) r.taggedFields();
      request = handler.api.decodeRequest(r, apiVersion);
    } catch (err) {
      if (err instanceof MalformedInputError)
        return this.close(`malformed request: ${err.message}`);
      throw err;
    }

    const ctx: RequestContext = {
      broker: this.broker,
      header,
      clientAddress: this.clientAddress,
      listenerName: this.listenerName,
      connectionId: this.id,
      log: this.log,
      connectionClosed: this.closing.signal,
    };
    let response: unknown;
    try {
      response = await handler.handle(request, ctx);
    } catch (err) {
      const what = `${handler.api.name} v${header.apiVersion} (correlation id ${header.correlationId})`;
      if (err instanceof KafkaError) return this.close(`${what} failed: ${err.message}`);
      this.log.error(`${what} failed: ${(err as Error).stack ?? err}`);
      return this.close(`internal error in ${handler.api.name}`);
    }
    if (response === NO_RESPONSE || this.closed) return;
    this.send(
      header,
      header.apiVersion,
      handler.api.responseHeaderVersion(header.apiVersion),
      response,
      handler,
    );
  }

  private send(
    header: RequestHeader,
    version: number,
    responseHeaderVersion: number,
    body: unknown,
    handler: Handler,
  ): void {
    const w = new Writer(1024);
    w.int32(0); // frame size, filled in below
    w.int32(header.correlationId);
    if (responseHeaderVersion >= 1) w.emptyTaggedFields();
    handler.api.encodeResponse(body, version, w);
    const parts = w.toBuffers();
    parts[0]!.writeInt32BE(w.length - 4, 0);
    // One corked burst becomes a single writev: record bytes read from disk go out as they
    // are, never copied into a bigger buffer.
    this.socket.cork();
    for (const p of parts) this.socket.write(p);
    this.socket.uncork();
  }
}

// One client connection: frames in, responses out, in request order.
//
// Like Kafka, a connection handles one request at a time: the next frame is decoded only when
// the previous request has been answered (or needs no answer). That keeps responses in
// request order, which clients rely on, and makes each connection's appends happen in the
// order they were sent, which the idempotent producer relies on. Frames that arrive meanwhile
// wait in a queue; the socket is paused when the queue grows, so a fast sender is slowed down
// by TCP rather than by our memory.
//
// Big buffers come from the broker's BufferPool (buffer-pool.ts): a Produce frame assembled from
// several reads goes back to it once its request is handled, the record bytes of a Fetch once the
// socket has written the response (the write callback), never earlier.
import type { Socket } from 'node:net';
import { KafkaError, MalformedInputError } from '../protocol/errors.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import type { Broker } from './broker.js';
import { BufferLease, BufferPool } from './buffer-pool.js';
import { FrameDecoder, FrameTooLargeError } from './frame-decoder.js';
import { type Handler, NO_RESPONSE, type RequestContext, type RequestHeader } from './handler.js';
import { unsupportedApiVersionsResponse } from './handlers/api-versions.js';
import type { Logger } from './logger.js';

const PRODUCE_KEY = 0;
const API_VERSIONS_KEY = 18;
const MAX_QUEUED_FRAMES = 64;

const pools = new WeakMap<Broker, BufferPool>();

/** One pool per broker, shared by its connections. */
function bufferPool(broker: Broker): BufferPool {
  let pool = pools.get(broker);
  if (!pool) pools.set(broker, (pool = new BufferPool()));
  return pool;
}

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private busy = false;
  private paused = false;
  private closed = false;
  private readonly closing = new AbortController();
  readonly clientAddress: string;
  private readonly log: Logger;
  private readonly pool: BufferPool;

  constructor(
    private readonly socket: Socket,
    private readonly broker: Broker,
    readonly id: number,
    log: Logger,
    readonly listenerName: string,
  ) {
    this.clientAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    this.log = log.child(`conn ${id} ${this.clientAddress}`);
    this.pool = bufferPool(broker);
    this.decoder = new FrameDecoder(broker.config.int('socket.request.max.bytes'), (n) =>
      this.pool.acquire(n),
    );
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
        const frame = this.queue.shift()!;
        const lease = new BufferLease(this.pool);
        await this.process(frame, lease);
        // Nothing keeps a Produce request's bytes once it is handled (the log wrote them
        // synchronously): its frame can take the next one. Other requests may keep views of
        // their frame (group metadata, assignments), so theirs are left to the GC.
        if (frame.length >= 2 && frame.readInt16BE(0) === PRODUCE_KEY) this.pool.release(frame);
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

  /** Handles one request; `lease` is released here, or by send() once the socket wrote it. */
  private async process(frame: Buffer, lease: BufferLease): Promise<void> {
    let sent = false;
    try {
      sent = await this.handleFrame(frame, lease);
    } finally {
      if (!sent) lease.release();
    }
  }

  /** Whether a response referencing `lease` was handed to the socket. */
  private async handleFrame(frame: Buffer, lease: BufferLease): Promise<boolean> {
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
        this.close(`unknown API key ${apiKey} (correlation id ${correlationId})`);
        return false;
      }
      const clientId = r.nullableString();
      header = { apiKey, apiVersion, correlationId, clientId };
      if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
        if (apiKey === API_VERSIONS_KEY) {
          // Kafka answers an ApiVersions it cannot parse with a v0 body naming what it does
          // support, so the client can retry with a version both sides know.
          this.send(header, 0, 0, unsupportedApiVersionsResponse(this.broker), handler);
          return false;
        }
        this.close(
          `${handler.api.name} v${apiVersion} is not supported (v${handler.minVersion}-${handler.maxVersion} are), client ${clientId}`,
        );
        return false;
      }
      if (handler.api.requestHeaderVersion(apiVersion) >= 2) r.taggedFields();
      request = handler.api.decodeRequest(r, apiVersion);
    } catch (err) {
      if (err instanceof MalformedInputError) {
        this.close(`malformed request: ${err.message}`);
        return false;
      }
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
      responseBuffer: lease.alloc,
    };
    let response: unknown;
    try {
      response = await handler.handle(request, ctx);
    } catch (err) {
      const what = `${handler.api.name} v${header.apiVersion} (correlation id ${header.correlationId})`;
      if (err instanceof KafkaError) this.close(`${what} failed: ${err.message}`);
      else {
        this.log.error(`${what} failed: ${(err as Error).stack ?? err}`);
        this.close(`internal error in ${handler.api.name}`);
      }
      return false;
    }
    if (response === NO_RESPONSE || this.closed) return false;
    this.send(
      header,
      header.apiVersion,
      handler.api.responseHeaderVersion(header.apiVersion),
      response,
      handler,
      lease,
    );
    return true;
  }

  private send(
    header: RequestHeader,
    version: number,
    responseHeaderVersion: number,
    body: unknown,
    handler: Handler,
    lease?: BufferLease,
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
    // The lease's memory is in `parts` until the socket has written them: the callback of the
    // last write comes after every earlier one (also when the socket is destroyed meanwhile).
    const last = parts.length - 1;
    this.socket.cork();
    for (let i = 0; i < last; i++) this.socket.write(parts[i]!);
    if (lease && lease.size > 0) this.socket.write(parts[last]!, () => lease.release());
    else this.socket.write(parts[last]!);
    this.socket.uncork();
  }
}

// One client connection: frames in, responses out, in request order.
//
// Like Kafka, a connection handles one request at a time: the next frame is decoded only when
// the previous request has been answered (or needs no answer). That keeps responses in
// request order, which clients rely on, and makes each connection's appends happen in the
// order they were sent, which the idempotent producer relies on. Frames that arrive meanwhile
// wait in a queue; the socket is paused when the queue grows, so a fast sender is slowed down
// by TCP rather than by our memory. A request whose handler answers synchronously (Produce with
// acks=1, Metadata, ...) is answered within the read that brought it, without a promise.
//
// Reads (socket-reads.ts) land in one buffer shared by every connection of the process
// (SHARED_READ), which the next read of any socket overwrites, so no view of it may outlive the
// read callback (architecture invariant 14): frames of APIs other than Produce are copied out at
// once (their decoded requests keep views: group metadata, assignments), and a Produce frame is
// handled in place when the connection is free, else copied too. Produce is the exception
// because nothing keeps its bytes once handle() returns: the log writes them synchronously
// (storage invariant 1) and keeps only numbers. A handler that starts keeping record bytes (a
// cache of recent appends, say) must copy them.
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
import { adoptWithReadBuffer } from './socket-reads.js';

const PRODUCE_KEY = 0;
const API_VERSIONS_KEY = 18;
const MAX_QUEUED_FRAMES = 64;

/**
 * Where every read of an adopted socket lands. One per process: reads are synchronous (libuv
 * reads a socket, then calls back before the next read), so every connection can use the same
 * memory as long as nothing keeps a view of it past its callback. Up to 256 KiB a read: a broker
 * that falls behind gets several 64 KiB produce requests in one read and handles them in place
 * (64 KiB measured the same CPU per GB when it keeps up).
 */
const SHARED_READ = Buffer.allocUnsafeSlow(256 * 1024);

const pools = new WeakMap<Broker, BufferPool>();

/** One pool per broker, shared by its connections. */
function bufferPool(broker: Broker): BufferPool {
  let pool = pools.get(broker);
  if (!pool) pools.set(broker, (pool = new BufferPool()));
  return pool;
}

const isProduce = (frame: Buffer) => frame.length >= 2 && frame.readInt16BE(0) === PRODUCE_KEY;
const inSharedRead = (frame: Buffer) => frame.buffer === SHARED_READ.buffer;
const isPromise = <T>(x: T | Promise<T>): x is Promise<T> =>
  typeof (x as { then?: unknown } | null)?.then === 'function';

export class Connection {
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private busy = false;
  private paused = false;
  private closed = false;
  private readonly closing = new AbortController();
  readonly clientAddress: string;
  private readonly log: Logger;
  private readonly pool: BufferPool;
  /** Memory lent to the response of the request being handled (Fetch record bytes), if any. */
  private lease: BufferLease | undefined;
  private readonly responseBuffer = (n: number): Buffer =>
    (this.lease ??= new BufferLease(this.pool)).alloc(n);

  /** `accepted` comes from a server made with pauseOnConnect: nothing has been read from it. */
  constructor(
    accepted: Socket,
    private readonly broker: Broker,
    readonly id: number,
    log: Logger,
    readonly listenerName: string,
  ) {
    this.clientAddress = `${accepted.remoteAddress}:${accepted.remotePort}`;
    this.log = log.child(`conn ${id} ${this.clientAddress}`);
    this.pool = bufferPool(broker);
    this.decoder = new FrameDecoder(broker.config.int('socket.request.max.bytes'), (n) =>
      this.pool.acquire(n),
    );
    const adopted = adoptWithReadBuffer(accepted, SHARED_READ, (n) => this.onRead(n));
    const socket = adopted ?? accepted;
    this.socket = socket;
    socket.setNoDelay(true);
    const idleMs = broker.config.long('connections.max.idle.ms');
    if (idleMs > 0 && Number.isFinite(idleMs)) {
      socket.setTimeout(idleMs, () => this.close(`idle for ${idleMs} ms`));
    }
    socket.on('error', (err) => this.close(`socket error: ${err.message}`, 'debug'));
    socket.on('close', () => {
      this.closed = true;
      this.closing.abort();
      broker.connectionClosed(this);
    });
    if (!adopted) {
      // This Node cannot read into our memory: its buffers are fresh per read, so views of them
      // may be kept as they are.
      socket.on('data', (chunk: Buffer) => this.received(() => this.decoder.push(chunk)));
      socket.resume();
    }
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

  private onRead(n: number): void {
    this.received(() => this.decoder.push(SHARED_READ.subarray(0, n)));
    // The next read of any socket overwrites SHARED_READ: frames still waiting move out now.
    for (let i = 0; i < this.queue.length; i++) {
      const frame = this.queue[i]!;
      if (inSharedRead(frame)) this.queue[i] = this.copy(frame);
    }
  }

  private received(decode: () => Buffer[]): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = decode();
    } catch (err) {
      if (!(err instanceof FrameTooLargeError)) throw err;
      this.close(err.message);
      return;
    }
    if (frames.length === 0) return;
    for (const frame of frames) {
      // Only Produce may be handled in place (see the top of this file).
      this.queue.push(inSharedRead(frame) && !isProduce(frame) ? this.copy(frame) : frame);
    }
    if (this.queue.length >= MAX_QUEUED_FRAMES && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    // Answers to several requests of one read leave in one write.
    const cork = frames.length > 1;
    if (cork) this.socket.cork();
    try {
      this.pump();
    } finally {
      if (cork) this.socket.uncork();
    }
  }

  /** A frame's bytes in memory of its own: pooled for a Produce (released once handled). */
  private copy(frame: Buffer): Buffer {
    const out = isProduce(frame)
      ? this.pool.acquire(frame.length)
      : Buffer.allocUnsafe(frame.length);
    frame.copy(out);
    return out;
  }

  /**
   * Handles queued frames one at a time, synchronously while handlers answer synchronously; a
   * request that waits (a promise, or a socket that needs draining) continues the queue later.
   * Nothing keeps a Produce request's bytes once it is handled (the log wrote them
   * synchronously): its frame goes back to the pool for the next one. Other requests may keep
   * views of their frame (group metadata, assignments), so theirs are left to the GC.
   */
  private pump(): void {
    if (this.busy) return;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const frame = this.queue.shift()!;
        // Asked before handling: a frame handled in SHARED_READ is overwritten by the time
        // an asynchronous answer comes.
        const produce = isProduce(frame);
        const pending = this.process(frame);
        if (pending) {
          this.busy = true;
          pending.then(
            () => this.continueAfter(produce ? frame : undefined),
            (err) => this.failed(err),
          );
          return;
        }
        if (produce) this.pool.release(frame);
        // A client that does not read its responses is not sent more: wait for the socket
        // to drain before the next request is handled.
        if (this.socket.writableNeedDrain) {
          this.busy = true;
          this.drained().then(() => this.continueAfter());
          return;
        }
      }
    } catch (err) {
      this.failed(err);
      return;
    }
    if (this.paused && !this.closed) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** After a request that waited; `released` is a Produce frame to give back to the pool. */
  private continueAfter(released?: Buffer): void {
    this.busy = false;
    if (released) this.pool.release(released);
    if (this.socket.writableNeedDrain && !this.closed) {
      this.busy = true;
      this.drained().then(() => this.continueAfter());
      return;
    }
    this.pump();
  }

  /** A bug, not bad input: the connection goes, the broker stays. */
  private failed(err: unknown): void {
    this.busy = false;
    this.log.error(`request handling failed: ${(err as Error)?.stack ?? err}`);
    this.close('internal error');
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

  /**
   * Handles one request: undefined when it is done, else a promise of that. Memory the handler
   * took for its response (`lease`) goes with the response to send(), which releases it once the
   * socket has written it; if no response was sent, it is released here.
   */
  private process(frame: Buffer): Promise<void> | undefined {
    let done: undefined | Promise<void>;
    try {
      done = this.handleFrame(frame);
    } catch (err) {
      this.dropLease();
      throw err;
    }
    if (!done) {
      this.dropLease();
      return undefined;
    }
    return done.finally(() => this.dropLease());
  }

  private dropLease(): void {
    const lease = this.lease;
    this.lease = undefined;
    lease?.release();
  }

  /** Undefined once handled, or a promise of that when the handler answers later. */
  private handleFrame(frame: Buffer): undefined | Promise<void> {
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
        return undefined;
      }
      const clientId = r.nullableString();
      header = { apiKey, apiVersion, correlationId, clientId };
      if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
        if (apiKey === API_VERSIONS_KEY) {
          // Kafka answers an ApiVersions it cannot parse with a v0 body naming what it does
          // support, so the client can retry with a version both sides know.
          this.send(header, 0, 0, unsupportedApiVersionsResponse(this.broker), handler);
          return undefined;
        }
        this.close(
          `${handler.api.name} v${apiVersion} is not supported (v${handler.minVersion}-${handler.maxVersion} are), client ${clientId}`,
        );
        return undefined;
      }
      if (handler.api.requestHeaderVersion(apiVersion) >= 2) r.taggedFields();
      request = handler.api.decodeRequest(r, apiVersion);
    } catch (err) {
      if (err instanceof MalformedInputError) {
        this.close(`malformed request: ${err.message}`);
        return undefined;
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
      responseBuffer: this.responseBuffer,
    };
    const h = handler;
    let response: unknown;
    try {
      response = h.handle(request, ctx);
    } catch (err) {
      this.handlerFailed(h, header, err);
      return undefined;
    }
    if (!isPromise(response)) {
      this.respond(h, header, response);
      return undefined;
    }
    return response.then(
      (r) => this.respond(h, header, r),
      (err) => this.handlerFailed(h, header, err),
    );
  }

  private handlerFailed(handler: Handler, header: RequestHeader, err: unknown): void {
    const what = `${handler.api.name} v${header.apiVersion} (correlation id ${header.correlationId})`;
    if (err instanceof KafkaError) this.close(`${what} failed: ${err.message}`);
    else {
      this.log.error(`${what} failed: ${(err as Error).stack ?? err}`);
      this.close(`internal error in ${handler.api.name}`);
    }
  }

  private respond(handler: Handler, header: RequestHeader, response: unknown): void {
    if (response === NO_RESPONSE || this.closed) return;
    const lease = this.lease;
    this.lease = undefined;
    this.send(
      header,
      header.apiVersion,
      handler.api.responseHeaderVersion(header.apiVersion),
      response,
      handler,
      lease,
    );
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
    if (last > 0) this.socket.cork();
    for (let i = 0; i < last; i++) this.socket.write(parts[i]!);
    if (lease && lease.size > 0) this.socket.write(parts[last]!, () => lease.release());
    else this.socket.write(parts[last]!);
    if (last > 0) this.socket.uncork();
  }
}

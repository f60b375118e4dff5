// One TCP (or TLS) connection to one broker. Requests are pipelined: each gets the next
// correlation id and is written at once; answers are matched back by correlation id. The
// first exchange is ApiVersions, from which the version of every later request is chosen.
//
// A timed-out request closes the connection: the broker answers in order, so a stuck request
// would hold back every answer behind it, and Kafka's own clients do the same.
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions as TlsOptions, connect as tlsConnect } from 'node:tls';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import {
  type ApiVersionsResponse,
  decodeApiVersionsResponse,
  encodeApiVersionsRequest,
} from '../protocol/messages/api-versions.js';
import type { ApiCodec } from '../protocol/messages/codec.js';
import { ApiKey } from '../protocol/messages/index.js';
import { encodeRequestHeader } from '../protocol/messages/request-header.js';
import { decodeResponseHeader } from '../protocol/messages/response-header.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import { ConnectionError, RequestTimeoutError } from './errors.js';
import { FrameReader } from './frame-reader.js';
import {
  type BrokerVersions,
  brokerVersionsFrom,
  CLIENT_VERSIONS,
  pickVersion,
} from './versions.js';

export const CLIENT_SOFTWARE_NAME = 'samsa-client';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  /** Give up connecting (TCP, TLS, ApiVersions and authenticate) after this long. Default 10 s. */
  connectTimeoutMs?: number;
  /** Default time a request may wait for its answer. Default 30 s. */
  requestTimeoutMs?: number;
  /** Largest response frame accepted. Default 128 MiB. */
  maxFrameBytes?: number;
  /** Connect with TLS using these options. */
  tls?: TlsOptions;
  /**
   * Runs once ApiVersions is known and before the connection is handed out: the place for
   * SASL (SaslHandshake + SaslAuthenticate through `connection.send`).
   */
  authenticate?: (connection: Connection) => Promise<void>;
}

export interface SendOptions {
  /** Overrides the connection's request timeout (add the fetch wait for long polls). */
  timeoutMs?: number;
  /** Overrides the negotiated version (tests, or a request only valid in older versions). */
  version?: number;
  /** The broker sends no answer (Produce with acks=0): resolves once written. */
  noResponse?: boolean;
}

interface Pending {
  apiName: string;
  responseHeaderVersion: number;
  decode: (r: Reader) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_FRAME_BYTES = 128 * 1024 * 1024;

export class Connection {
  /** "host:port", for messages. */
  readonly broker: string;
  private readonly socket: Socket;
  private readonly frames: FrameReader;
  private readonly pending = new Map<number, Pending>();
  private readonly requestTimeoutMs: number;
  private readonly clientId: string;
  private readonly closeListeners: ((err?: Error) => void)[] = [];
  private nextCorrelationId = 0;
  private brokerVersions: BrokerVersions = new Map();
  private readonly chosen = new Map<number, number>();
  private closeReason: Error | undefined;

  private constructor(
    socket: Socket,
    frames: FrameReader,
    reads: ReadSink,
    options: ConnectionOptions,
  ) {
    this.socket = socket;
    this.broker = `${options.host}:${options.port}`;
    this.clientId = options.clientId;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.frames = frames;
    // Plain TCP reads into the frame reader's memory (see openSocket); TLS hands out chunks.
    if (options.tls) socket.on('data', (chunk: Buffer) => this.onData(chunk));
    else reads.onRead = (n) => this.onRead(n);
    socket.on('error', (err) =>
      this.fail(new ConnectionError(this.broker, err.message, { cause: err })),
    );
    socket.on('close', () =>
      this.fail(new ConnectionError(this.broker, 'connection closed by the broker')),
    );
  }

  /** Opens a connection, runs the ApiVersions handshake and the authenticate hook. */
  static async connect(options: ConnectionOptions): Promise<Connection> {
    const broker = `${options.host}:${options.port}`;
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const frames = new FrameReader(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    const reads: ReadSink = { onRead: () => {} };
    const socket = await openSocket(options, timeoutMs, frames, reads);
    const connection = new Connection(socket, frames, reads, options);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ConnectionError(broker, `connection setup took over ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([connection.handshake(options), deadline]);
      return connection;
    } catch (err) {
      connection.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The API ranges the broker advertised. */
  get apiVersions(): BrokerVersions {
    return this.brokerVersions;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** True once the socket is closed, for whatever reason. */
  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  /** Whether the broker and this client share a version of `apiKey`. */
  supports(apiKey: number): boolean {
    try {
      this.version(apiKey);
      return true;
    } catch {
      return false;
    }
  }

  /** The version used for `apiKey`: the highest both sides support. */
  version(apiKey: number): number {
    let v = this.chosen.get(apiKey);
    if (v === undefined) {
      v = pickVersion(apiKey, this.brokerVersions, this.broker);
      this.chosen.set(apiKey, v);
    }
    return v;
  }

  /** Sends a request and resolves with the decoded answer. */
  send<Req, Res>(api: ApiCodec<Req, Res>, request: Req, options: SendOptions = {}): Promise<Res> {
    let version: number;
    try {
      version = options.version ?? this.version(api.apiKey);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.request(
      api.apiKey,
      api.name,
      version,
      api.requestHeaderVersion(version),
      api.responseHeaderVersion(version),
      (w) => api.encodeRequest(request, version, w),
      (r) => api.decodeResponse(r, version),
      options,
    ) as Promise<Res>;
  }

  /** Runs `listener` once when the connection closes, for whatever reason. */
  onClose(listener: (err?: Error) => void): void {
    if (this.closeReason) queueMicrotask(() => listener(this.closeReason));
    else this.closeListeners.push(listener);
  }

  /** Closes the socket; requests still waiting fail with a ConnectionError. */
  close(): void {
    this.fail(new ConnectionError(this.broker, 'connection closed by the client'));
  }

  private async handshake(options: ConnectionOptions): Promise<void> {
    let version = CLIENT_VERSIONS.get(ApiKey.ApiVersions)!.max;
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await this.apiVersionsExchange(version);
      if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION && attempt === 0) {
        // The broker answered in v0 and lists the ApiVersions versions it knows.
        const own = response.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
        version = Math.min(version, own?.maxVersion ?? 0);
        continue;
      }
      if (response.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(response.errorCode, `ApiVersions from ${this.broker}`);
      }
      this.brokerVersions = brokerVersionsFrom(response.apiKeys);
      break;
    }
    if (this.brokerVersions.size === 0) {
      throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `ApiVersions from ${this.broker} failed`);
    }
    if (options.authenticate) await options.authenticate(this);
  }

  private apiVersionsExchange(version: number): Promise<ApiVersionsResponse> {
    return this.request(
      ApiKey.ApiVersions,
      'ApiVersions',
      version,
      version >= 3 ? 2 : 1,
      0, // ApiVersions answers always use response header v0, so an old broker can be read.
      (w) =>
        encodeApiVersionsRequest(
          {
            clientSoftwareName: CLIENT_SOFTWARE_NAME,
            clientSoftwareVersion: CLIENT_SOFTWARE_VERSION,
          },
          version,
          w,
        ),
      (r) => {
        const errorCode = r.remaining() >= 2 ? r.buf.readInt16BE(r.offset) : 0;
        // An UNSUPPORTED_VERSION answer is written in v0 whatever version was asked.
        const v = errorCode === ErrorCode.UNSUPPORTED_VERSION ? 0 : version;
        return decodeApiVersionsResponse(r, v);
      },
      {},
    ) as Promise<ApiVersionsResponse>;
  }

  private request(
    apiKey: number,
    apiName: string,
    version: number,
    requestHeaderVersion: number,
    responseHeaderVersion: number,
    encodeBody: (w: Writer) => void,
    decode: (r: Reader) => unknown,
    options: SendOptions,
  ): Promise<unknown> {
    if (this.closeReason) return Promise.reject(this.closeReason);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) | 0;
    const w = new Writer(512);
    try {
      encodeRequestHeader(
        {
          requestApiKey: apiKey,
          requestApiVersion: version,
          correlationId,
          clientId: this.clientId,
        },
        requestHeaderVersion,
        w,
      );
      encodeBody(w);
    } catch (err) {
      return Promise.reject(err);
    }
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(w.length, 0);
    const parts = w.toBuffers();
    return new Promise((resolve, reject) => {
      if (options.noResponse) {
        this.write(size, parts, (err) =>
          err
            ? reject(new ConnectionError(this.broker, err.message, { cause: err }))
            : resolve(undefined),
        );
        return;
      }
      const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
      const timer = setTimeout(() => this.timeOut(correlationId, timeoutMs), timeoutMs);
      this.pending.set(correlationId, {
        apiName: `${apiName} v${version}`,
        responseHeaderVersion,
        decode,
        resolve,
        reject,
        timer,
      });
      this.write(size, parts);
    });
  }

  private write(size: Buffer, parts: Buffer[], done?: (err?: Error | null) => void): void {
    const s = this.socket;
    s.cork();
    s.write(size);
    for (let i = 0; i < parts.length; i++) {
      if (i === parts.length - 1 && done) s.write(parts[i]!, done);
      else s.write(parts[i]!);
    }
    if (parts.length === 0 && done) s.write(Buffer.alloc(0), done);
    s.uncork();
  }

  private timeOut(correlationId: number, timeoutMs: number): void {
    const p = this.pending.get(correlationId);
    if (!p) return;
    this.pending.delete(correlationId);
    p.reject(
      new RequestTimeoutError(
        `${p.apiName} to ${this.broker} got no answer within ${timeoutMs} ms`,
      ),
    );
    this.fail(new ConnectionError(this.broker, `closed after ${p.apiName} timed out`));
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.frames.push(chunk);
    } catch (err) {
      this.fail(new ConnectionError(this.broker, (err as Error).message));
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  private onRead(n: number): void {
    let frames: Buffer[];
    try {
      frames = this.frames.onRead(n);
    } catch (err) {
      this.fail(new ConnectionError(this.broker, (err as Error).message));
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 4) {
      this.fail(new ConnectionError(this.broker, `response frame of ${frame.length} bytes`));
      return;
    }
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) {
      this.fail(
        new ConnectionError(this.broker, `answer with unknown correlation id ${correlationId}`),
      );
      return;
    }
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    let value: unknown;
    try {
      const r = new Reader(frame);
      decodeResponseHeader(r, p.responseHeaderVersion);
      value = p.decode(r);
    } catch (err) {
      p.reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    p.resolve(value);
  }

  private fail(reason: ConnectionError): void {
    if (this.closeReason) return;
    this.closeReason = reason;
    this.socket.destroy();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
    this.pending.clear();
    for (const l of this.closeListeners.splice(0)) l(reason);
  }
}

/** Where a plain TCP socket reports its reads; the Connection takes it over once it exists. */
interface ReadSink {
  onRead: (n: number) => void;
}

function openSocket(
  options: ConnectionOptions,
  timeoutMs: number,
  frames: FrameReader,
  reads: ReadSink,
): Promise<Socket> {
  const broker = `${options.host}:${options.port}`;
  return new Promise((resolve, reject) => {
    const socket = options.tls
      ? tlsConnect({
          host: options.host,
          port: options.port,
          servername: options.host,
          ...options.tls,
        })
      : netConnect({
          host: options.host,
          port: options.port,
          // Each read lands in the frame reader's memory: no 64 KiB chunk per read, and a large
          // answer is read in place instead of being assembled from chunks by a copy.
          onread: {
            buffer: () => frames.readBuffer(),
            callback: (n: number) => {
              reads.onRead(n);
              return true;
            },
          },
        });
    const ready = options.tls ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectionError(broker, `could not connect within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 60_000);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new ConnectionError(broker, `could not connect: ${err.message}`, { cause: err }));
    });
  });
}

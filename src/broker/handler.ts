// What a handler file exports. One file per API under handlers/, each declaring the versions it
// serves next to the code that serves them; the router and the ApiVersions answer are built
// from this set, so an API is advertised exactly when a handler for it exists.
import type { ApiCodec } from '../protocol/messages/index.js';
import type { Broker } from './broker.js';
import type { Logger } from './logger.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export interface RequestContext {
  broker: Broker;
  header: RequestHeader;
  /** "host:port" of the client, for logs. */
  clientAddress: string;
  /**
   * The listener the connection came in on (its name, e.g. PLAINTEXT): Kafka answers with the
   * brokers' endpoints of that listener, so each network sees addresses it can reach.
   */
  listenerName: string;
  /** Id of the connection, unique for the broker's lifetime; fetch sessions and groups use it. */
  connectionId: number;
  log: Logger;
  /** Aborted when the connection closes, so a waiting request (fetch long-poll) can give up. */
  connectionClosed?: AbortSignal;
  /**
   * Memory for big byte fields of this request's response (Fetch record bytes), valid until the
   * response has been written to the socket; the connection then reuses it. Absent outside a
   * connection: allocate as usual.
   */
  responseBuffer?: (n: number) => Buffer;
}

/** Returned by a handler that must not answer (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no response');

export interface Handler<Req = unknown, Res = unknown> {
  readonly api: ApiCodec<Req, Res>;
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(
    request: Req,
    ctx: RequestContext,
  ): Res | typeof NO_RESPONSE | Promise<Res | typeof NO_RESPONSE>;
}

/** Declares a handler with its types inferred from the generated codec. */
export function defineHandler<Req, Res>(handler: Handler<Req, Res>): Handler<Req, Res> {
  return handler;
}

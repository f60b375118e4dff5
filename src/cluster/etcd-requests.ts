// How the etcd store sends one request and what a failure means (EtcdMetadataStore's retry
// policy):
// - Reads retry across endpoints until the request timeout.
// - Writes are sent once (retried only when they provably never left): after a timeout nobody
//   knows whether a write landed, and retrying a compare-and-swap that did land would report a
//   conflict with itself; the caller re-reads and decides.
// - An unreachable etcd (or one without a quorum) becomes MetadataStoreUnavailableError
//   (REQUEST_TIMED_OUT, retriable); a lease etcd no longer knows becomes LeaseExpiredError;
//   anything else etcd refuses becomes UNKNOWN_SERVER_ERROR.
import { castGrpcError, EtcdLeaseInvalidError, isRecoverableError } from 'etcd3';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { EtcdLease } from './etcd-lease.js';
import { LeaseExpiredError, MetadataStoreUnavailableError } from './metadata-store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class EtcdRequests {
  constructor(
    private readonly endpointsText: string,
    readonly requestTimeoutMs: number,
    private readonly isClosed: () => boolean,
  ) {}

  /** A read: retried (on another endpoint, after a short pause) until the request timeout. */
  async read<R>(
    op: string,
    call: (deadline: number) => Promise<R>,
    end = Date.now() + this.requestTimeoutMs,
  ): Promise<R> {
    let pause = 50;
    for (;;) {
      try {
        return await call(end);
      } catch (err) {
        const failure = this.failure(op, err);
        const retriable = failure instanceof MetadataStoreUnavailableError && !this.isClosed();
        if (!retriable || Date.now() + pause >= end) throw failure;
        await sleep(pause);
        pause = Math.min(pause * 2, 500);
      }
    }
  }

  /**
   * A write: sent once. It is tried again (on another endpoint) only when gRPC says no
   * connection was established, i.e. the request provably never left this process. A lease
   * etcd no longer knows is reported to its holder.
   */
  async write<R>(
    op: string,
    lease: EtcdLease | undefined,
    call: (deadline: number) => Promise<R>,
  ): Promise<R> {
    const end = Date.now() + this.requestTimeoutMs;
    let pause = 50;
    for (;;) {
      try {
        return await call(end);
      } catch (err) {
        const failure = this.failure(op, err);
        if (failure instanceof LeaseExpiredError) lease?.markExpired('etcd no longer knows it');
        const unsent = /No connection established/.test(String((err as Error)?.message));
        if (!unsent || this.isClosed() || Date.now() + pause >= end) throw failure;
        await sleep(pause);
        pause = Math.min(pause * 2, 500);
      }
    }
  }

  /** One try, with the failure translated. */
  async attempt<R>(op: string, call: () => Promise<R>): Promise<R> {
    try {
      return await call();
    } catch (err) {
      throw this.failure(op, err);
    }
  }

  failure(op: string, err: unknown): Error {
    if (err instanceof KafkaError) return err;
    const e = err instanceof Error ? castGrpcError(err) : new Error(String(err));
    if (e instanceof EtcdLeaseInvalidError) {
      return new LeaseExpiredError(`${op}: etcd no longer knows the lease (expired or revoked)`);
    }
    if (this.isClosed()) {
      return new MetadataStoreUnavailableError(`${op}: metadata store is closed`);
    }
    if (
      isRecoverableError(e) ||
      /etcdserver: (no leader|request timed out|leader changed)/.test(e.message)
    ) {
      return new MetadataStoreUnavailableError(
        `etcd at ${this.endpointsText} did not complete ${op}: ${e.message}`,
        { cause: err },
      );
    }
    const out = new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `etcd refused ${op}: ${e.message}`);
    out.cause = err;
    return out;
  }
}

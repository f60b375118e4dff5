// An etcd lease as its holder sees it. etcd expires a lease TTL seconds after the last
// keep-alive it received; the holder cannot see that clock, so it keeps its own: a keep-alive
// *sent* at time t and answered with TTL s proves the lease alive until t + s, and the holder
// declares the lease lost at that moment if no later keep-alive has been answered. That is
// never later than etcd's own expiry, so a broker stops acting as leader or member before
// anyone else can take over (the library's own Lease only notices after twice the TTL).
import {
  type Lease,
  LeaseExpiredError,
  type LeaseState,
  type StoreLogger,
} from './metadata-store.js';

/** What a lease needs from its store. */
export interface LeaseRpc {
  /** Sends one keep-alive; resolves with the TTL in seconds etcd granted (0: lease is gone). */
  keepAliveOnce(id: string): Promise<number>;
  revoke(id: string): Promise<void>;
  readonly logger: StoreLogger;
  readonly isClosed: boolean;
}

export class EtcdLease implements Lease {
  private current: LeaseState = 'alive';
  private validUntil: number;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failing = false;
  private readonly listeners = new Set<(error: LeaseExpiredError) => void>();

  constructor(
    private readonly rpc: LeaseRpc,
    readonly id: string,
    readonly ttlMs: number,
    grantSentAt: number,
    private readonly autoKeepAlive: boolean,
  ) {
    this.validUntil = grantSentAt + ttlMs;
    this.armDeadline();
    if (autoKeepAlive) {
      // etcd's own client renews at a third of the TTL: two keep-alives may fail before expiry.
      this.keepAliveTimer = setInterval(() => this.backgroundKeepAlive(), Math.max(ttlMs / 3, 50));
      this.keepAliveTimer.unref();
    }
  }

  get state(): LeaseState {
    return this.current;
  }

  onExpired(listener: (error: LeaseExpiredError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  keepAlive(): Promise<void> {
    if (this.current !== 'alive') {
      return Promise.reject(new LeaseExpiredError(`lease ${this.id} has ${this.current}`));
    }
    // One keep-alive at a time: a slow one answered late must not be doubled up.
    this.inFlight ??= this.sendKeepAlive().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  async revoke(): Promise<void> {
    if (this.current !== 'alive') return;
    this.current = 'revoked';
    this.stopTimers();
    await this.rpc.revoke(this.id);
  }

  /** etcd said the lease no longer exists (a write attached to it was refused). */
  markExpired(reason: string): void {
    this.expire(reason);
  }

  /** The store is closing without revoking (it could not reach etcd): end quietly. */
  dispose(): void {
    if (this.current === 'alive') this.current = 'revoked';
    this.stopTimers();
  }

  private async sendKeepAlive(): Promise<void> {
    const sentAt = performance.now();
    const ttlSeconds = await this.rpc.keepAliveOnce(this.id);
    if (this.current !== 'alive') return;
    if (ttlSeconds <= 0) {
      this.expire('etcd reports it expired or was revoked');
      throw new LeaseExpiredError(`lease ${this.id} has expired`);
    }
    this.validUntil = Math.max(this.validUntil, sentAt + ttlSeconds * 1000);
    this.armDeadline();
  }

  private backgroundKeepAlive(): void {
    this.keepAlive().then(
      () => {
        if (this.failing) this.rpc.logger.info(`lease ${this.id}: keep-alive works again`);
        this.failing = false;
      },
      (err: Error) => {
        if (this.current !== 'alive' || this.failing) return;
        this.failing = true;
        const left = Math.max(0, Math.round(this.validUntil - performance.now()));
        this.rpc.logger.warn(
          `lease ${this.id}: keep-alive failed (${err.message}); it is lost in ${left} ms unless one succeeds`,
        );
      },
    );
  }

  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const left = Math.max(0, this.validUntil - performance.now());
    this.deadlineTimer = setTimeout(() => {
      if (performance.now() >= this.validUntil) {
        this.expire(`no keep-alive was confirmed within its ${this.ttlMs} ms TTL`);
      } else this.armDeadline();
    }, left + 1);
    // A lease kept alive in the background must not keep the process running by itself; one
    // kept alive by hand is a pending expiry that its holder may be waiting on.
    if (this.autoKeepAlive) this.deadlineTimer.unref();
  }

  private expire(reason: string): void {
    if (this.current !== 'alive') return;
    this.current = 'expired';
    this.stopTimers();
    const error = new LeaseExpiredError(`lease ${this.id}: ${reason}`);
    this.rpc.logger.warn(error.message);
    for (const l of this.listeners) l(error);
    this.listeners.clear();
    this.revokeLeftover(Date.now() + Math.max(10 * this.ttlMs, 30_000), 100);
  }

  /**
   * If etcd still holds the lease (we only lost contact), its keys (registration, election
   * candidacy) should go as soon as etcd answers again, not linger for another TTL: etcd gives
   * every lease a fresh TTL when it restarts, which would delay a new controller by that much.
   */
  private revokeLeftover(until: number, pauseMs: number): void {
    this.rpc.revoke(this.id).catch(() => {
      if (this.rpc.isClosed || Date.now() + pauseMs > until) return;
      setTimeout(() => this.revokeLeftover(until, Math.min(pauseMs * 2, 1000)), pauseMs).unref();
    });
  }

  private stopTimers(): void {
    clearTimeout(this.deadlineTimer);
    clearInterval(this.keepAliveTimer);
    this.deadlineTimer = undefined;
    this.keepAliveTimer = undefined;
  }
}

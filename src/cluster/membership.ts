// Which brokers are alive. Each broker registers itself under /brokers/<id> with a key attached
// to its session lease (broker.session.timeout.ms), as Kafka brokers did with ephemeral
// ZooKeeper nodes: a broker that stops renewing its lease disappears from the live set, and
// every broker follows the set through a watch.
//
// A broker also learns when *its own* session is lost (the lease ended, or its registration was
// deleted): it must then stop acting as controller or partition leader, because others may
// already have taken over. It registers again on its own and says so.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { randomUuid } from '../protocol/primitives/uuid.js';
import {
  type Lease,
  LeaseExpiredError,
  type MetadataStore,
  type StoreLogger,
  silentStoreLogger,
  type WatchEvent,
} from './metadata-store.js';

export interface BrokerEndpoint {
  listenerName: string;
  host: string;
  port: number;
  securityProtocol?: string;
}

export interface BrokerRegistration {
  brokerId: number;
  /** New on every start of the broker process, so a restart is told apart from a survivor. */
  incarnationId: string;
  /** broker.rack, for rack-aware replica placement; null when unset. */
  rack: string | null;
  endpoints: BrokerEndpoint[];
}

export type MembershipEvent =
  | { type: 'brokerJoined'; broker: BrokerRegistration }
  | { type: 'brokerUpdated'; broker: BrokerRegistration; previous: BrokerRegistration }
  | { type: 'brokerLeft'; broker: BrokerRegistration }
  /** This broker's session ended: stop acting as a leader until 'sessionRestored'. */
  | { type: 'sessionLost'; error: KafkaError }
  | { type: 'sessionRestored'; lease: Lease };

export interface MembershipOptions {
  store: MetadataStore;
  brokerId: number;
  rack?: string | null;
  endpoints: BrokerEndpoint[];
  /** Lease TTL: how long after its last keep-alive a broker counts as gone. */
  sessionTimeoutMs: number;
  /**
   * How long start-up waits for an earlier registration of the same id to go away (a broker
   * killed and restarted at once finds its old session still alive). Default: twice the
   * session timeout.
   */
  registrationTimeoutMs?: number;
  retryBackoffMs?: number;
  logger?: StoreLogger;
}

const PREFIX = '/brokers/';

/** Store key of a broker's registration. */
export function brokerKey(brokerId: number): string {
  return `${PREFIX}${brokerId}`;
}

/**
 * The cluster id kept in the store: the first broker's proposal wins and every later broker
 * adopts it, so all brokers sharing a store report one cluster id to clients.
 */
export async function ensureClusterId(store: MetadataStore, proposed: string): Promise<string> {
  for (;;) {
    const existing = await store.get<{ clusterId: string }>('/cluster');
    if (existing) return existing.value.clusterId;
    if ((await store.compareAndSwap('/cluster', 0, { clusterId: proposed })) !== undefined) {
      return proposed;
    }
  }
}

export class BrokerMembership {
  readonly registration: BrokerRegistration;
  private readonly live = new Map<number, BrokerRegistration>();
  private readonly listeners = new Set<(event: MembershipEvent) => void>();
  private readonly waiters = new Set<() => void>();
  private readonly logger: StoreLogger;
  private currentLease: Lease | undefined;
  /** Store revision of our current registration: older deletes of our key are history. */
  private registeredRevision = 0;
  private unwatch: (() => void) | undefined;
  private offExpired: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(private readonly options: MembershipOptions) {
    this.logger = options.logger ?? silentStoreLogger;
    this.registration = {
      brokerId: options.brokerId,
      incarnationId: randomUuid(),
      rack: options.rack ?? null,
      endpoints: options.endpoints.map((e) => ({ ...e })),
    };
  }

  /**
   * Loads the live set, starts following it, and registers this broker. Throws
   * DUPLICATE_BROKER_REGISTRATION when another live broker keeps the same id past the
   * registration timeout.
   */
  static async register(options: MembershipOptions): Promise<BrokerMembership> {
    const m = new BrokerMembership(options);
    try {
      await m.follow();
      await m.registerOnce(
        options.registrationTimeoutMs ?? options.sessionTimeoutMs * 2,
        /* startup */ true,
      );
    } catch (err) {
      await m.close();
      throw err;
    }
    return m;
  }

  get brokerId(): number {
    return this.registration.brokerId;
  }

  /** The session lease while registered; undefined while the session is lost. */
  get lease(): Lease | undefined {
    return this.currentLease?.state === 'alive' ? this.currentLease : undefined;
  }

  get isRegistered(): boolean {
    return this.lease !== undefined;
  }

  /** Live brokers by id, as last seen (stale while the store cannot be reached). */
  liveBrokers(): BrokerRegistration[] {
    return [...this.live.values()].sort((a, b) => a.brokerId - b.brokerId);
  }

  liveBrokerIds(): number[] {
    return this.liveBrokers().map((b) => b.brokerId);
  }

  broker(brokerId: number): BrokerRegistration | undefined {
    return this.live.get(brokerId);
  }

  onChange(listener: (event: MembershipEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The session lease, once registered (at once if registered now). */
  whenRegistered(signal?: AbortSignal): Promise<Lease> {
    const lease = this.lease;
    if (lease) return Promise.resolve(lease);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(check);
        reject(signal?.reason);
      };
      const check = () => {
        const l = this.lease;
        if (!l) return;
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
        resolve(l);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(check);
    });
  }

  /** Deregisters (revoking the session lease deletes the registration at once). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.unwatch?.();
    this.offExpired?.();
    const lease = this.currentLease;
    this.currentLease = undefined;
    this.listeners.clear();
    if (lease?.state === 'alive') {
      await lease.revoke().catch((err: Error) => {
        this.logger.warn(`broker ${this.brokerId}: could not deregister: ${err.message}`);
      });
    }
  }

  private async follow(): Promise<void> {
    const snapshot = await this.options.store.snapshot<BrokerRegistration>(PREFIX);
    for (const e of snapshot.entries) this.live.set(e.value.brokerId, e.value);
    this.unwatch = this.options.store.watch<BrokerRegistration>(PREFIX, (e) => this.onEvent(e), {
      fromRevision: snapshot.revision + 1,
    });
  }

  private onEvent(e: WatchEvent<BrokerRegistration>): void {
    const id = Number(e.key.slice(PREFIX.length));
    if (!Number.isInteger(id)) return;
    const previous = this.live.get(id);
    if (e.type === 'put') {
      this.live.set(id, e.value);
      this.emit(
        previous
          ? { type: 'brokerUpdated', broker: e.value, previous }
          : { type: 'brokerJoined', broker: e.value },
      );
      return;
    }
    this.live.delete(id);
    if (previous) this.emit({ type: 'brokerLeft', broker: previous });
    if (
      id === this.brokerId &&
      e.modRevision > this.registeredRevision &&
      this.lease &&
      !this.closed
    ) {
      // Deleted while our lease lives (by an operator, or a lease revoked elsewhere): the
      // session is gone all the same. Revoking ends anything else held under it (the
      // controller's election key) before registering afresh.
      const lease = this.currentLease!;
      this.currentLease = undefined;
      this.offExpired?.();
      lease.revoke().catch(() => {});
      this.sessionLost(new LeaseExpiredError(`registration of broker ${id} was deleted`));
    }
  }

  private async registerOnce(waitMs: number, startup: boolean): Promise<void> {
    const { store, sessionTimeoutMs } = this.options;
    const key = brokerKey(this.brokerId);
    const until = Date.now() + waitMs;
    const lease = await store.grantLease(sessionTimeoutMs);
    try {
      for (;;) {
        const existing = await store.get<BrokerRegistration>(key);
        const ours = existing?.value.incarnationId === this.registration.incarnationId;
        if (!existing || ours) {
          // Our own leftover (a session we gave up on that etcd still holds) is taken over.
          const done = await store.compareAndSwap(
            key,
            existing?.modRevision ?? 0,
            this.registration,
            {
              lease,
            },
          );
          if (done !== undefined) {
            this.registeredRevision = done;
            break;
          }
          continue;
        }
        if (Date.now() >= until) {
          const other = existing.value;
          throw new KafkaError(
            ErrorCode.DUPLICATE_BROKER_REGISTRATION,
            `broker id ${this.brokerId} is registered by a live broker (incarnation ${other.incarnationId}, ${other.endpoints.map((e) => `${e.host}:${e.port}`).join(', ')}); is another broker running with node.id=${this.brokerId}?`,
          );
        }
        if (startup) {
          this.logger.info(
            `broker ${this.brokerId}: an earlier registration (incarnation ${existing.value.incarnationId}) is still alive; waiting for its session to end`,
          );
          startup = false;
        }
        await this.waitForRemoval(key, until);
      }
    } catch (err) {
      await lease.revoke().catch(() => {});
      throw err;
    }
    if (this.closed) {
      await lease.revoke().catch(() => {});
      return;
    }
    this.currentLease = lease;
    this.offExpired = lease.onExpired((error) => {
      if (this.currentLease !== lease) return;
      this.currentLease = undefined;
      this.sessionLost(error);
    });
    for (const w of [...this.waiters]) w();
  }

  private waitForRemoval(key: string, until: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, until - Date.now()));
      const off = this.options.store.watch(key, (e) => {
        if (e.type === 'delete' && e.key === key) done();
      });
    });
  }

  private sessionLost(error: KafkaError): void {
    this.logger.warn(`broker ${this.brokerId}: session lost (${error.message}); registering again`);
    this.emit({ type: 'sessionLost', error });
    this.scheduleReregister(0);
  }

  private scheduleReregister(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.registerOnce(this.options.sessionTimeoutMs * 2, false).then(
        () => {
          const lease = this.lease;
          if (!lease || this.closed) return;
          this.logger.info(`broker ${this.brokerId}: registered again under lease ${lease.id}`);
          this.emit({ type: 'sessionRestored', lease });
        },
        (err: Error) => {
          this.logger.warn(`broker ${this.brokerId}: registering again failed: ${err.message}`);
          this.scheduleReregister(this.options.retryBackoffMs ?? 1000);
        },
      );
    }, delayMs);
  }

  private emit(event: MembershipEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.logger.warn(`membership listener failed on ${event.type}: ${(err as Error).message}`);
      }
    }
  }
}

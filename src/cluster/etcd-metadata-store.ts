// The MetadataStore of a cluster: etcd (v3 API, through the `etcd3` package's gRPC clients).
//
// - Every key lives under a prefix (setting metadata.store.prefix, default /samsa) so several
//   clusters can share one etcd; values are JSON (etcd-keyspace.ts). Revisions are etcd's own
//   (mod_revision, create_revision, header revision).
// - compareAndSwap is a transaction comparing the key's mod_revision (0: must not exist); a
//   fence adds a comparison of the fence key's create_revision.
// - Reads retry across endpoints until the request timeout; writes are sent once
//   (etcd-requests.ts says why). When etcd cannot be reached, operations fail with
//   MetadataStoreUnavailableError (REQUEST_TIMED_OUT, retriable); gRPC reconnects by itself,
//   watches resume where they were.
import {
  CompareResult,
  CompareTarget,
  type Etcd3,
  type ICompare,
  type IKeyValue,
  type IOptions,
  type IRequestOp,
} from 'etcd3';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { campaign, electionLeader, observeLeader } from './election.js';
import { createEtcdClient } from './etcd-client.js';
import { EtcdKeyspace } from './etcd-keyspace.js';
import { EtcdLease, type LeaseRpc } from './etcd-lease.js';
import { EtcdRequests } from './etcd-requests.js';
import { EtcdWatch, type WatchRpc } from './etcd-watch.js';
import {
  type CampaignOptions,
  type ElectionLeader,
  type Fence,
  FencedError,
  type Leadership,
  type Lease,
  LeaseExpiredError,
  type LeaseOptions,
  type MetadataStore,
  type Snapshot,
  type StoredValue,
  type StoreLogger,
  silentStoreLogger,
  type WatchEvent,
  type WatchOptions,
  type WriteOptions,
} from './metadata-store.js';

export interface EtcdMetadataStoreOptions {
  /** Client URLs, e.g. ['http://10.0.0.1:2379', 'http://10.0.0.2:2379']. */
  endpoints: string[];
  /** Namespace of this cluster's keys in etcd (metadata.store.prefix). Default '/samsa'. */
  prefix?: string;
  /** How long one operation may take before failing with REQUEST_TIMED_OUT. Default 5000. */
  requestTimeoutMs?: number;
  logger?: StoreLogger;
  /** Further etcd3 client options (TLS credentials, user/password). */
  client?: Partial<IOptions>;
}

export const DEFAULT_ETCD_PREFIX = '/samsa';

export class EtcdMetadataStore implements MetadataStore, LeaseRpc, WatchRpc {
  readonly logger: StoreLogger;
  readonly prefix: string;
  private readonly client: Etcd3;
  private readonly keys: EtcdKeyspace;
  private readonly requests: EtcdRequests;
  private readonly leases = new Map<string, EtcdLease>();
  private readonly watches = new Set<EtcdWatch>();
  /** Newest etcd revision seen in any answer: where a watch without fromRevision starts. */
  private lastRevision = 0;
  private closed = false;

  constructor(options: EtcdMetadataStoreOptions) {
    if (options.endpoints.length === 0) throw new TypeError('etcd needs at least one endpoint');
    this.prefix = (options.prefix ?? DEFAULT_ETCD_PREFIX).replace(/\/+$/, '');
    this.logger = options.logger ?? silentStoreLogger;
    this.keys = new EtcdKeyspace(this.prefix, this.logger);
    this.requests = new EtcdRequests(
      options.endpoints.join(','),
      options.requestTimeoutMs ?? 5000,
      () => this.closed,
    );
    this.client = createEtcdClient(options.endpoints, options.client);
  }

  /**
   * Creates the store and checks that etcd answers, retrying for up to `connectTimeoutMs`
   * (etcd may be starting alongside the brokers).
   */
  static async connect(
    options: EtcdMetadataStoreOptions & { connectTimeoutMs?: number },
  ): Promise<EtcdMetadataStore> {
    const store = new EtcdMetadataStore(options);
    const until = Date.now() + (options.connectTimeoutMs ?? 18_000);
    try {
      const res = await store.requests.read(
        'a first read',
        (deadline) =>
          store.client.kv.range({ ...store.etcdRange('/'), count_only: true }, { deadline }),
        until,
      );
      store.noteRevision(res.header.revision);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  async get<T>(key: string): Promise<StoredValue<T> | undefined> {
    const res = await this.requests.read('get', (deadline) =>
      this.client.kv.range({ key: this.keys.etcdKey(key) }, { deadline }),
    );
    this.noteRevision(res.header.revision);
    const kv = res.kvs[0];
    return kv && this.keys.stored<T>(key, kv);
  }

  async list<T>(prefix: string): Promise<StoredValue<T>[]> {
    return (await this.snapshot<T>(prefix)).entries;
  }

  async snapshot<T>(prefix: string): Promise<Snapshot<T>> {
    const { revision, kvs } = await this.range(prefix, {});
    const entries: StoredValue<T>[] = [];
    for (const kv of kvs) {
      const key = this.storeKey(kv.key);
      if (key !== undefined) entries.push(this.keys.stored<T>(key, kv));
    }
    return { revision, entries };
  }

  async put<T>(key: string, value: T, options: WriteOptions = {}): Promise<number> {
    const lease = this.leaseFor(options.lease);
    const put = { key: this.keys.etcdKey(key), value: this.keys.encode(value), lease: lease?.id };
    if (!options.fence) {
      const res = await this.requests.write('put', lease, (deadline) =>
        this.client.kv.put(put, { deadline }),
      );
      return this.noteRevision(res.header.revision);
    }
    const revision = await this.transaction('put', lease, [], [{ request_put: put }], options);
    if (revision === undefined) throw this.fenced(options.fence);
    return revision;
  }

  async compareAndSwap<T>(
    key: string,
    expectedRevision: number,
    value: T,
    options: WriteOptions = {},
  ): Promise<number | undefined> {
    const lease = this.leaseFor(options.lease);
    const k = this.keys.etcdKey(key);
    return this.transaction(
      'compare-and-swap',
      lease,
      [
        {
          key: k,
          target: CompareTarget.Mod,
          result: CompareResult.Equal,
          mod_revision: expectedRevision,
        },
      ],
      [{ request_put: { key: k, value: this.keys.encode(value), lease: lease?.id } }],
      options,
    );
  }

  async delete(key: string, expectedRevision?: number, options: { fence?: Fence } = {}) {
    const k = this.keys.etcdKey(key);
    const compare: ICompare[] =
      expectedRevision === undefined
        ? []
        : [
            {
              key: k,
              target: CompareTarget.Mod,
              result: CompareResult.Equal,
              mod_revision: expectedRevision,
            },
          ];
    let deleted = false;
    const revision = await this.transaction(
      'delete',
      undefined,
      compare,
      [{ request_delete_range: { key: k } }],
      options,
      (responses) => {
        deleted = Number(responses[0]?.response_delete_range?.deleted ?? 0) > 0;
      },
    );
    return revision !== undefined && deleted;
  }

  watch<T>(
    prefix: string,
    onEvent: (event: WatchEvent<T>) => void,
    options: WatchOptions = {},
  ): () => void {
    if (this.closed) throw new Error('metadata store is closed');
    const from =
      options.fromRevision ?? (this.lastRevision > 0 ? this.lastRevision + 1 : undefined);
    const w = new EtcdWatch(this, prefix, onEvent as (e: WatchEvent) => void, from);
    this.watches.add(w);
    return () => {
      w.cancel();
      this.watches.delete(w);
    };
  }

  async grantLease(ttlMs: number, options: LeaseOptions = {}): Promise<Lease> {
    if (!(ttlMs > 0)) throw new RangeError(`lease TTL must be positive, got ${ttlMs}`);
    const sentAt = performance.now();
    // Not retried: a grant that timed out may have created a lease, which then just expires.
    const res = await this.requests.write('lease grant', undefined, (deadline) =>
      this.client.leaseClient.leaseGrant({ TTL: Math.ceil(ttlMs / 1000) }, { deadline }),
    );
    if (res.error) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `etcd: ${res.error}`);
    const lease = new EtcdLease(
      this,
      String(res.ID),
      Number(res.TTL) * 1000,
      sentAt,
      options.autoKeepAlive ?? true,
    );
    this.leases.set(lease.id, lease);
    lease.onExpired(() => this.leases.delete(lease.id));
    return lease;
  }

  campaign<T>(
    election: string,
    value: T,
    lease: Lease,
    options?: CampaignOptions,
  ): Promise<Leadership<T>> {
    return campaign(this, election, value, lease, options);
  }

  leader<T>(election: string): Promise<ElectionLeader<T> | undefined> {
    return electionLeader<T>(this, election);
  }

  observeLeader<T>(
    election: string,
    onChange: (leader: ElectionLeader<T> | undefined) => void,
  ): () => void {
    return observeLeader(this, election, onChange);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches) w.cancel();
    this.watches.clear();
    // Revoking deletes this broker's leased keys at once instead of after their TTL.
    await Promise.allSettled(
      [...this.leases.values()].map((l) => l.revoke().catch(() => l.dispose())),
    );
    this.leases.clear();
    this.client.close();
  }

  // ---- LeaseRpc ----

  get isClosed(): boolean {
    return this.closed;
  }

  async keepAliveOnce(id: string): Promise<number> {
    const stream = await this.requests.attempt('lease keep-alive', () =>
      this.client.leaseClient.leaseKeepAlive({
        deadline: Date.now() + this.requests.requestTimeoutMs,
      }),
    );
    return new Promise<number>((resolve, reject) => {
      stream.on('data', (res) => {
        this.noteRevision(res.header.revision);
        resolve(Number(res.TTL));
        stream.end();
        stream.cancel();
      });
      stream.on('error', (err) => reject(this.requests.failure('lease keep-alive', err)));
      stream.on('end', () =>
        reject(this.requests.failure('lease keep-alive', new Error('stream ended'))),
      );
      stream.write({ ID: id });
    });
  }

  async revoke(id: string): Promise<void> {
    this.leases.delete(id);
    try {
      await this.requests.write('lease revoke', undefined, (deadline) =>
        this.client.leaseClient.leaseRevoke({ ID: id }, { deadline }),
      );
    } catch (err) {
      if (!(err instanceof LeaseExpiredError)) throw err;
    }
  }

  // ---- WatchRpc ----

  openWatchStream() {
    return this.requests.attempt('watch', () => this.client.watchClient.watch());
  }

  async range(
    prefix: string,
    options: { revision?: number; keysOnly?: boolean },
  ): Promise<{ revision: number; kvs: IKeyValue[] }> {
    const res = await this.requests.read('read', (deadline) =>
      this.client.kv.range(
        { ...this.etcdRange(prefix), revision: options.revision, keys_only: options.keysOnly },
        { deadline },
      ),
    );
    const revision = this.noteRevision(res.header.revision);
    // The revision a pinned read saw is the one asked for, not the store's newest.
    return { revision: options.revision ?? revision, kvs: res.kvs };
  }

  etcdRange(prefix: string): { key: Buffer; range_end: Buffer } {
    return this.keys.etcdRange(prefix);
  }

  storeKey(etcdKey: Buffer): string | undefined {
    return this.keys.storeKey(etcdKey);
  }

  decode(kv: IKeyValue): unknown {
    return this.keys.decode(kv);
  }

  // ---- helpers ----

  private noteRevision(revision: string | number): number {
    const r = Number(revision);
    if (r > this.lastRevision) this.lastRevision = r;
    return r;
  }

  private leaseFor(lease: Lease | undefined): EtcdLease | undefined {
    if (!lease) return undefined;
    const own = this.leases.get(lease.id);
    if (own !== lease || lease.state !== 'alive') {
      throw new LeaseExpiredError(`lease ${lease.id} is not alive in this store`);
    }
    return own;
  }

  private fenced(fence: Fence): FencedError {
    return new FencedError(`${fence.key} (created at ${fence.createRevision}) no longer exists`);
  }

  /**
   * Runs a transaction: `compare` plus the fence, if any. Returns the revision on success,
   * undefined when a comparison of `compare` failed, and throws FencedError when the fence did.
   */
  private async transaction(
    op: string,
    lease: EtcdLease | undefined,
    compare: ICompare[],
    success: IRequestOp[],
    options: { fence?: Fence },
    onSuccess?: (responses: { response_delete_range?: { deleted: string } }[]) => void,
  ): Promise<number | undefined> {
    const fence = options.fence;
    const fenceKey = fence && this.keys.etcdKey(fence.key);
    const all = fence
      ? [
          ...compare,
          {
            key: fenceKey,
            target: CompareTarget.Create,
            result: CompareResult.Equal,
            create_revision: fence.createRevision,
          },
        ]
      : compare;
    const res = await this.requests.write(op, lease, (deadline) =>
      this.client.kv.txn(
        {
          compare: all,
          success,
          failure: fenceKey ? [{ request_range: { key: fenceKey, keys_only: true } }] : [],
        },
        { deadline },
      ),
    );
    const revision = this.noteRevision(res.header.revision);
    if (res.succeeded) {
      onSuccess?.(res.responses);
      return revision;
    }
    if (fence) {
      const kv = res.responses[0]?.response_range?.kvs[0];
      if (!kv || Number(kv.create_revision) !== fence.createRevision) throw this.fenced(fence);
    }
    return undefined;
  }
}

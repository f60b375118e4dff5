// Where cluster metadata lives (broker registrations, topics, partition assignments, leaders,
// configs). One interface with a local implementation (a file in the data dir, for a single
// node) and an etcd one for a cluster: the code above it is the same for both.
//
// Keys are '/'-separated paths; values are JSON-serialisable objects. Every change bumps a
// store-wide revision and records it as the key's modRevision, so a writer can say "put this
// only if nobody changed the key since I read it" (compare-and-swap), as etcd transactions do.
//
// Leases make keys ephemeral, like ZooKeeper sessions did for Kafka: a key written with a lease
// disappears when the lease ends (revoked, or not kept alive for its TTL), and the holder is told
// when that happens without its asking. Elections are built on leases: the candidate whose key
// was created first leads, and loses the lead when its lease ends.
import { ErrorCode, KafkaError } from '../protocol/errors.js';

export interface StoredValue<T = unknown> {
  key: string;
  value: T;
  /** Store revision of the last change to this key. */
  modRevision: number;
  /** Store revision at which the key was created (it resets when a key is deleted and re-put). */
  createRevision: number;
  /** The lease the key is attached to, if any. */
  lease?: string;
}

export type WatchEvent<T = unknown> =
  | { type: 'put'; key: string; value: T; modRevision: number; createRevision: number }
  | { type: 'delete'; key: string; modRevision: number };

/** Keys under a prefix as of one store revision: read this, then watch from `revision + 1`. */
export interface Snapshot<T = unknown> {
  revision: number;
  entries: StoredValue<T>[];
}

/**
 * A write precondition that a key still exists as created at `createRevision`. A leader passes
 * its election key as the fence, so a deposed leader cannot overwrite what its successor wrote.
 */
export interface Fence {
  key: string;
  createRevision: number;
}

export interface WriteOptions {
  /** Attach the key to this lease: it is deleted when the lease ends. */
  lease?: Lease;
  /** Write only while the fence holds; otherwise throws FencedError. */
  fence?: Fence;
}

export interface WatchOptions {
  /**
   * First revision to report (a Snapshot's revision + 1 makes snapshot-then-watch lose nothing).
   * Default: changes after the newest revision this store instance has seen.
   */
  fromRevision?: number;
}

export interface LeaseOptions {
  /**
   * Keep the lease alive in the background (default true). Without it the lease ends `ttlMs`
   * after the last keepAlive(): tests use that to make a holder "die" without killing it.
   */
  autoKeepAlive?: boolean;
}

export type LeaseState = 'alive' | 'expired' | 'revoked';

export interface Lease {
  readonly id: string;
  /** The TTL the store granted (etcd counts whole seconds and may raise a too-short TTL). */
  readonly ttlMs: number;
  readonly state: LeaseState;
  /**
   * Called once when the lease ends without its holder revoking it: it expired, it was revoked
   * by someone else, or the store could not be reached to renew it within its TTL. The holder
   * learns this no later than the store expires the lease, so it can stop acting on it first.
   */
  onExpired(listener: (error: LeaseExpiredError) => void): () => void;
  /** Renews the lease once; throws LeaseExpiredError if it has already ended. */
  keepAlive(): Promise<void>;
  /** Ends the lease now; its keys are deleted. Does not call onExpired listeners. */
  revoke(): Promise<void>;
}

export interface CampaignOptions {
  /** Aborting withdraws the candidacy (its key is deleted) and rejects the campaign. */
  signal?: AbortSignal;
}

export interface ElectionLeader<T = unknown> {
  value: T;
  /** Grows with each new leader of the election: a fencing token, like Kafka's controller epoch. */
  epoch: number;
}

/** Won leadership of an election, held while the lease lives and until resign(). */
export interface Leadership<T = unknown> {
  readonly election: string;
  readonly value: T;
  readonly epoch: number;
  readonly lease: Lease;
  /** Pass as WriteOptions.fence so writes fail once this leadership is gone. */
  readonly fence: Fence;
  readonly isLeader: boolean;
  /** Called once when leadership ends other than by resign(): lease ended or key deleted. */
  onLost(listener: (error: KafkaError) => void): () => void;
  /** Steps down: the next candidate is elected. */
  resign(): Promise<void>;
}

export interface MetadataStore {
  get<T>(key: string): Promise<StoredValue<T> | undefined>;
  /** Every key under a prefix, in key order. */
  list<T>(prefix: string): Promise<StoredValue<T>[]>;
  /** Every key under a prefix, in key order, with the store revision they were read at. */
  snapshot<T>(prefix: string): Promise<Snapshot<T>>;
  put<T>(key: string, value: T, options?: WriteOptions): Promise<number>;
  /**
   * Writes only if the key's modRevision is still `expectedRevision` (0: the key must not
   * exist). Returns the new revision, or undefined when someone else changed it first.
   */
  compareAndSwap<T>(
    key: string,
    expectedRevision: number,
    value: T,
    options?: WriteOptions,
  ): Promise<number | undefined>;
  /** Deletes only if unchanged since `expectedRevision` when given. */
  delete(key: string, expectedRevision?: number, options?: { fence?: Fence }): Promise<boolean>;
  /**
   * Calls back for every change under the prefix, in revision order, until the returned
   * function is called. Survives store reconnections without losing or repeating events.
   */
  watch<T>(
    prefix: string,
    onEvent: (event: WatchEvent<T>) => void,
    options?: WatchOptions,
  ): () => void;
  grantLease(ttlMs: number, options?: LeaseOptions): Promise<Lease>;
  /**
   * Enters `value` as a candidate in the named election under `lease`, resolving once it is
   * the leader. Rejects if the lease ends or the signal aborts first.
   */
  campaign<T>(
    election: string,
    value: T,
    lease: Lease,
    options?: CampaignOptions,
  ): Promise<Leadership<T>>;
  /** The current leader of the named election, if any. */
  leader<T>(election: string): Promise<ElectionLeader<T> | undefined>;
  /** Calls back with the leader now and whenever it changes, until the returned function is called. */
  observeLeader<T>(
    election: string,
    onChange: (leader: ElectionLeader<T> | undefined) => void,
  ): () => void;
  /** Stops watches and lease keep-alives; revokes leases this store granted. */
  close(): Promise<void>;
}

/** What the stores log through (cluster/ does not import the broker's logger). */
export interface StoreLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const silentStoreLogger: StoreLogger = { info: () => {}, warn: () => {} };

/**
 * The store could not be reached (or did not answer in time). Kafka answers REQUEST_TIMED_OUT
 * when a request cannot complete because its metadata quorum (ZooKeeper, the KRaft controllers)
 * does not answer: it is retriable, and unlike NOT_CONTROLLER it does not send clients hunting
 * for another controller when every broker has the same problem.
 */
export class MetadataStoreUnavailableError extends KafkaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.REQUEST_TIMED_OUT, message);
    this.name = 'MetadataStoreUnavailableError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * A lease ended (expired, revoked elsewhere, or could not be renewed in time). Retriable in
 * the sense that its holder may grant a new lease and register again.
 */
export class LeaseExpiredError extends KafkaError {
  constructor(message: string) {
    super(ErrorCode.REQUEST_TIMED_OUT, message);
    this.name = 'LeaseExpiredError';
  }
}

/**
 * A fenced write found its fence gone: the writer is no longer the leader it believed itself
 * to be. The only election today is the controller's, so this is Kafka's NOT_CONTROLLER.
 */
export class FencedError extends KafkaError {
  constructor(message: string) {
    super(ErrorCode.NOT_CONTROLLER, message);
    this.name = 'FencedError';
  }
}

/** Where election candidates live in the key space; '/' inside names would nest keys. */
export function electionPrefix(election: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(election)) {
    throw new TypeError(`election name '${election}' may contain only letters, digits, . _ -`);
  }
  return `/elections/${election}/`;
}

/**
 * Reads the metadata.store setting: 'local', or 'etcd://host:port[,host:port...]'.
 * Returns the etcd client URLs, or undefined for the local store.
 */
export function parseMetadataStoreSetting(setting: string): string[] | undefined {
  const value = setting.trim();
  if (value === '' || value === 'local') return undefined;
  const m = /^etcd:\/\/(.+)$/.exec(value);
  if (!m) {
    throw new TypeError(
      `metadata.store must be 'local' or etcd://host:port[,host:port...], got '${setting}'`,
    );
  }
  return m[1]!.split(',').map((hostPort) => {
    const h = hostPort.trim().replace(/\/+$/, '');
    if (!/^[^\s/:]+(:\d+)?$/.test(h) && !/^\[[0-9a-fA-F:]+\](:\d+)?$/.test(h)) {
      throw new TypeError(`metadata.store: '${h}' is not host:port`);
    }
    return `http://${/:\d+$/.test(h) ? h : `${h}:2379`}`;
  });
}

/** How a broker proves itself to etcd and checks etcd's identity (metadata.store.tls.*, username). */
export interface EtcdSecurity {
  /** TLS (https endpoints). Without `ca` the system's CAs verify the servers. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** etcd's own users (etcd auth enable). */
  auth?: { username: string; password: string };
}

export interface OpenMetadataStoreOptions {
  /** The metadata.store setting. */
  setting: string;
  /** Data directory, for the local store. */
  dataDir: string;
  /** metadata.store.prefix, for etcd. */
  prefix?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  logger?: StoreLogger;
  security?: EtcdSecurity;
}

/**
 * Opens the store the metadata.store setting names. The etcd client (gRPC) is loaded only
 * when asked for, so a single broker does not pay for it at start-up.
 */
export async function openMetadataStore(options: OpenMetadataStoreOptions): Promise<MetadataStore> {
  const endpoints = parseMetadataStoreSetting(options.setting);
  if (!endpoints) {
    const { LocalMetadataStore } = await import('./local-metadata-store.js');
    return LocalMetadataStore.inDataDir(options.dataDir);
  }
  const { EtcdMetadataStore } = await import('./etcd-metadata-store.js');
  const { securityOptions } = await import('./etcd-client.js');
  const tls = options.security?.tls !== undefined;
  return EtcdMetadataStore.connect({
    endpoints: tls ? endpoints.map((e) => e.replace(/^http:/, 'https:')) : endpoints,
    client: securityOptions(options.security ?? {}),
    prefix: options.prefix,
    requestTimeoutMs: options.requestTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    logger: options.logger,
  });
}

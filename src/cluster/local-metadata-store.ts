// The single-node MetadataStore: all keys in one JSON file in the data dir, rewritten
// atomically (temp file, fsync, rename, fsync of the directory) on every change. Metadata
// changes are rare (topic creation, config changes), so whole-file rewrites are cheap and a
// crash leaves either the old or the new file, never a torn one.
//
// Leases live in this process only, and so do the keys attached to them: they are never
// written to the file, so a restart starts without them, as an expired session would. A lease
// kept alive automatically cannot expire (its holder is this very process); one without
// automatic keep-alive ends `ttlMs` after its last keepAlive(), which lets tests make a holder
// "die" in place.
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { campaign, electionLeader, observeLeader } from './election.js';
import {
  type CampaignOptions,
  type ElectionLeader,
  type Fence,
  FencedError,
  type Leadership,
  type Lease,
  LeaseExpiredError,
  type LeaseOptions,
  type LeaseState,
  type MetadataStore,
  type Snapshot,
  type StoredValue,
  type WatchEvent,
  type WatchOptions,
  type WriteOptions,
} from './metadata-store.js';

interface FileFormat {
  version: 1;
  revision: number;
  /** createRevision was added later; files without it read it as modRevision. */
  entries: Record<string, { value: unknown; modRevision: number; createRevision?: number }>;
}

interface Entry {
  value: unknown;
  modRevision: number;
  createRevision: number;
  lease?: LocalLease;
}

interface Watcher {
  prefix: string;
  onEvent: (e: WatchEvent) => void;
  /** Live events held back while the watcher's replay of history is still to be delivered. */
  backlog?: WatchEvent[];
}

/**
 * Recent events kept so that a watch may start from a revision a moment in the past (the
 * snapshot-then-watch pattern needs only the few changes made in between). Few, because each
 * holds a whole value and a topic with many partitions makes a large one.
 */
const HISTORY_LIMIT = 128;

export class LocalMetadataStore implements MetadataStore {
  private revision = 0;
  private readonly entries = new Map<string, Entry>();
  private readonly watchers = new Set<Watcher>();
  private readonly history: WatchEvent[] = [];
  private readonly leases = new Map<string, LocalLease>();
  private nextLeaseId = 1;

  constructor(private readonly path: string) {
    if (existsSync(path)) {
      let data: FileFormat;
      try {
        data = JSON.parse(readFileSync(path, 'utf8')) as FileFormat;
      } catch (err) {
        throw new Error(`Cannot read cluster metadata ${path}: ${(err as Error).message}`);
      }
      this.revision = data.revision;
      for (const [k, v] of Object.entries(data.entries)) {
        this.entries.set(k, {
          value: v.value,
          modRevision: v.modRevision,
          createRevision: v.createRevision ?? v.modRevision,
        });
      }
    }
  }

  static inDataDir(dataDir: string): LocalMetadataStore {
    return new LocalMetadataStore(join(dataDir, 'cluster-metadata.json'));
  }

  async get<T>(key: string): Promise<StoredValue<T> | undefined> {
    const e = this.entries.get(key);
    return e && this.stored<T>(key, e);
  }

  async list<T>(prefix: string): Promise<StoredValue<T>[]> {
    return [...this.entries.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, e]) => this.stored<T>(key, e));
  }

  async snapshot<T>(prefix: string): Promise<Snapshot<T>> {
    return { revision: this.revision, entries: await this.list<T>(prefix) };
  }

  async put<T>(key: string, value: T, options: WriteOptions = {}): Promise<number> {
    return this.write(key, value, this.checkWrite(options));
  }

  async compareAndSwap<T>(
    key: string,
    expectedRevision: number,
    value: T,
    options: WriteOptions = {},
  ): Promise<number | undefined> {
    const lease = this.checkWrite(options);
    const current = this.entries.get(key)?.modRevision ?? 0;
    if (current !== expectedRevision) return undefined;
    return this.write(key, value, lease);
  }

  async delete(key: string, expectedRevision?: number, options: { fence?: Fence } = {}) {
    this.checkFence(options.fence);
    const e = this.entries.get(key);
    if (!e || (expectedRevision !== undefined && e.modRevision !== expectedRevision)) return false;
    this.remove(key, e);
    this.persist();
    return true;
  }

  watch<T>(
    prefix: string,
    onEvent: (event: WatchEvent<T>) => void,
    options: WatchOptions = {},
  ): () => void {
    const w: Watcher = { prefix, onEvent: onEvent as (e: WatchEvent) => void };
    this.watchers.add(w);
    const from = options.fromRevision;
    if (from !== undefined && from <= this.revision) {
      // Replayed on a later tick so that a callback never runs before watch() has returned;
      // live events meanwhile queue behind the replay to keep revision order.
      const replay = this.eventsSince(from, prefix);
      w.backlog = [];
      queueMicrotask(() => {
        const backlog = w.backlog ?? [];
        w.backlog = undefined;
        if (!this.watchers.has(w)) return;
        for (const e of [...replay, ...backlog]) {
          if (!this.watchers.has(w)) return;
          w.onEvent(e);
        }
      });
    }
    return () => this.watchers.delete(w);
  }

  async grantLease(ttlMs: number, options: LeaseOptions = {}): Promise<Lease> {
    if (!(ttlMs > 0)) throw new RangeError(`lease TTL must be positive, got ${ttlMs}`);
    const lease = new LocalLease(String(this.nextLeaseId++), ttlMs, options.autoKeepAlive ?? true, {
      expire: (l) => this.endLease(l),
    });
    this.leases.set(lease.id, lease);
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
    this.watchers.clear();
    // The process is done with its leases; their keys were never on disk.
    for (const lease of this.leases.values()) lease.dispose();
    this.leases.clear();
  }

  private stored<T>(key: string, e: Entry): StoredValue<T> {
    const out: StoredValue<T> = {
      key,
      value: structuredClone(e.value) as T,
      modRevision: e.modRevision,
      createRevision: e.createRevision,
    };
    if (e.lease) out.lease = e.lease.id;
    return out;
  }

  /** Checks fence and lease; returns the lease as this store's own. */
  private checkWrite(options: WriteOptions): LocalLease | undefined {
    this.checkFence(options.fence);
    if (!options.lease) return undefined;
    const lease = this.leases.get(options.lease.id);
    if (lease !== options.lease || lease.state !== 'alive') {
      throw new LeaseExpiredError(`lease ${options.lease.id} is not alive in this store`);
    }
    return lease;
  }

  private checkFence(fence: Fence | undefined): void {
    if (fence && this.entries.get(fence.key)?.createRevision !== fence.createRevision) {
      throw new FencedError(`${fence.key} (created at ${fence.createRevision}) no longer exists`);
    }
  }

  private write(key: string, value: unknown, lease: LocalLease | undefined): number {
    const stored = structuredClone(value);
    this.revision++;
    const previous = this.entries.get(key);
    previous?.lease?.keys.delete(key);
    this.entries.set(key, {
      value: stored,
      modRevision: this.revision,
      createRevision: previous?.createRevision ?? this.revision,
      lease,
    });
    lease?.keys.add(key);
    this.persist();
    this.notify({
      type: 'put',
      key,
      value: structuredClone(stored),
      modRevision: this.revision,
      createRevision: previous?.createRevision ?? this.revision,
    });
    return this.revision;
  }

  private remove(key: string, e: Entry): void {
    e.lease?.keys.delete(key);
    this.entries.delete(key);
    this.revision++;
    this.notify({ type: 'delete', key, modRevision: this.revision });
  }

  /** A lease ended: its keys go, in one persisted change (the file holds none of them). */
  private endLease(lease: LocalLease): void {
    this.leases.delete(lease.id);
    for (const key of [...lease.keys]) {
      const e = this.entries.get(key);
      if (e) this.remove(key, e);
    }
    lease.keys.clear();
    // Only the revision counter changes on disk; it must not go back after a restart.
    this.persist();
  }

  private eventsSince(from: number, prefix: string): WatchEvent[] {
    const oldest = this.history[0]?.modRevision ?? this.revision + 1;
    if (from >= oldest) {
      return this.history.filter((e) => e.modRevision >= from && e.key.startsWith(prefix));
    }
    // History does not reach back that far: report what changed since as puts (deletes in the
    // gap cannot be told apart any more). Only a watch started long after its snapshot gets here.
    return [...this.entries.entries()]
      .filter(([k, e]) => k.startsWith(prefix) && e.modRevision >= from)
      .sort(([, a], [, b]) => a.modRevision - b.modRevision)
      .map(([key, e]) => ({
        type: 'put' as const,
        key,
        value: structuredClone(e.value),
        modRevision: e.modRevision,
        createRevision: e.createRevision,
      }));
  }

  private notify(event: WatchEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    for (const w of this.watchers) {
      if (!event.key.startsWith(w.prefix)) continue;
      if (w.backlog) w.backlog.push(event);
      else w.onEvent(event);
    }
  }

  private persist(): void {
    const entries: FileFormat['entries'] = {};
    for (const [key, e] of this.entries) {
      if (!e.lease) {
        entries[key] = {
          value: e.value,
          modRevision: e.modRevision,
          createRevision: e.createRevision,
        };
      }
    }
    const data: FileFormat = { version: 1, revision: this.revision, entries };
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(data));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}

class LocalLease implements Lease {
  private current: LeaseState = 'alive';
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(error: LeaseExpiredError) => void>();
  readonly keys = new Set<string>();

  constructor(
    readonly id: string,
    readonly ttlMs: number,
    private readonly autoKeepAlive: boolean,
    private readonly owner: { expire(lease: LocalLease): void },
  ) {
    this.arm();
  }

  get state(): LeaseState {
    return this.current;
  }

  onExpired(listener: (error: LeaseExpiredError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async keepAlive(): Promise<void> {
    if (this.current !== 'alive')
      throw new LeaseExpiredError(`lease ${this.id} has ${this.current}`);
    this.arm();
  }

  async revoke(): Promise<void> {
    if (this.current !== 'alive') return;
    this.current = 'revoked';
    this.stop();
    this.owner.expire(this);
  }

  /** The store is closing: the lease ends silently with it. */
  dispose(): void {
    if (this.current === 'alive') this.current = 'revoked';
    this.stop();
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.autoKeepAlive) return;
    clearTimeout(this.timer);
    // Not unref'ed: a lease that will expire is work pending, and its holder may be awaiting it.
    this.timer = setTimeout(() => this.expire(), this.ttlMs);
  }

  private expire(): void {
    if (this.current !== 'alive') return;
    this.current = 'expired';
    this.stop();
    // The holder hears first, then the keys go: it must stop acting before others see it gone.
    const error = new LeaseExpiredError(`lease ${this.id} expired after ${this.ttlMs} ms`);
    for (const l of this.listeners) l(error);
    this.listeners.clear();
    this.owner.expire(this);
  }
}

// One watch on a key prefix in etcd, on its own gRPC stream, kept going across disconnects.
//
// Resuming is done here rather than by the library's watcher, which restarts from the last
// response header's revision + 1: in a catch-up larger than etcd's batch that header is ahead
// of the events actually sent, and events would be skipped. Here the resume point is the last
// delivered event's revision + 1 (or a progress notification's revision + 1, which etcd only
// sends to a watcher that has seen everything up to it).
//
// If etcd has compacted the history a watch needs (a long outage and auto-compaction), the
// missed events are gone; the watch then reads the prefix and reports the difference as puts
// (keys changed since) and deletes (keys it knew of that are gone), so the watcher's picture
// still ends up exact, only without the intermediate states.
import type { IDuplexStream, IKeyValue, IWatchRequest, IWatchResponse } from 'etcd3';
import type { StoreLogger, WatchEvent } from './metadata-store.js';

export interface WatchRpc {
  readonly logger: StoreLogger;
  openWatchStream(): Promise<IDuplexStream<IWatchRequest, IWatchResponse>>;
  /** Reads keys under the prefix (at `revision` if given); throws if that was compacted. */
  range(
    prefix: string,
    options: { revision?: number; keysOnly?: boolean },
  ): Promise<{ revision: number; kvs: IKeyValue[] }>;
  /** The etcd key range [key, range_end) holding the store prefix. */
  etcdRange(prefix: string): { key: Buffer; range_end: Buffer };
  /** The store key of an etcd key, undefined when it is outside this store's namespace. */
  storeKey(etcdKey: Buffer): string | undefined;
  decode(kv: IKeyValue): unknown;
}

const INITIAL_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;

function isCompacted(err: unknown): boolean {
  return /compacted/.test(String((err as Error)?.message));
}

export class EtcdWatch {
  /** Next revision to deliver; undefined until the first read fixes it. */
  private next: number | undefined;
  /** Keys under the prefix that exist as far as what has been delivered says. */
  private readonly known = new Set<string>();
  private stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs = INITIAL_BACKOFF_MS;
  private stopped = false;
  private outage: string | undefined;

  constructor(
    private readonly rpc: WatchRpc,
    private readonly prefix: string,
    private readonly onEvent: (event: WatchEvent) => void,
    fromRevision: number | undefined,
  ) {
    this.next = fromRevision;
    this.seed();
  }

  cancel(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.closeStream();
  }

  /** Learns which keys exist just before the first revision to deliver, then starts streaming. */
  private seed(): void {
    const at = this.next === undefined ? undefined : this.next - 1;
    this.rpc.range(this.prefix, { revision: at, keysOnly: true }).then(
      ({ revision, kvs }) => {
        if (this.stopped) return;
        for (const kv of kvs) {
          const key = this.rpc.storeKey(kv.key);
          if (key !== undefined) this.known.add(key);
        }
        this.next ??= revision + 1;
        this.openStream();
      },
      (err) => {
        if (this.stopped) return;
        if (isCompacted(err) || /future revision/.test(String((err as Error).message))) {
          this.rpc.logger.warn(
            `watch ${this.prefix}: revision ${this.next} is no longer in etcd's history; continuing from the current state (deletes in between cannot be reported)`,
          );
          this.resync();
        } else this.retry(err, () => this.seed());
      },
    );
  }

  private openStream(): void {
    const start = this.next!;
    this.rpc.openWatchStream().then(
      (stream) => {
        if (this.stopped) {
          stream.end();
          return;
        }
        this.stream = stream;
        stream.on('data', (res: IWatchResponse) => {
          if (this.stream === stream) this.onResponse(res, start);
        });
        const failed = (err: unknown) => {
          if (this.stream !== stream || this.stopped) return;
          this.closeStream();
          this.retry(err, () => this.openStream());
        };
        stream.on('error', failed);
        stream.on('end', () => failed(new Error('watch stream ended')));
        stream.write({
          create_request: {
            ...this.rpc.etcdRange(this.prefix),
            start_revision: start,
            progress_notify: true,
          },
        });
      },
      (err) => {
        if (!this.stopped) this.retry(err, () => this.openStream());
      },
    );
  }

  private onResponse(res: IWatchResponse, streamStart: number): void {
    if (res.canceled) {
      this.closeStream();
      if (Number(res.compact_revision) > 0) {
        this.rpc.logger.warn(
          `watch ${this.prefix}: etcd compacted past revision ${this.next}; reading the current state`,
        );
        this.resync();
      } else {
        this.retry(new Error(`etcd cancelled the watch: ${res.cancel_reason}`), () =>
          this.openStream(),
        );
      }
      return;
    }
    if (this.outage !== undefined) {
      this.rpc.logger.info(`watch ${this.prefix}: reconnected, resuming at revision ${this.next}`);
      this.outage = undefined;
    }
    this.backoffMs = INITIAL_BACKOFF_MS;
    if (res.created) return;
    if (res.events.length === 0) {
      // A progress notification: everything up to the header revision has been sent.
      this.next = Math.max(this.next!, Number(res.header.revision) + 1);
      return;
    }
    let last = 0;
    for (const ev of res.events) {
      const revision = Number(ev.kv.mod_revision);
      // Several events share a revision when one transaction changed several keys, so the
      // resume point moves only after the whole response, and duplicates are judged against
      // where this stream started.
      if (revision < streamStart) continue;
      const key = this.rpc.storeKey(ev.kv.key);
      if (key === undefined) continue;
      last = revision;
      // Typed as 'Put' | 'Delete' but decoded as the proto names 'PUT' | 'DELETE'.
      if (String(ev.type).toUpperCase() === 'DELETE') {
        this.known.delete(key);
        this.deliver({ type: 'delete', key, modRevision: revision });
      } else {
        this.known.add(key);
        this.deliver({
          type: 'put',
          key,
          value: this.rpc.decode(ev.kv),
          modRevision: revision,
          createRevision: Number(ev.kv.create_revision),
        });
      }
      if (this.stopped) return;
    }
    if (last > 0) this.next = Math.max(this.next!, last + 1);
  }

  /** History is gone: report the difference between what was delivered and what is there now. */
  private resync(): void {
    this.rpc.range(this.prefix, {}).then(
      ({ revision, kvs }) => {
        if (this.stopped) return;
        const now = new Set<string>();
        const from = this.next ?? 0;
        const puts = kvs
          .map((kv) => ({ kv, key: this.rpc.storeKey(kv.key) }))
          .filter((x): x is { kv: IKeyValue; key: string } => x.key !== undefined)
          .sort((a, b) => Number(a.kv.mod_revision) - Number(b.kv.mod_revision));
        for (const { kv, key } of puts) {
          now.add(key);
          if (Number(kv.mod_revision) < from) continue;
          this.deliver({
            type: 'put',
            key,
            value: this.rpc.decode(kv),
            modRevision: Number(kv.mod_revision),
            createRevision: Number(kv.create_revision),
          });
          if (this.stopped) return;
        }
        for (const key of [...this.known]) {
          if (now.has(key)) continue;
          this.deliver({ type: 'delete', key, modRevision: revision });
          if (this.stopped) return;
        }
        this.known.clear();
        for (const key of now) this.known.add(key);
        this.next = revision + 1;
        this.openStream();
      },
      (err) => {
        if (!this.stopped) this.retry(err, () => this.resync());
      },
    );
  }

  private deliver(event: WatchEvent): void {
    try {
      this.onEvent(event);
    } catch (err) {
      this.rpc.logger.warn(
        `watch ${this.prefix}: a listener failed on ${event.type} ${event.key}: ${(err as Error).message}`,
      );
    }
  }

  private retry(err: unknown, again: () => void): void {
    if (this.outage === undefined) {
      this.outage = (err as Error)?.message ?? String(err);
      this.rpc.logger.warn(`watch ${this.prefix}: ${this.outage}; reconnecting`);
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (!this.stopped) again();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }

  private closeStream(): void {
    const stream = this.stream;
    this.stream = undefined;
    if (!stream) return;
    // end() first: the library resets the whole connection when a stream that is still
    // writable errors, and cancel() on its own raises CANCELLED.
    stream.end();
    stream.cancel();
  }
}

// Elections on top of any MetadataStore, the way etcd's own election recipe works: each
// candidate writes a key under /elections/<name>/ attached to its lease, and the candidate whose
// key was created first leads. A leader's key disappears when it resigns or its lease ends, and
// the next oldest candidate takes over. Because only the store's primitives are used (leased
// keys, createRevision, snapshot-then-watch), the local and the etcd store share this code, so
// the single-node path is the cluster path.
import type { KafkaError } from '../protocol/errors.js';
import {
  type CampaignOptions,
  type ElectionLeader,
  electionPrefix,
  type Fence,
  FencedError,
  type Leadership,
  type Lease,
  LeaseExpiredError,
  type MetadataStore,
  type Snapshot,
  type WatchEvent,
} from './metadata-store.js';

interface Candidate {
  createRevision: number;
  value: unknown;
}

function oldest(candidates: Map<string, Candidate>): [string, Candidate] | undefined {
  let best: [string, Candidate] | undefined;
  for (const entry of candidates) {
    if (!best || entry[1].createRevision < best[1].createRevision) best = entry;
  }
  return best;
}

export async function campaign<T>(
  store: MetadataStore,
  election: string,
  value: T,
  lease: Lease,
  options: CampaignOptions = {},
): Promise<Leadership<T>> {
  const prefix = electionPrefix(election);
  options.signal?.throwIfAborted();
  if (lease.state !== 'alive') {
    throw new LeaseExpiredError(`lease ${lease.id} has ended; cannot campaign in '${election}'`);
  }
  const key = prefix + lease.id;
  // A plain put (not create-only): a campaign retried after a failure finds its own key from
  // the previous attempt and keeps its place in the queue, since a put keeps createRevision.
  await store.put(key, value, { lease });
  let snapshot: Snapshot<T>;
  try {
    snapshot = await store.snapshot<T>(prefix);
  } catch (err) {
    // Best effort: a candidate key nobody waits on would win and leave the election headless
    // for as long as the lease lives. If this fails too, a retry with the same lease reuses it.
    await store.delete(key).catch(() => {});
    throw err;
  }
  const candidates = new Map<string, Candidate>(
    snapshot.entries.map((e) => [e.key, { createRevision: e.createRevision, value: e.value }]),
  );
  const mine = candidates.get(key);
  if (!mine) {
    throw new LeaseExpiredError(`lease ${lease.id} ended while entering election '${election}'`);
  }
  const candidacy = new Candidacy<T>(store, election, key, value, mine.createRevision, lease);
  return candidacy.run(candidates, snapshot.revision + 1, options.signal);
}

class Candidacy<T> implements Leadership<T> {
  private state: 'campaigning' | 'leader' | 'ended' = 'campaigning';
  private readonly lostListeners = new Set<(error: KafkaError) => void>();
  private cleanups: (() => void)[] = [];
  private stopCampaigning: (() => void) | undefined;
  private rejectCampaign: ((error: unknown) => void) | undefined;

  constructor(
    private readonly store: MetadataStore,
    readonly election: string,
    private readonly key: string,
    readonly value: T,
    readonly epoch: number,
    readonly lease: Lease,
  ) {}

  get fence(): Fence {
    return { key: this.key, createRevision: this.epoch };
  }
  get isLeader(): boolean {
    return this.state === 'leader';
  }

  onLost(listener: (error: KafkaError) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  run(
    candidates: Map<string, Candidate>,
    fromRevision: number,
    signal: AbortSignal | undefined,
  ): Promise<Leadership<T>> {
    return new Promise<Leadership<T>>((resolve, reject) => {
      this.rejectCampaign = reject;
      const check = () => {
        if (this.state !== 'campaigning') return;
        if (!candidates.has(this.key)) {
          this.end(new LeaseExpiredError(`candidacy ${this.key} was deleted (lease ended?)`));
          return;
        }
        if (oldest(candidates)?.[0] === this.key) {
          this.state = 'leader';
          this.rejectCampaign = undefined;
          this.stopCampaigning?.();
          resolve(this);
        }
      };
      const onEvent = (e: WatchEvent<unknown>) => {
        if (e.type === 'put') {
          candidates.set(e.key, { createRevision: e.createRevision, value: e.value });
        } else {
          candidates.delete(e.key);
          if (e.key === this.key) {
            this.end(new LeaseExpiredError(`leadership key ${this.key} was deleted`));
            return;
          }
        }
        check();
      };
      this.cleanups.push(
        this.store.watch(electionPrefix(this.election), (e) => onEvent(e as WatchEvent<unknown>), {
          fromRevision,
        }),
      );
      this.cleanups.push(this.lease.onExpired((err) => this.end(err)));
      if (signal) {
        const onAbort = () => {
          this.withdraw().catch(() => {});
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        this.stopCampaigning = () => signal.removeEventListener('abort', onAbort);
      }
      check();
    });
  }

  async resign(): Promise<void> {
    await this.withdraw();
  }

  /** Stops acting at once, then deletes the key (which may fail if the store is down). */
  private async withdraw(): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.stopWatching();
    this.rejectCampaign = undefined;
    if (this.lease.state !== 'alive') return;
    await this.store.delete(this.key, undefined, { fence: this.fence }).catch((err) => {
      // Someone else already removed the key: nothing left to withdraw.
      if (!(err instanceof FencedError)) throw err;
    });
  }

  private end(error: KafkaError): void {
    if (this.state === 'ended') return;
    const wasLeader = this.state === 'leader';
    this.state = 'ended';
    this.stopWatching();
    if (!wasLeader) {
      this.rejectCampaign?.(error);
      this.rejectCampaign = undefined;
      return;
    }
    for (const l of this.lostListeners) l(error);
    this.lostListeners.clear();
  }

  private stopWatching(): void {
    for (const c of this.cleanups.splice(0)) c();
    this.stopCampaigning?.();
    this.stopCampaigning = undefined;
  }
}

/** The oldest candidate of the election, read once. */
export async function electionLeader<T>(
  store: MetadataStore,
  election: string,
): Promise<ElectionLeader<T> | undefined> {
  const { entries } = await store.snapshot<T>(electionPrefix(election));
  let best: (typeof entries)[number] | undefined;
  for (const e of entries) if (!best || e.createRevision < best.createRevision) best = e;
  return best && { value: best.value, epoch: best.createRevision };
}

/**
 * Follows the leader of an election: calls back with the leader once the first read succeeds,
 * then on every change of leader or of its value. Retries the first read while the store is
 * unreachable (the watch itself reconnects on its own).
 */
export function observeLeader<T>(
  store: MetadataStore,
  election: string,
  onChange: (leader: ElectionLeader<T> | undefined) => void,
  retryMs = 500,
): () => void {
  const prefix = electionPrefix(election);
  const candidates = new Map<string, Candidate>();
  let stopped = false;
  let unwatch: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let last: string | undefined;
  const report = () => {
    const top = oldest(candidates);
    const leader = top && { value: top[1].value as T, epoch: top[1].createRevision };
    const fingerprint = leader ? JSON.stringify([leader.epoch, leader.value]) : 'none';
    if (fingerprint === last) return;
    last = fingerprint;
    onChange(leader);
  };
  const start = () => {
    store.snapshot(prefix).then(
      (snapshot) => {
        if (stopped) return;
        for (const e of snapshot.entries) {
          candidates.set(e.key, { createRevision: e.createRevision, value: e.value });
        }
        report();
        unwatch = store.watch(
          prefix,
          (e) => {
            if (e.type === 'put') {
              candidates.set(e.key, { createRevision: e.createRevision, value: e.value });
            } else candidates.delete(e.key);
            report();
          },
          { fromRevision: snapshot.revision + 1 },
        );
      },
      () => {
        if (stopped) return;
        timer = setTimeout(start, retryMs);
      },
    );
  };
  start();
  return () => {
    stopped = true;
    clearTimeout(timer);
    unwatch?.();
  };
}

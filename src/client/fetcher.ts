// The consumer's fetch machinery: per-partition positions, one Fetch in flight per leader (on
// its own connection lane), decoded answers buffered per partition, and position resets
// (autoOffsetReset, OFFSET_OUT_OF_RANGE). It knows nothing of groups: the consumer tells it
// which partitions are assigned and where to start.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import {
  FetchApi,
  type FetchRequestFetchTopic,
  type FetchResponse,
} from '../protocol/messages/fetch.js';
import { ApiKey } from '../protocol/messages/index.js';
import { ZERO_UUID } from '../protocol/primitives/uuid.js';
import { type Cluster, isStaleMetadataError } from './cluster.js';
import { brokerError, isRetriable } from './errors.js';
import { FetchedRecords } from './fetched-records.js';
import { listOffsets, OffsetSpec } from './list-offsets.js';
import { backoffMs } from './retry.js';

export type AutoOffsetReset = 'earliest' | 'latest' | 'none';

export interface FetcherOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  maxPartitionBytes: number;
  /**
   * Prefetch budget: a partition is fetched again, while the application still reads earlier
   * answers, as long as its unconsumed buffered bytes are below this. All partitions together
   * stop prefetching at maxBytes buffered.
   */
  maxBufferedBytes: number;
  readCommitted: boolean;
  /** Verify each record batch's CRC32C before handing its records out. */
  checkCrcs: boolean;
  autoOffsetReset: AutoOffsetReset;
  requestTimeoutMs: number;
}

export class PartitionFetchState {
  /** Next offset to hand to the application; undefined until known (committed or reset). */
  position: number | undefined;
  /** Next offset to fetch (ahead of position while records are buffered). */
  fetchOffset = 0;
  paused = false;
  /** Decoded answers not yet consumed, oldest first. */
  readonly buffered: FetchedRecords[] = [];
  /** Sum of `buffered`'s sizes (the part of the prefetch budget this partition uses). */
  bufferedBytes = 0;
  /** Bumped by seek and reset so answers to older fetches are dropped. */
  generation = 0;
  fetching = false;
  resetting = false;
  /** A prefetch got OFFSET_OUT_OF_RANGE: fetch again (and act on it) once `buffered` is read. */
  waitForDrain = false;
  retryAt = 0;
  failures = 0;
  maxBytes: number;
  highWatermark = -1;
  lastStableOffset = -1;
  logStartOffset = -1;

  constructor(
    readonly topic: string,
    readonly partition: number,
    maxBytes: number,
  ) {
    this.maxBytes = maxBytes;
  }

  /** Moves to `offset`, dropping anything buffered or in flight. */
  seek(offset: number | undefined): void {
    this.position = offset;
    if (offset !== undefined) this.fetchOffset = offset;
    this.buffered.length = 0;
    this.bufferedBytes = 0;
    this.waitForDrain = false;
    this.generation++;
  }

  /** Drops the oldest answer once the application has read it all. */
  shiftBuffered(): FetchedRecords | undefined {
    const done = this.buffered.shift();
    if (done) this.bufferedBytes -= done.sizeInBytes;
    return done;
  }

  /**
   * Stops fetching until resumed. What is buffered or in flight is dropped (the position
   * stays), so a paused partition holds no memory and resumes from where the application is.
   */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    if (this.buffered.length > 0 || this.fetching) this.seek(this.position);
  }
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class Fetcher {
  readonly partitions = new Map<string, PartitionFetchState>();
  /** Partitions with buffered records, in the order they will be served. */
  readonly ready: PartitionFetchState[] = [];
  private readonly fetchingNodes = new Set<number>();
  private refreshing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** An error the application must see (OFFSET_OUT_OF_RANGE with 'none', authorization...). */
  fatal: Error | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: FetcherOptions,
    /** Called whenever records arrive or the state changes, to wake a waiting consumer. */
    private readonly notify: () => void,
  ) {}

  /** True while a Fetch is out (its answer arrives only through the event loop). */
  get fetchInFlight(): boolean {
    return this.fetchingNodes.size > 0;
  }

  /** Replaces the assignment; kept partitions keep their position. */
  assign(list: readonly { topic: string; partition: number }[]): void {
    const keep = new Set(list.map((tp) => tpKey(tp.topic, tp.partition)));
    for (const [k, s] of this.partitions) {
      if (!keep.has(k)) {
        s.seek(undefined);
        this.partitions.delete(k);
      }
    }
    for (const tp of list) {
      const k = tpKey(tp.topic, tp.partition);
      if (!this.partitions.has(k)) {
        this.partitions.set(
          k,
          new PartitionFetchState(tp.topic, tp.partition, this.options.maxPartitionBytes),
        );
      }
    }
    this.pruneReady();
  }

  /** The fetch state of an assigned partition. */
  get(topic: string, partition: number): PartitionFetchState | undefined {
    return this.partitions.get(tpKey(topic, partition));
  }

  /** Drops partitions with nothing buffered (or no longer assigned) from the ready list. */
  pruneReady(): void {
    for (let i = this.ready.length - 1; i >= 0; i--) {
      const s = this.ready[i]!;
      if (s.buffered.length === 0 || this.partitions.get(tpKey(s.topic, s.partition)) !== s) {
        this.ready.splice(i, 1);
      }
    }
  }

  /** Starts fetches and resets that can go now; cheap to call often. */
  pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    const resets: PartitionFetchState[] = [];
    const byLeader = new Map<number, PartitionFetchState[]>();
    let needMetadata = false;
    let nextAt = Number.POSITIVE_INFINITY;
    let total = 0;
    for (const s of this.partitions.values()) total += s.bufferedBytes;
    for (const s of this.partitions.values()) {
      if (s.paused || s.fetching || s.resetting) continue;
      if (s.retryAt > now) {
        nextAt = Math.min(nextAt, s.retryAt);
        continue;
      }
      if (s.position === undefined) {
        resets.push(s);
        continue;
      }
      if (s.waitForDrain) {
        if (s.buffered.length > 0) continue;
        s.waitForDrain = false;
      }
      // Prefetch: fetch again while the application reads what is buffered, within the budget.
      if (s.buffered.length > 0) {
        if (s.bufferedBytes >= this.options.maxBufferedBytes) continue;
        if (total >= this.options.maxBytes) continue;
      }
      const leader = this.cluster.topic(s.topic)?.partitions[s.partition]?.leader ?? -1;
      if (leader < 0) {
        needMetadata = true;
        continue;
      }
      if (this.fetchingNodes.has(leader)) continue;
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(s);
    }
    if (resets.length > 0) this.reset(resets);
    for (const [leader, list] of byLeader) this.fetch(leader, list);
    if (needMetadata) this.refreshMetadata();
    if (nextAt !== Number.POSITIVE_INFINITY) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, nextAt - now);
    }
  }

  /** No more fetches, resets or metadata refreshes. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private fetch(leader: number, list: PartitionFetchState[]): void {
    this.fetchingNodes.add(leader);
    const sent = list.map((s) => ({ s, offset: s.fetchOffset, generation: s.generation }));
    for (const s of list) s.fetching = true;
    const run = async () => {
      const connection = await this.cluster.connection(leader, 'fetch');
      let version = connection.version(ApiKey.Fetch);
      const topics = new Map<string, FetchRequestFetchTopic>();
      for (const { s, offset } of sent) {
        const info = this.cluster.topic(s.topic);
        const topicId = info?.topicId ?? ZERO_UUID;
        if (topicId === ZERO_UUID) version = Math.min(version, 12);
        let t = topics.get(s.topic);
        if (!t) topics.set(s.topic, (t = { topic: s.topic, topicId, partitions: [] }));
        t.partitions.push({
          partition: s.partition,
          currentLeaderEpoch: info?.partitions[s.partition]?.leaderEpoch ?? -1,
          fetchOffset: BigInt(offset),
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: s.maxBytes,
        });
      }
      return connection.send(
        FetchApi,
        {
          replicaId: -1,
          maxWaitMs: this.options.maxWaitMs,
          minBytes: this.options.minBytes,
          maxBytes: this.options.maxBytes,
          isolationLevel: this.options.readCommitted ? 1 : 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [...topics.values()],
          forgottenTopicsData: [],
          rackId: '',
        },
        { version, timeoutMs: this.options.requestTimeoutMs + this.options.maxWaitMs },
      );
    };
    run()
      .then(
        (response) => this.onResponse(sent, response),
        (err) => {
          if (this.stopped) return;
          for (const { s } of sent) this.backOff(s, err);
          if (isStaleMetadataError(err)) this.refreshMetadata();
        },
      )
      .finally(() => {
        for (const { s } of sent) s.fetching = false;
        this.fetchingNodes.delete(leader);
        this.notify();
        this.pump();
      });
  }

  private onResponse(
    sent: { s: PartitionFetchState; offset: number; generation: number }[],
    response: FetchResponse,
  ): void {
    if (response.errorCode !== undefined && response.errorCode !== ErrorCode.NONE) {
      const err = brokerError(response.errorCode, 'Fetch');
      for (const { s } of sent) this.backOff(s, err);
      return;
    }
    const byKey = new Map(sent.map((e) => [tpKey(e.s.topic, e.s.partition), e]));
    for (const t of response.responses) {
      const topic = t.topic || (t.topicId ? this.cluster.topicName(t.topicId) : undefined);
      if (topic === undefined) continue;
      for (const p of t.partitions) {
        const e = byKey.get(tpKey(topic, p.partitionIndex));
        if (!e) continue;
        const s = e.s;
        if (
          s.generation !== e.generation ||
          this.partitions.get(tpKey(topic, p.partitionIndex)) !== s
        ) {
          continue; // seeked, reset, paused or unassigned while the fetch was out
        }
        s.highWatermark = Number(p.highWatermark);
        s.lastStableOffset = Number(p.lastStableOffset ?? -1n);
        s.logStartOffset = Number(p.logStartOffset ?? -1n);
        if (p.errorCode !== ErrorCode.NONE) {
          this.onPartitionError(s, p.errorCode);
          continue;
        }
        s.failures = 0;
        const aborted =
          p.abortedTransactions?.map((a) => ({
            producerId: Number(a.producerId),
            firstOffset: Number(a.firstOffset),
          })) ?? null;
        const records = new FetchedRecords(p.records, e.offset, {
          readCommitted: this.options.readCommitted,
          abortedTransactions: aborted,
          checkCrcs: this.options.checkCrcs,
          topic,
          partition: s.partition,
        });
        if (records.truncated) {
          // One batch is larger than the partition's limit (only brokers before KIP-74 do this).
          s.maxBytes = Math.min(s.maxBytes * 2, Math.max(this.options.maxBytes, s.maxBytes));
          this.cluster.logger.warn(
            `${topic}/${s.partition}: a record batch at offset ${e.offset} exceeds maxPartitionBytes; fetching with ${s.maxBytes}`,
          );
          continue;
        }
        s.fetchOffset = records.nextFetchOffset;
        s.bufferedBytes += records.sizeInBytes;
        if (s.buffered.push(records) === 1) this.ready.push(s);
      }
    }
  }

  private onPartitionError(s: PartitionFetchState, code: number): void {
    const where = `${s.topic}/${s.partition}`;
    if (code === ErrorCode.OFFSET_OUT_OF_RANGE) {
      if (s.buffered.length > 0) {
        // A prefetch ahead of records not yet read: those are handed out first, then the
        // partition is fetched at the same offset again and a lasting error acted on.
        s.waitForDrain = true;
        return;
      }
      if (this.options.autoOffsetReset === 'none') {
        this.fatal = brokerError(
          code,
          `fetching ${where} at offset ${s.fetchOffset} (autoOffsetReset is 'none')`,
        );
        return;
      }
      this.cluster.logger.info(
        `${where}: offset ${s.fetchOffset} out of range, resetting to ${this.options.autoOffsetReset}`,
      );
      s.seek(undefined);
      return;
    }
    const err = brokerError(code, `fetching ${where}`);
    if (isRetriable(err)) {
      if (isStaleMetadataError(err)) {
        this.cluster.invalidate(s.topic);
        this.refreshMetadata();
      }
      this.backOff(s, err);
      return;
    }
    this.fatal = err;
  }

  private backOff(s: PartitionFetchState, err: unknown): void {
    if (!isRetriable(err)) {
      this.fatal = err instanceof Error ? err : new Error(String(err));
      return;
    }
    s.retryAt = Date.now() + backoffMs(this.cluster.retry, Math.min(s.failures++, 8));
    this.cluster.logger.debug(`${s.topic}/${s.partition}: ${(err as Error).message}; retrying`);
  }

  /** Finds positions for partitions without one, per autoOffsetReset. */
  private reset(list: PartitionFetchState[]): void {
    const policy = this.options.autoOffsetReset;
    if (policy === 'none') {
      const s = list[0]!;
      this.fatal = new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `${s.topic}/${s.partition} has no committed offset and autoOffsetReset is 'none'`,
      );
      return;
    }
    const timestamp = policy === 'earliest' ? OffsetSpec.earliest : OffsetSpec.latest;
    const sent = list.map((s) => ({ s, generation: s.generation }));
    for (const s of list) s.resetting = true;
    listOffsets(
      this.cluster,
      list.map((s) => ({ topic: s.topic, partition: s.partition, timestamp })),
      this.options.readCommitted ? 1 : 0,
    )
      .then(
        (answers) => {
          answers.forEach((a, i) => {
            const { s, generation } = sent[i]!;
            if (s.generation === generation && s.position === undefined) s.seek(a.offset);
          });
        },
        (err) => {
          for (const { s } of sent) this.backOff(s, err);
        },
      )
      .finally(() => {
        for (const { s } of sent) s.resetting = false;
        this.notify();
        this.pump();
      });
  }

  private refreshMetadata(): void {
    if (this.stopped) return;
    this.refreshing ??= this.cluster
      .refreshMetadata()
      .catch((err) =>
        this.cluster.logger.warn(`metadata refresh failed: ${(err as Error).message}`),
      )
      .finally(() => {
        this.refreshing = undefined;
        this.pump();
      });
  }
}

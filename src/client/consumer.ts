// The consumer: manual assignment (assign) or group membership (subscribe), positions you can
// seek, pause and resume, and two ways to read: `for await (const m of consumer)` or
// `consumer.run({ eachMessage })`. A message counts as consumed once the next one is asked
// for, which is when auto-commit may commit it (at-least-once, as in Kafka's Java consumer).
import { Cluster, type ClusterOptions } from './cluster.js';
import type {
  ConsumerMessage,
  ConsumerOptions,
  EachBatchPayload,
  PartitionAssignment,
  RunOptions,
} from './consumer-types.js';
import { ClientClosedError, DeserializationError } from './errors.js';
import type { FetchedRecord } from './fetched-records.js';
import { Fetcher, type FetcherOptions, type PartitionFetchState, tpKey } from './fetcher.js';
import { GroupMember, type TopicPartition } from './group.js';
import { listOffsets, OffsetSpec } from './list-offsets.js';
import { resolveRetry } from './retry.js';
import type { Deserializer } from './serializers.js';

export type {
  ConsumerMessage,
  ConsumerOptions,
  EachBatchPayload,
  EachMessagePayload,
  PartitionAssignment,
  RunOptions,
} from './consumer-types.js';
export type { TopicPartition } from './group.js';

/**
 * While a Fetch is out, the event loop is let turn after this long of handing out buffered
 * records (at the next record batch boundary). Handing out buffered records never waits on
 * I/O, so without turns the socket is not read while the application works: Kafka then sends
 * little of its answer (its socket send buffer is 100 KiB, and the client's kernel holds back
 * the acknowledgements that would free it until the data is read), and fetching and consuming
 * alternate instead of overlapping. A turn costs about 3 µs; a 1 KiB record about 1 µs.
 */
const TURN_INTERVAL_MS = 0.25;
/** Messages handed out one at a time between two looks at the clock (see turnDue). */
const MESSAGES_PER_CLOCK_LOOK = 64;

/** The fetched record becomes the message: its key and value replaced by the deserialized ones. */
function withPayload<K, V>(r: FetchedRecord, key: K, value: V): ConsumerMessage<K, V> {
  const m = r as unknown as ConsumerMessage<K, V>;
  m.key = key;
  m.value = value;
  return m;
}

export class Consumer<K = Buffer | null, V = Buffer | null>
  implements AsyncIterable<ConsumerMessage<K, V>>
{
  private readonly cluster: Cluster;
  private readonly fetcher: Fetcher;
  private readonly fetchOptions: FetcherOptions;
  private readonly group: GroupMember | undefined;
  private readonly keyDeserializer: Deserializer<K>;
  private readonly valueDeserializer: Deserializer<V>;
  private readonly readCommitted: boolean;
  private wakeUp: (() => void) | undefined;
  private connecting: Promise<void> | undefined;
  private running = false;
  private stopped = false;
  private closed = false;
  /** Partition of the message handed out last (its offset is committed once the next is asked). */
  private current: PartitionFetchState | undefined;
  /** performance.now() at the last turn of the event loop (see TURN_INTERVAL_MS). */
  private lastTurnAt = 0;
  /** Messages handed out one at a time since the clock was last looked at. */
  private sinceClockLook = 0;
  private readonly turnDue = (): boolean =>
    this.fetcher.fetchInFlight && performance.now() - this.lastTurnAt >= TURN_INTERVAL_MS;
  /** No deserializers were given: fetched keys and values are the messages' as they are. */
  private readonly identityDeserializers: boolean;

  /** Use `samsa.consumer(options)`. */
  constructor(cluster: Omit<ClusterOptions, 'retry'>, options: ConsumerOptions<K, V> = {}) {
    const autoOffsetReset = options.autoOffsetReset ?? 'latest';
    if (!['earliest', 'latest', 'none'].includes(autoOffsetReset)) {
      throw new TypeError(`autoOffsetReset must be 'earliest', 'latest' or 'none'`);
    }
    this.readCommitted = options.isolationLevel === 'read_committed';
    this.cluster = new Cluster({ ...cluster, retry: resolveRetry(options.retry) });
    const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.fetchOptions = {
      maxWaitMs: options.maxWaitMs ?? 500,
      minBytes: options.minBytes ?? 1,
      maxBytes: options.maxBytes ?? 50 * 1024 * 1024,
      maxPartitionBytes: options.maxPartitionBytes ?? 1024 * 1024,
      maxBufferedBytes: options.maxBufferedBytes ?? 3 * (options.maxPartitionBytes ?? 1024 * 1024),
      readCommitted: this.readCommitted,
      checkCrcs: options.checkCrcs ?? true,
      autoOffsetReset,
      requestTimeoutMs,
    };
    this.fetcher = new Fetcher(this.cluster, this.fetchOptions, () => this.signal());
    if (options.groupId !== undefined) {
      this.group = new GroupMember(this.cluster, options.groupId, options, {
        positions: () => this.consumedPositions(),
        assigned: (tps, committed) => this.onAssigned(tps, committed),
        revoked: (tps) => this.onRevoked(tps),
        wake: () => this.signal(),
      });
    }
    this.identityDeserializers = !options.keyDeserializer && !options.valueDeserializer;
    this.keyDeserializer = options.keyDeserializer ?? ((b) => b as K);
    this.valueDeserializer = options.valueDeserializer ?? ((b) => b as V);
  }

  /** Connects to the cluster; the first read does this itself when needed. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new ClientClosedError('the consumer'));
    this.connecting ??= this.cluster.connect();
    this.connecting.catch(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Reads exactly these partitions (no group membership); replaces any earlier assignment. */
  async assign(partitions: readonly PartitionAssignment[]): Promise<void> {
    this.checkOpen();
    if (this.group?.subscribed)
      throw new TypeError('assign: this consumer already subscribed to topics');
    await this.connect();
    await this.cluster.topicMetadata([...new Set(partitions.map((p) => p.topic))]);
    this.fetcher.assign(partitions);
    const withoutOffset = partitions.filter((p) => p.offset === undefined);
    const committed =
      this.group && withoutOffset.length > 0
        ? await this.group.fetchCommitted(withoutOffset)
        : new Map();
    for (const p of partitions) {
      if (p.offset !== undefined)
        await this.seek({ topic: p.topic, partition: p.partition, offset: p.offset });
      else {
        const c = committed.get(tpKey(p.topic, p.partition));
        if (c !== undefined) this.fetcher.get(p.topic, p.partition)!.seek(c);
      }
    }
    this.signal();
  }

  /** Joins the consumer group (groupId) and reads what the group assigns from these topics. */
  async subscribe(options: { topics: string[]; fromBeginning?: boolean }): Promise<void> {
    this.checkOpen();
    if (!this.group) throw new TypeError('subscribe: set groupId in the consumer options first');
    if (options.fromBeginning) this.fetchOptions.autoOffsetReset = 'earliest';
    await this.connect();
    this.group.subscribe(options.topics);
  }

  /** The partitions assigned now. */
  assignment(): TopicPartition[] {
    return [...this.fetcher.partitions.values()].map((s) => ({
      topic: s.topic,
      partition: s.partition,
    }));
  }

  /** Next offset to be read from a partition, if known. */
  position(tp: TopicPartition): number | undefined {
    return this.fetcher.get(tp.topic, tp.partition)?.position;
  }

  /** The high watermark seen in the last fetch of a partition (-1 before any). */
  highWatermark(tp: TopicPartition): number {
    return this.fetcher.get(tp.topic, tp.partition)?.highWatermark ?? -1;
  }

  /** Moves a partition's position: an offset, 'earliest' or 'latest'. */
  async seek(target: TopicPartition & { offset: number | 'earliest' | 'latest' }): Promise<void> {
    const s = this.fetcher.get(target.topic, target.partition);
    if (!s)
      throw new TypeError(
        `seek: ${target.topic}/${target.partition} is not assigned to this consumer`,
      );
    let offset = target.offset;
    if (typeof offset === 'string') {
      const [a] = await listOffsets(
        this.cluster,
        [
          {
            topic: s.topic,
            partition: s.partition,
            timestamp: offset === 'earliest' ? OffsetSpec.earliest : OffsetSpec.latest,
          },
        ],
        this.readCommitted ? 1 : 0,
      );
      offset = a!.offset;
    }
    if (!Number.isInteger(offset) || offset < 0) throw new TypeError(`seek: bad offset ${offset}`);
    s.seek(offset);
    this.fetcher.pruneReady();
    this.signal();
  }

  /** Stops fetching these partitions until resume(); what was prefetched for them is dropped. */
  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.fetcher.get(tp.topic, tp.partition)?.pause();
    this.fetcher.pruneReady();
  }

  /** Fetches paused partitions again. */
  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const s = this.fetcher.get(tp.topic, tp.partition);
      if (s) s.paused = false;
    }
    this.signal();
  }

  /** The partitions paused now. */
  paused(): TopicPartition[] {
    return [...this.fetcher.partitions.values()]
      .filter((s) => s.paused)
      .map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /**
   * Commits offsets for the group: the ones given (the next offset to read, i.e. last processed
   * + 1), or else the position of every assigned partition.
   */
  async commitOffsets(
    offsets?: readonly (TopicPartition & { offset: number; metadata?: string | null })[],
  ): Promise<void> {
    if (!this.group)
      throw new TypeError('commitOffsets: set groupId in the consumer options first');
    await this.group.commit(offsets ?? this.consumedPositions());
  }

  /** The group's committed offsets for these partitions (-1 where none). */
  async committed(
    partitions: readonly TopicPartition[],
  ): Promise<(TopicPartition & { offset: number })[]> {
    if (!this.group) throw new TypeError('committed: set groupId in the consumer options first');
    const got = await this.group.fetchCommitted(partitions);
    return partitions.map((tp) => ({
      ...tp,
      offset: got.get(tpKey(tp.topic, tp.partition)) ?? -1,
    }));
  }

  /** Reads messages one at a time until stop() or close(). */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage<K, V>> {
    return {
      next: async () => {
        const m = await this.nextMessage();
        return m === undefined ? { value: undefined, done: true } : { value: m, done: false };
      },
      return: async () => {
        this.stop();
        return { value: undefined, done: true };
      },
    };
  }

  /** Calls eachMessage (or eachBatch) for every message until stop() or close(); rejects on a fatal error. */
  async run(options: RunOptions<K, V>): Promise<void> {
    if (!options.eachMessage && !options.eachBatch)
      throw new TypeError('run: give eachMessage or eachBatch');
    if (this.running) throw new TypeError('run: the consumer is already running');
    this.running = true;
    this.stopped = false;
    try {
      for (;;) {
        if (options.eachBatch) {
          const batch = await this.nextBatch();
          if (!batch) return;
          await options.eachBatch({ batch });
          continue;
        }
        const message = await this.nextMessage();
        if (!message) return;
        const tp = { topic: message.topic, partition: message.partition };
        await options.eachMessage!({ ...tp, message, pause: () => this.pause([tp]) });
      }
    } finally {
      this.running = false;
    }
  }

  /** Ends run() and iteration; the consumer can read again afterwards. */
  stop(): void {
    this.stopped = true;
    this.signal();
  }

  /** Commits (auto-commit), leaves the group and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    this.fetcher.stop();
    try {
      await this.group?.leave();
    } finally {
      await this.cluster.close();
    }
  }

  private async nextMessage(): Promise<ConsumerMessage<K, V> | undefined> {
    for (;;) {
      const s = await this.waitForRecords(true);
      if (!s) return undefined;
      const r = s.buffered[0]!.next();
      if (!r) {
        this.exhausted(s);
        continue;
      }
      this.current = s;
      let key: K;
      let value: V;
      try {
        key = this.keyDeserializer(r.key, s.topic);
        value = this.valueDeserializer(r.value, s.topic);
      } catch (err) {
        // Stay on the record: seek past it to go on.
        s.seek(r.offset);
        this.fetcher.pruneReady();
        throw new DeserializationError(s.topic, s.partition, r.offset, { cause: err });
      }
      s.position = r.offset + 1;
      return withPayload<K, V>(r, key, value);
    }
  }

  private async nextBatch(): Promise<EachBatchPayload<K, V>['batch'] | undefined> {
    for (;;) {
      const s = await this.waitForRecords();
      if (!s) return undefined;
      // The fetched records become the messages in place (see withPayload): one array, no copy.
      const messages = [] as FetchedRecord[] as ConsumerMessage<K, V>[];
      const fetched = s.buffered[0]!;
      fetched.takeAll(messages as FetchedRecord[], this.turnDue);
      if (!this.identityDeserializers) {
        for (let i = 0; i < messages.length; i++) {
          const r = messages[i] as FetchedRecord;
          try {
            withPayload<K, V>(
              r,
              this.keyDeserializer(r.key, s.topic),
              this.valueDeserializer(r.value, s.topic),
            );
          } catch (err) {
            s.seek(messages[0]!.offset);
            this.fetcher.pruneReady();
            throw new DeserializationError(s.topic, s.partition, r.offset, { cause: err });
          }
        }
      }
      // Stopped early at a corrupt batch: what came before it is handed out, the rest stays.
      if (fetched.isDone) this.exhausted(s);
      if (messages.length === 0) continue;
      this.current = s;
      s.position = messages[messages.length - 1]!.offset + 1;
      return { topic: s.topic, partition: s.partition, highWatermark: s.highWatermark, messages };
    }
  }

  /** The partition whose records are served next, waiting for a fetch when none has any. */
  private async waitForRecords(oneMessage = false): Promise<PartitionFetchState | undefined> {
    if (this.closed) throw new ClientClosedError('the consumer');
    await this.connect();
    this.group?.maybeAutoCommit();
    if (!oneMessage || ++this.sinceClockLook >= MESSAGES_PER_CLOCK_LOOK) {
      this.sinceClockLook = 0;
      if (this.turnDue()) {
        // Let the socket be read (see TURN_INTERVAL_MS); the state is looked at afresh below.
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.lastTurnAt = performance.now();
      }
    }
    for (;;) {
      if (this.stopped) return undefined;
      const fatal = this.fetcher.fatal ?? this.group?.fatal;
      if (fatal) {
        this.fetcher.fatal = undefined;
        if (this.group) this.group.fatal = undefined;
        throw fatal;
      }
      const ready = this.fetcher.ready;
      while (ready.length > 0) {
        const s = ready[0]!;
        if (
          s.buffered.length > 0 &&
          !s.paused &&
          this.fetcher.partitions.get(tpKey(s.topic, s.partition)) === s
        )
          return s;
        ready.shift();
        if (s.paused && s.buffered.length > 0) s.seek(s.position);
      }
      this.fetcher.pump();
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
      });
      this.lastTurnAt = performance.now();
    }
  }

  /** The partition's oldest answer is consumed: move to the next partition (round robin). */
  private exhausted(s: PartitionFetchState): void {
    const done = s.shiftBuffered()!;
    if (s.buffered.length === 0 && s.position !== undefined)
      s.position = Math.max(s.position, done.nextFetchOffset);
    const i = this.fetcher.ready.indexOf(s);
    if (i >= 0) this.fetcher.ready.splice(i, 1);
    if (s.buffered.length > 0) this.fetcher.ready.push(s);
    this.fetcher.pump();
  }

  private signal(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  /** Positions to commit: every assigned partition with a known position. */
  private consumedPositions(): (TopicPartition & { offset: number })[] {
    const out: (TopicPartition & { offset: number })[] = [];
    for (const s of this.fetcher.partitions.values()) {
      if (s.position !== undefined)
        out.push({ topic: s.topic, partition: s.partition, offset: s.position });
    }
    return out;
  }

  private async onAssigned(tps: TopicPartition[], committed: Map<string, number>): Promise<void> {
    await this.cluster.topicMetadata([...new Set(tps.map((t) => t.topic))]);
    const keep = this.assignment().filter((tp) => this.fetcher.get(tp.topic, tp.partition));
    this.fetcher.assign([...keep, ...tps]);
    for (const tp of tps) {
      const c = committed.get(tpKey(tp.topic, tp.partition));
      const s = this.fetcher.get(tp.topic, tp.partition)!;
      if (c !== undefined && c >= 0) s.seek(c);
    }
    this.signal();
  }

  private onRevoked(tps: TopicPartition[]): void {
    const gone = new Set(tps.map((t) => tpKey(t.topic, t.partition)));
    this.fetcher.assign(this.assignment().filter((tp) => !gone.has(tpKey(tp.topic, tp.partition))));
    if (this.current && gone.has(tpKey(this.current.topic, this.current.partition)))
      this.current = undefined;
  }

  private checkOpen(): void {
    if (this.closed) throw new ClientClosedError('the consumer');
  }
}

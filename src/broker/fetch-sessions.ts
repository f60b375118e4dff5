// Incremental fetch sessions (KIP-227), as Kafka's FetchManager keeps them.
//
// A fetch names a session id and epoch:
//   id 0, epoch -1 ......... sessionless full fetch
//   id 0, epoch 0 .......... full fetch that asks for a new session (the answer carries its id,
//                            or 0 when the cache has no room); the next epoch is 1
//   id N, epoch -1 or 0 .... closes session N, then as above
//   id N, epoch E > 0 ...... incremental: the request lists only partitions whose fetch state
//                            changed (and ones to forget); the others keep their cached state.
//                            Unknown N: FETCH_SESSION_ID_NOT_FOUND; E not the session's next
//                            epoch: INVALID_FETCH_SESSION_EPOCH; a session made with topic ids
//                            used without them (or the reverse): FETCH_SESSION_TOPIC_ID_ERROR.
// An incremental answer holds only partitions with something new: records, a changed high
// watermark or log start offset, an error, a diverging epoch. Partitions that returned records
// move to the end of the session's order, so a partition with a steady stream cannot starve
// the others of the response's max bytes.
//
// The cache is bounded (Kafka's max.incremental.fetch.session.cache.slots, default 1000). When
// full, a new session evicts the least recently used one if it has been idle for evictionMs
// (Kafka: 2 minutes), else the smallest session older than evictionMs if the new one is bigger
// or comes from a follower; otherwise the fetch gets no session (id 0) and stays sessionless.

export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
const INT32_MAX = 0x7fffffff;

const FETCH_SESSION_ID_NOT_FOUND = 70;
const INVALID_FETCH_SESSION_EPOCH = 71;
const FETCH_SESSION_TOPIC_ID_ERROR = 106;

/** One partition's fetch state, as a request gives it and a session caches it. */
export interface FetchPartitionState {
  /** Topic name (v<13 requests); resolved from the id for v13+, undefined if unknown. */
  topic: string | undefined;
  /** Topic id (v13+), the zero uuid before. */
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  logStartOffset: number;
}

/** What the session needs to know of a partition's answer. */
export interface PartitionAnswer {
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  recordsSize: number;
  hasDivergingEpoch: boolean;
}

interface CachedPartition extends FetchPartitionState {
  highWatermark: number;
  localLogStartOffset: number;
}

export class FetchSession {
  epoch = 1;
  lastUsedMs: number;
  /** In fetch order (Map keeps insertion order; re-inserting moves to the end). */
  readonly partitions = new Map<string, CachedPartition>();

  constructor(
    readonly id: number,
    readonly usesTopicIds: boolean,
    readonly privileged: boolean,
    readonly creationMs: number,
  ) {
    this.lastUsedMs = creationMs;
  }
}

export type FetchContext =
  | { kind: 'error'; errorCode: number; sessionId: number }
  | { kind: 'sessionless'; partitions: FetchPartitionState[] }
  | {
      kind: 'full';
      partitions: FetchPartitionState[];
      usesTopicIds: boolean;
      privileged: boolean;
    }
  | { kind: 'incremental'; session: FetchSession; expectedEpoch: number };

export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === INT32_MAX ? 1 : epoch + 1;
}

export function partitionKey(
  usesTopicIds: boolean,
  topic: string | undefined,
  topicId: string,
  partition: number,
): string {
  return `${usesTopicIds ? topicId : topic}\0${partition}`;
}

export interface FetchSessionCacheOptions {
  maxSessions?: number;
  evictionMs?: number;
  clock?: () => number;
  random?: () => number;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private readonly maxSessions: number;
  private readonly evictionMs: number;
  private readonly clock: () => number;
  private readonly random: () => number;

  constructor(options: FetchSessionCacheOptions = {}) {
    this.maxSessions = options.maxSessions ?? 1000;
    this.evictionMs = options.evictionMs ?? 120_000;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  /** Kafka's FetchManager.newContext. `forgotten` are partition keys (partitionKey()). */
  newContext(options: {
    version: number;
    sessionId: number;
    epoch: number;
    partitions: FetchPartitionState[];
    forgotten: string[];
    isFollower: boolean;
  }): FetchContext {
    const { version, sessionId, epoch, partitions } = options;
    const usesTopicIds = version >= 13;
    if (epoch === INITIAL_EPOCH || epoch === FINAL_EPOCH) {
      if (sessionId !== INVALID_SESSION_ID) this.sessions.delete(sessionId);
      if (epoch === FINAL_EPOCH) return { kind: 'sessionless', partitions };
      return { kind: 'full', partitions, usesTopicIds, privileged: options.isFollower };
    }
    const session = this.sessions.get(sessionId);
    if (!session)
      return {
        kind: 'error',
        errorCode: FETCH_SESSION_ID_NOT_FOUND,
        sessionId: INVALID_SESSION_ID,
      };
    if (session.epoch !== epoch)
      return {
        kind: 'error',
        errorCode: INVALID_FETCH_SESSION_EPOCH,
        sessionId: INVALID_SESSION_ID,
      };
    if (session.usesTopicIds !== usesTopicIds)
      return {
        kind: 'error',
        errorCode: FETCH_SESSION_TOPIC_ID_ERROR,
        sessionId: INVALID_SESSION_ID,
      };
    for (const p of partitions) {
      const key = partitionKey(usesTopicIds, p.topic, p.topicId, p.partition);
      const cached = session.partitions.get(key);
      if (cached)
        Object.assign(cached, p, {
          highWatermark: cached.highWatermark,
          localLogStartOffset: cached.localLogStartOffset,
        });
      else session.partitions.set(key, { ...p, highWatermark: -1, localLogStartOffset: -1 });
    }
    for (const key of options.forgotten) session.partitions.delete(key);
    if (session.partitions.size === 0) {
      this.sessions.delete(session.id);
      return { kind: 'sessionless', partitions };
    }
    session.lastUsedMs = this.clock();
    session.epoch = nextEpoch(session.epoch);
    return { kind: 'incremental', session, expectedEpoch: session.epoch };
  }

  /** The partitions to read for a context, in the order they are answered. */
  partitionsToRead(context: FetchContext): FetchPartitionState[] {
    switch (context.kind) {
      case 'error':
        return [];
      case 'incremental':
        return [...context.session.partitions.values()];
      default:
        return context.partitions;
    }
  }

  /**
   * Settles the session side of an answer: which partitions go in it (`keep[i]` for
   * `partitionsToRead(context)[i]`), the session id, and a session error if another request
   * moved the session's epoch while this one waited.
   */
  complete(
    context: FetchContext,
    answers: readonly PartitionAnswer[],
  ): { errorCode: number; sessionId: number; keep: boolean[] } {
    switch (context.kind) {
      case 'error':
        return { errorCode: context.errorCode, sessionId: context.sessionId, keep: [] };
      case 'sessionless':
        return { errorCode: 0, sessionId: INVALID_SESSION_ID, keep: answers.map(() => true) };
      case 'full':
        return {
          errorCode: 0,
          sessionId: this.maybeCreateSession(context, answers),
          keep: answers.map(() => true),
        };
      case 'incremental':
        return this.completeIncremental(context.session, context.expectedEpoch, answers);
    }
  }

  private completeIncremental(
    session: FetchSession,
    expectedEpoch: number,
    answers: readonly PartitionAnswer[],
  ): { errorCode: number; sessionId: number; keep: boolean[] } {
    if (session.epoch !== expectedEpoch || this.sessions.get(session.id) !== session) {
      return {
        errorCode: INVALID_FETCH_SESSION_EPOCH,
        sessionId: session.id,
        keep: answers.map(() => false),
      };
    }
    const entries = [...session.partitions.entries()];
    const keep = answers.map((a, i) => {
      const [key, cached] = entries[i]!;
      let mustRespond = a.recordsSize > 0 || a.hasDivergingEpoch;
      if (cached.highWatermark !== a.highWatermark) {
        mustRespond = true;
        cached.highWatermark = a.highWatermark;
      }
      if (cached.localLogStartOffset !== a.logStartOffset) {
        mustRespond = true;
        cached.localLogStartOffset = a.logStartOffset;
      }
      if (a.errorCode !== 0) {
        // Re-sent once the error is gone, since the cached high watermark no longer matches.
        cached.highWatermark = -1;
        mustRespond = true;
      }
      if (a.recordsSize > 0) {
        session.partitions.delete(key);
        session.partitions.set(key, cached);
      }
      return mustRespond;
    });
    return { errorCode: 0, sessionId: session.id, keep };
  }

  private maybeCreateSession(
    context: Extract<FetchContext, { kind: 'full' }>,
    answers: readonly PartitionAnswer[],
  ): number {
    const now = this.clock();
    if (
      this.sessions.size >= this.maxSessions &&
      !this.tryEvict(context.privileged, context.partitions.length, now)
    ) {
      return INVALID_SESSION_ID;
    }
    const session = new FetchSession(
      this.newSessionId(),
      context.usesTopicIds,
      context.privileged,
      now,
    );
    context.partitions.forEach((p, i) => {
      const a = answers[i]!;
      session.partitions.set(partitionKey(context.usesTopicIds, p.topic, p.topicId, p.partition), {
        ...p,
        highWatermark: a.errorCode === 0 ? a.highWatermark : -1,
        localLogStartOffset: a.logStartOffset,
      });
    });
    this.sessions.set(session.id, session);
    return session.id;
  }

  private tryEvict(privileged: boolean, size: number, now: number): boolean {
    let stalest: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (!stalest || s.lastUsedMs < stalest.lastUsedMs) stalest = s;
    }
    if (stalest && now - stalest.lastUsedMs > this.evictionMs) {
      this.sessions.delete(stalest.id);
      return true;
    }
    // Kafka's EvictableKey order: (privileged, size); only sessions past evictionMs since
    // creation can go, and a follower's only to another follower's.
    let cheapest: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (now - s.creationMs <= this.evictionMs) continue;
      if (s.privileged && !privileged) continue;
      if (!cheapest || rank(s) < rank(cheapest)) cheapest = s;
    }
    if (!cheapest || rank({ privileged, partitions: { size } }) <= rank(cheapest)) return false;
    this.sessions.delete(cheapest.id);
    return true;
  }

  private newSessionId(): number {
    for (;;) {
      const id = 1 + Math.floor(this.random() * (INT32_MAX - 1));
      if (!this.sessions.has(id)) return id;
    }
  }
}

function rank(s: { privileged: boolean; partitions: { size: number } }): number {
  return (s.privileged ? 2 ** 32 : 0) + s.partitions.size;
}

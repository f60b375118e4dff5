// The fetch session cache on its own: contexts, which partitions an incremental answer keeps,
// the order after data, and the bounded cache's eviction rules (Kafka's FetchSessionCache).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type FetchContext,
  type FetchPartitionState,
  FetchSessionCache,
  nextEpoch,
  type PartitionAnswer,
} from '../../src/broker/fetch-sessions.js';

const ZERO = 'AAAAAAAAAAAAAAAAAAAAAA';

function state(partition: number, fetchOffset = 0): FetchPartitionState {
  return {
    topic: 't',
    topicId: ZERO,
    partition,
    fetchOffset,
    maxBytes: 1000,
    currentLeaderEpoch: -1,
    lastFetchedEpoch: -1,
    logStartOffset: -1,
  };
}

function answer(over: Partial<PartitionAnswer> = {}): PartitionAnswer {
  return {
    errorCode: 0,
    highWatermark: 10,
    logStartOffset: 0,
    recordsSize: 0,
    hasDivergingEpoch: false,
    ...over,
  };
}

function createSession(cache: FetchSessionCache, partitions: number[], isFollower = false): number {
  const ctx = cache.newContext({
    version: 11,
    sessionId: 0,
    epoch: 0,
    partitions: partitions.map((p) => state(p)),
    forgotten: [],
    isFollower,
  });
  return cache.complete(
    ctx,
    partitions.map(() => answer()),
  ).sessionId;
}

function incremental(
  cache: FetchSessionCache,
  sessionId: number,
  epoch: number,
  partitions: FetchPartitionState[] = [],
): FetchContext {
  return cache.newContext({
    version: 11,
    sessionId,
    epoch,
    partitions,
    forgotten: [],
    isFollower: false,
  });
}

describe('FetchSessionCache', () => {
  test('epochs run 1, 2, ... and wrap to 1; FINAL stays FINAL', () => {
    assert.equal(nextEpoch(0), 1);
    assert.equal(nextEpoch(41), 42);
    assert.equal(nextEpoch(0x7fffffff), 1);
    assert.equal(nextEpoch(-1), -1);
  });

  test('an incremental answer keeps partitions with news; ones that returned data move to the end', () => {
    const cache = new FetchSessionCache();
    const id = createSession(cache, [0, 1, 2]);
    const ctx = incremental(cache, id, 1);
    assert.equal(ctx.kind, 'incremental');
    const order = cache.partitionsToRead(ctx).map((p) => p.partition);
    assert.deepEqual(order, [0, 1, 2]);
    const settled = cache.complete(ctx, [
      answer({ recordsSize: 100 }),
      answer(),
      answer({ highWatermark: 11 }),
    ]);
    assert.deepEqual(settled.keep, [true, false, true]);
    const next = incremental(cache, id, 2);
    assert.deepEqual(
      cache.partitionsToRead(next).map((p) => p.partition),
      [1, 2, 0],
    );
    // An error is always answered, and the partition again once the error is gone.
    const withError = cache.complete(next, [
      answer({ errorCode: 6, highWatermark: -1 }),
      answer({ highWatermark: 11 }),
      answer(),
    ]);
    assert.deepEqual(withError.keep, [true, false, false]);
    const after = incremental(cache, id, 3);
    assert.deepEqual(
      cache.complete(after, [answer(), answer({ highWatermark: 11 }), answer()]).keep,
      [true, false, false],
    );
  });

  test('an incremental request updates the cached fetch state of the partitions it names', () => {
    const cache = new FetchSessionCache();
    const id = createSession(cache, [0, 1]);
    const ctx = incremental(cache, id, 1, [state(1, 50)]);
    assert.deepEqual(
      cache.partitionsToRead(ctx).map((p) => [p.partition, p.fetchOffset]),
      [
        [0, 0],
        [1, 50],
      ],
    );
  });

  test('a session another request moved on while this one waited answers INVALID_FETCH_SESSION_EPOCH', () => {
    const cache = new FetchSessionCache();
    const id = createSession(cache, [0]);
    const first = incremental(cache, id, 1);
    incremental(cache, id, 2);
    const settled = cache.complete(first, [answer()]);
    assert.equal(settled.errorCode, 71);
    assert.equal(settled.sessionId, id);
  });

  test('forgetting every partition closes the session', () => {
    const cache = new FetchSessionCache();
    const id = createSession(cache, [0]);
    const ctx = cache.newContext({
      version: 11,
      sessionId: id,
      epoch: 1,
      partitions: [],
      forgotten: ['t\u00000'],
      isFollower: false,
    });
    assert.equal(ctx.kind, 'sessionless');
    assert.equal(cache.size, 0);
  });

  test('a full cache evicts a session idle past evictionMs, else a smaller old one, else creates none', () => {
    let now = 0;
    const cache = new FetchSessionCache({ maxSessions: 2, evictionMs: 1000, clock: () => now });
    const a = createSession(cache, [0, 1, 2]);
    now = 10;
    const b = createSession(cache, [0]);
    now = 500;
    assert.equal(createSession(cache, [0, 1, 2, 3]), 0, 'nothing is old enough to evict');
    incremental(cache, b, 1); // b used at 500
    now = 1200;
    incremental(cache, b, 2); // b used at 1200
    const c = createSession(cache, [0]);
    assert.notEqual(c, 0);
    assert.equal(cache.get(a), undefined, 'a was idle for more than evictionMs');
    assert.ok(cache.get(b));
    now = 1600;
    // b (1 partition, created at 10) is older than evictionMs: a bigger session may replace it.
    assert.equal(createSession(cache, [0]), 0, 'not bigger than any evictable session');
    const d = createSession(cache, [0, 1]);
    assert.notEqual(d, 0);
    assert.equal(cache.get(b), undefined);
  });

  test('follower sessions can only be evicted by followers', () => {
    let now = 0;
    const cache = new FetchSessionCache({ maxSessions: 1, evictionMs: 1000, clock: () => now });
    const follower = createSession(cache, [0], true);
    now = 1500;
    incremental(cache, follower, 1);
    assert.equal(createSession(cache, [0, 1, 2]), 0);
    assert.notEqual(createSession(cache, [0, 1], true), 0);
  });
});

// Fetch over TCP: whole batches as stored, byte limits, error codes, topic ids, isolation levels,
// the long-poll (woken by an append, expired, abandoned by a closed connection) and incremental
// fetch sessions. No timing assertions: a long-poll test only checks what came back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { delayedFetchPurgatory } from '../../../src/broker/delayed-fetch.js';
import {
  FetchApi,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartitionData,
} from '../../../src/protocol/messages/fetch.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import type { WireClient } from '../../helpers/wire-client.js';
import { batchOffsets, buildBatch } from '../../storage/batches.js';
import { produce, startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(() => broker.stop());

interface PartitionFetch {
  partition: number;
  offset: number;
  maxBytes?: number;
  currentLeaderEpoch?: number;
  lastFetchedEpoch?: number;
}

function fetchRequest(
  topic: { name: string; id?: string },
  partitions: PartitionFetch[],
  options: Partial<FetchRequest> = {},
): FetchRequest {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 50_000_000,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics:
      partitions.length === 0
        ? []
        : [
            {
              topic: topic.name,
              topicId: topic.id ?? ZERO_UUID,
              partitions: partitions.map((p) => ({
                partition: p.partition,
                currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
                fetchOffset: BigInt(p.offset),
                lastFetchedEpoch: p.lastFetchedEpoch ?? -1,
                logStartOffset: -1n,
                partitionMaxBytes: p.maxBytes ?? 1_000_000,
              })),
            },
          ],
    forgottenTopicsData: [],
    rackId: '',
    ...options,
  };
}

function only(res: FetchResponse): FetchResponsePartitionData {
  assert.equal(res.responses.length, 1);
  assert.equal(res.responses[0]!.partitions.length, 1);
  return res.responses[0]!.partitions[0]!;
}

async function fill(
  c: WireClient,
  topic: string,
  partition: number,
  counts: number[],
): Promise<Buffer[]> {
  const sent: Buffer[] = [];
  for (const records of counts) {
    const b = buildBatch({ records, baseTimestamp: Date.now() });
    sent.push(b);
    assert.equal((await produce(c, topic, partition, b)).errorCode, 0);
  }
  return sent;
}

describe('Fetch', () => {
  test('an offset inside a batch returns that whole batch and the ones after it, at v4-v17', async () => {
    const { topicId } = await broker.createTopic('f-inside');
    const c = await broker.client();
    const sent = await fill(c, 'f-inside', 0, [3, 2, 4]);
    for (const version of [4, 5, 7, 10, 11, 12, 13, 15, 16, 17]) {
      const res = await c.request(
        FetchApi,
        version,
        fetchRequest({ name: 'f-inside', id: topicId }, [{ partition: 0, offset: 4 }]),
      );
      const p = only(res);
      assert.equal(p.errorCode, 0, `v${version}`);
      assert.equal(p.highWatermark, 9n);
      assert.equal(p.lastStableOffset, 9n);
      if (version >= 5) assert.equal(p.logStartOffset, 0n);
      assert.equal(p.abortedTransactions, null, 'READ_UNCOMMITTED has no aborted-transaction list');
      assert.deepEqual(batchOffsets(p.records!), [
        { base: 3, last: 4 },
        { base: 5, last: 8 },
      ]);
      assert.deepEqual(p.records!.subarray(0, sent[1]!.length).subarray(16), sent[1]!.subarray(16));
      if (version >= 13) assert.equal(res.responses[0]!.topicId, topicId);
      else assert.equal(res.responses[0]!.topic, 'f-inside');
    }
  });

  test('READ_COMMITTED reads to the last stable offset with an empty aborted-transaction list', async () => {
    await broker.createTopic('f-committed');
    const c = await broker.client();
    await fill(c, 'f-committed', 0, [2]);
    const res = await c.request(
      FetchApi,
      11,
      fetchRequest({ name: 'f-committed' }, [{ partition: 0, offset: 0 }], { isolationLevel: 1 }),
    );
    const p = only(res);
    assert.deepEqual(p.abortedTransactions, []);
    assert.equal(p.lastStableOffset, 2n);
    assert.equal(batchOffsets(p.records!).length, 1);
  });

  test('byte limits: the first partition with data gets a whole batch even when too big, later ones stay within them', async () => {
    await broker.createTopic('f-limits', 2);
    const c = await broker.client();
    const big = buildBatch({ records: 1, valueSize: 5000, baseTimestamp: Date.now() });
    await produce(c, 'f-limits', 0, big);
    await produce(
      c,
      'f-limits',
      0,
      buildBatch({ records: 1, valueSize: 10, baseTimestamp: Date.now() }),
    );
    await produce(
      c,
      'f-limits',
      1,
      buildBatch({ records: 1, valueSize: 10, baseTimestamp: Date.now() }),
    );
    const res = await c.request(
      FetchApi,
      11,
      fetchRequest(
        { name: 'f-limits' },
        [
          { partition: 0, offset: 0, maxBytes: 100 },
          { partition: 1, offset: 0, maxBytes: 100 },
        ],
        { maxBytes: 1000 },
      ),
    );
    const [p0, p1] = res.responses[0]!.partitions;
    assert.deepEqual(batchOffsets(p0!.records!), [{ base: 0, last: 0 }]);
    assert.equal(p0!.records!.length, big.length);
    assert.equal(p1!.records!.length, 0, 'the response max bytes were used up by partition 0');
    const small = await c.request(
      FetchApi,
      11,
      fetchRequest({ name: 'f-limits' }, [{ partition: 1, offset: 0, maxBytes: 1000 }], {
        maxBytes: 1000,
      }),
    );
    assert.equal(batchOffsets(only(small).records!).length, 1);
  });

  test('errors: offset out of range, unknown topic name, unknown topic id, fenced and unknown leader epochs', async () => {
    const { topicId } = await broker.createTopic('f-errors');
    const c = await broker.client();
    await fill(c, 'f-errors', 0, [2]);
    const code = async (version: number, topic: { name: string; id?: string }, p: PartitionFetch) =>
      only(await c.request(FetchApi, version, fetchRequest(topic, [p])));
    const out = await code(11, { name: 'f-errors' }, { partition: 0, offset: 3 });
    assert.equal(out.errorCode, 1);
    assert.equal(out.highWatermark, -1n);
    assert.equal(out.records!.length, 0);
    assert.equal((await code(11, { name: 'f-errors' }, { partition: 0, offset: 2 })).errorCode, 0);
    assert.equal((await code(11, { name: 'f-no-such' }, { partition: 0, offset: 0 })).errorCode, 3);
    assert.equal((await code(11, { name: 'f-errors' }, { partition: 5, offset: 0 })).errorCode, 3);
    const unknownId = await code(
      13,
      { name: '', id: 'AAAAAAAAAAAAAAAAAAAAAQ' },
      { partition: 0, offset: 0 },
    );
    assert.equal(unknownId.errorCode, 100);
    // Refused before reading, as Kafka 3.9.1 does: an empty aborted list, not null.
    assert.deepEqual(unknownId.abortedTransactions, []);
    assert.equal(out.abortedTransactions, null);
    const id = { name: '', id: topicId };
    assert.equal(
      (await code(13, id, { partition: 0, offset: 0, currentLeaderEpoch: 0 })).errorCode,
      0,
    );
    assert.equal(
      (await code(13, id, { partition: 0, offset: 0, currentLeaderEpoch: 1 })).errorCode,
      75,
    );
    const fenced = await c.request(
      FetchApi,
      17,
      fetchRequest(id, [{ partition: 0, offset: 0, currentLeaderEpoch: 0 }]),
    );
    assert.equal(only(fenced).errorCode, 0);
  });

  test('lastFetchedEpoch (v12+): a log that does not continue it answers a diverging epoch', async () => {
    await broker.createTopic('f-diverge');
    const c = await broker.client();
    await fill(c, 'f-diverge', 0, [2, 2]);
    // A new leader epoch (as after a leader change); later appends are written in epoch 1.
    const registry = broker.embedded.broker.topics;
    const t = structuredClone(registry.topic('f-diverge')!);
    t.partitions[0]!.leaderEpoch = 1;
    await registry.update(t);
    await fill(c, 'f-diverge', 0, [2]);
    const fetch = async (offset: number, lastFetchedEpoch: number, currentLeaderEpoch = 1) =>
      only(
        await c.request(
          FetchApi,
          12,
          fetchRequest({ name: 'f-diverge' }, [
            { partition: 0, offset, lastFetchedEpoch, currentLeaderEpoch },
          ]),
        ),
      );
    // Epoch 0 ended at offset 4: a fetcher at 5 that last saw epoch 0 has records we do not.
    const diverged = await fetch(5, 0);
    assert.equal(diverged.errorCode, 0);
    assert.deepEqual(diverged.divergingEpoch, { epoch: 0, endOffset: 4n });
    assert.equal(diverged.records!.length, 0);
    const ok = await fetch(4, 0);
    assert.equal(ok.divergingEpoch?.epoch ?? -1, -1);
    assert.deepEqual(batchOffsets(ok.records!), [{ base: 4, last: 5 }]);
    // An epoch beyond any in the log has no end offset: OFFSET_OUT_OF_RANGE, as in Kafka.
    assert.equal((await fetch(4, 7)).errorCode, 1);
    // The old leader epoch is fenced now.
    assert.equal((await fetch(4, 0, 0)).errorCode, 74);
  });

  test('a follower fetch counts towards the high watermark only when the log could serve it', async () => {
    await broker.createTopic('f-follower');
    const c = await broker.client();
    const registry = broker.embedded.broker.topics;
    const self = broker.embedded.broker.nodeId;
    const follower = self + 1;
    const t = structuredClone(registry.topic('f-follower')!);
    t.partitions[0] = { ...t.partitions[0]!, replicas: [self, follower], isr: [self] };
    await registry.update(t);
    await fill(c, 'f-follower', 0, [2, 2]);
    t.partitions[0]!.leaderEpoch = 1;
    await registry.update(t);
    await fill(c, 'f-follower', 0, [2]);
    const p = broker.embedded.broker.replicaManager.partition('f-follower', 0)!;
    const fetch = async (offset: number, lastFetchedEpoch: number) =>
      only(
        await c.request(
          FetchApi,
          12,
          fetchRequest({ name: 'f-follower' }, [{ partition: 0, offset, lastFetchedEpoch }], {
            replicaId: follower,
          }),
        ),
      );
    // Records at 4 and 5 the leader never wrote in epoch 0: the follower is not at 6.
    assert.deepEqual((await fetch(6, 0)).divergingEpoch, { epoch: 0, endOffset: 4n });
    assert.equal(p.followers.get(follower)?.logEndOffset, -1);
    // An epoch the leader does not know: OFFSET_OUT_OF_RANGE, and still not counted.
    assert.equal((await fetch(6, 7)).errorCode, 1);
    assert.equal(p.followers.get(follower)?.logEndOffset, -1);
    assert.deepEqual(registry.topic('f-follower')!.partitions[0]!.isr, [self]);
    // A fetch the log serves tells the leader where the follower is.
    const served = await fetch(4, 0);
    assert.equal(served.errorCode, 0);
    assert.equal(p.followers.get(follower)?.logEndOffset, 4);
  });

  test('long-poll: a fetch at the end waits and is answered after an append from another connection', async () => {
    await broker.createTopic('f-longpoll');
    const consumer = await broker.client();
    const producer = await broker.client();
    const waiting = consumer.request(
      FetchApi,
      11,
      fetchRequest({ name: 'f-longpoll' }, [{ partition: 0, offset: 0 }], {
        maxWaitMs: 60_000,
        minBytes: 1,
      }),
    );
    const purgatory = delayedFetchPurgatory(broker.embedded.broker.replicaManager);
    while (purgatory.size === 0) await new Promise((r) => setImmediate(r));
    // Other requests, even on other connections, are served meanwhile.
    await fill(producer, 'f-longpoll', 0, [3]);
    const p = only(await waiting);
    assert.deepEqual(batchOffsets(p.records!), [{ base: 0, last: 2 }]);
    assert.equal(p.highWatermark, 3n);
  });

  test('long-poll: min_bytes accumulate over appends', async () => {
    await broker.createTopic('f-minbytes');
    const consumer = await broker.client();
    const producer = await broker.client();
    const one = buildBatch({ records: 1, valueSize: 100, baseTimestamp: Date.now() }).length;
    const waiting = consumer.request(
      FetchApi,
      11,
      fetchRequest({ name: 'f-minbytes' }, [{ partition: 0, offset: 0 }], {
        maxWaitMs: 60_000,
        minBytes: one * 2,
      }),
    );
    const purgatory = delayedFetchPurgatory(broker.embedded.broker.replicaManager);
    while (purgatory.size === 0) await new Promise((r) => setImmediate(r));
    await produce(
      producer,
      'f-minbytes',
      0,
      buildBatch({ records: 1, valueSize: 100, baseTimestamp: Date.now() }),
    );
    assert.equal(purgatory.size, 1, 'one batch is not enough');
    await produce(
      producer,
      'f-minbytes',
      0,
      buildBatch({ records: 1, valueSize: 100, baseTimestamp: Date.now() }),
    );
    const p = only(await waiting);
    assert.equal(batchOffsets(p.records!).length, 2);
  });

  test('long-poll: without appends the fetch expires empty; a closed connection leaves the purgatory', async () => {
    await broker.createTopic('f-expire');
    const c = await broker.client();
    const res = await c.request(
      FetchApi,
      11,
      fetchRequest({ name: 'f-expire' }, [{ partition: 0, offset: 0 }], {
        maxWaitMs: 50,
        minBytes: 1,
      }),
    );
    assert.equal(only(res).records!.length, 0);
    const gone = await broker.client();
    void gone.request(
      FetchApi,
      11,
      fetchRequest({ name: 'f-expire' }, [{ partition: 0, offset: 0 }], {
        maxWaitMs: 600_000,
        minBytes: 1,
      }),
    );
    const purgatory = delayedFetchPurgatory(broker.embedded.broker.replicaManager);
    while (purgatory.size === 0) await new Promise((r) => setImmediate(r));
    gone.close();
    while (purgatory.size !== 0) await new Promise((r) => setTimeout(r, 5));
  });

  test('sessions: full fetch creates one, incremental fetches answer only what changed', async () => {
    const { topicId } = await broker.createTopic('f-session', 3);
    const c = await broker.client();
    await fill(c, 'f-session', 0, [2]);
    const topic = { name: 'f-session', id: topicId };
    const all = [0, 1, 2].map((partition) => ({ partition, offset: 0 }));
    const full = await c.request(
      FetchApi,
      13,
      fetchRequest(topic, all, { sessionId: 0, sessionEpoch: 0 }),
    );
    assert.equal(full.errorCode, 0);
    assert.notEqual(full.sessionId, 0);
    assert.equal(full.responses[0]!.partitions.length, 3);
    const sessionId = full.sessionId!;
    // Partition 0 moved to offset 2; nothing else changed.
    const inc1 = await c.request(
      FetchApi,
      13,
      fetchRequest(topic, [{ partition: 0, offset: 2 }], { sessionId, sessionEpoch: 1 }),
    );
    assert.equal(inc1.errorCode, 0);
    assert.equal(inc1.sessionId, sessionId);
    assert.deepEqual(inc1.responses, []);
    await fill(c, 'f-session', 2, [1]);
    const inc2 = await c.request(
      FetchApi,
      13,
      fetchRequest(topic, [], { sessionId, sessionEpoch: 2 }),
    );
    assert.equal(inc2.responses.length, 1);
    const p = inc2.responses[0]!.partitions;
    assert.deepEqual(
      p.map((x) => x.partitionIndex),
      [2],
    );
    assert.deepEqual(batchOffsets(p[0]!.records!), [{ base: 0, last: 0 }]);
    // A repeated epoch, an unknown session, the wrong topic-id mode.
    const stale = await c.request(
      FetchApi,
      13,
      fetchRequest(topic, [], { sessionId, sessionEpoch: 2 }),
    );
    assert.equal(stale.errorCode, 71);
    assert.equal(stale.sessionId, 0);
    const unknown = await c.request(
      FetchApi,
      13,
      fetchRequest(topic, [], { sessionId: sessionId + 1, sessionEpoch: 1 }),
    );
    assert.equal(unknown.errorCode, 70);
    const mode = await c.request(
      FetchApi,
      12,
      fetchRequest(topic, [], { sessionId, sessionEpoch: 3 }),
    );
    assert.equal(mode.errorCode, 106);
    // Forgetting partitions; then closing the session.
    const forget = await c.request(
      FetchApi,
      13,
      fetchRequest(topic, [], {
        sessionId,
        sessionEpoch: 3,
        forgottenTopicsData: [{ topic: '', topicId, partitions: [1, 2] }],
      }),
    );
    assert.equal(forget.errorCode, 0);
    await fill(c, 'f-session', 1, [1]);
    const afterForget = await c.request(
      FetchApi,
      13,
      fetchRequest(topic, [], { sessionId, sessionEpoch: 4 }),
    );
    assert.deepEqual(afterForget.responses, [], 'partition 1 is no longer in the session');
    const close = await c.request(
      FetchApi,
      13,
      fetchRequest(topic, [{ partition: 1, offset: 0 }], { sessionId, sessionEpoch: -1 }),
    );
    assert.equal(close.sessionId, 0);
    assert.equal(batchOffsets(only(close).records!).length, 1);
    const closed = await c.request(
      FetchApi,
      13,
      fetchRequest(topic, [], { sessionId, sessionEpoch: 5 }),
    );
    assert.equal(closed.errorCode, 70);
  });

  test('sessions by topic name (v7-v12) and a long-poll inside a session', async () => {
    await broker.createTopic('f-session-names', 2);
    const c = await broker.client();
    const producer = await broker.client();
    const topic = { name: 'f-session-names' };
    const parts = [0, 1].map((partition) => ({ partition, offset: 0 }));
    const full = await c.request(FetchApi, 11, fetchRequest(topic, parts, { sessionEpoch: 0 }));
    const sessionId = full.sessionId!;
    assert.notEqual(sessionId, 0);
    const waiting = c.request(
      FetchApi,
      11,
      fetchRequest(topic, [], { sessionId, sessionEpoch: 1, maxWaitMs: 60_000, minBytes: 1 }),
    );
    const purgatory = delayedFetchPurgatory(broker.embedded.broker.replicaManager);
    while (purgatory.size === 0) await new Promise((r) => setImmediate(r));
    await fill(producer, 'f-session-names', 1, [2]);
    const res = await waiting;
    assert.equal(res.sessionId, sessionId);
    assert.deepEqual(
      res.responses.flatMap((t) => t.partitions.map((p) => [t.topic, p.partitionIndex])),
      [['f-session-names', 1]],
    );
  });
});

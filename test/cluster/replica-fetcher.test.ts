// The follower's answer to OFFSET_OUT_OF_RANGE, against a scripted leader (a fake broker over
// TCP): it asks the leader for its log end and start offsets (ListOffsets with its replica id and
// leader epoch) and truncates to the leader's end when it ends beyond it, starts over at the
// leader's log start when it ends below it, and leaves its log alone when neither holds.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { LocalMetadataStore } from '../../src/cluster/local-metadata-store.js';
import { ReplicaFetcherManager } from '../../src/cluster/replica-fetcher.js';
import { type Partition, ReplicaManager } from '../../src/cluster/replica-manager.js';
import { TopicRegistry } from '../../src/cluster/topic-registry.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { FetchRequest } from '../../src/protocol/messages/fetch.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import type { ListOffsetsRequest } from '../../src/protocol/messages/list-offsets.js';
import { buildRecordBatch, splitBatches } from '../../src/protocol/records/index.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { FakeBroker, type FakeRequest } from '../client/fake-broker.js';

const FOLLOWER = 1;
const LEADER = 2;
const LEADER_EPOCH = 3;

let dir: string;
let registry: TopicRegistry;
let logs: LogManager;
let rm: ReplicaManager;
let p: Partition;
let leader: FakeBroker | undefined;
let fetchers: ReplicaFetcherManager | undefined;
const messages: string[] = [];
const logger = { info: (m: string) => messages.push(m), warn: (m: string) => messages.push(m) };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-fetcher-'));
  messages.length = 0;
  registry = await TopicRegistry.load(LocalMetadataStore.inDataDir(dir));
  await registry.createTopic({
    name: 't',
    numPartitions: 1,
    replicationFactor: 2,
    brokers: [LEADER, FOLLOWER],
    assignments: [[LEADER, FOLLOWER]],
  });
  await registry.updatePartition('t', 0, (a) => ({ ...a, leaderEpoch: LEADER_EPOCH }));
  logs = LogManager.open({ dataDir: join(dir, 'logs'), defaultConfig: DEFAULT_LOG_CONFIG });
  rm = new ReplicaManager(FOLLOWER, registry, logs, () => DEFAULT_LOG_CONFIG);
  p = rm.partition('t', 0)!;
  assert.ok(p.isFollower);
});
afterEach(async () => {
  fetchers?.close();
  fetchers = undefined;
  await leader?.stop();
  leader = undefined;
  rm.close();
  registry.close();
  logs.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `count` one-record batches written under an earlier leader epoch (truncation cuts between batches). */
function appendLocally(count: number, epoch = 1): void {
  for (let i = 0; i < count; i++) {
    const records = [{ value: Buffer.from('x'), timestamp: Date.now() }];
    p.log.append(buildRecordBatch({ records }).buf, { origin: 'client', leaderEpoch: epoch });
  }
}

/**
 * A leader whose log spans [start, end): Fetch at an offset outside it is OFFSET_OUT_OF_RANGE,
 * inside it an empty answer after a short wait (as a long poll would); ListOffsets tells the span.
 */
async function startLeader(span: {
  start: number;
  end: number;
  alwaysOutOfRange?: boolean;
  /** Batches the leader holds; a fetch gets the first one containing its offset. */
  batches?: Buffer[];
}) {
  const answer = (req: FakeRequest, errorCode: number, records: Buffer | null = null) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: (req.body as FetchRequest).topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((x) => ({
        partitionIndex: x.partition,
        errorCode,
        highWatermark: BigInt(span.end),
        lastStableOffset: BigInt(span.end),
        logStartOffset: BigInt(span.start),
        abortedTransactions: null,
        preferredReadReplica: -1,
        records,
      })),
    })),
  });
  leader = await FakeBroker.start({
    [ApiKey.Fetch]: async (req) => {
      const offset = Number((req.body as FetchRequest).topics[0]!.partitions[0]!.fetchOffset);
      if (span.alwaysOutOfRange || offset < span.start || offset > span.end) {
        return answer(req, ErrorCode.OFFSET_OUT_OF_RANGE);
      }
      const holding = (span.batches ?? []).find((b) => {
        const [batch] = splitBatches(b);
        return batch!.baseOffset <= offset && offset <= batch!.lastOffset;
      });
      if (holding) return answer(req, ErrorCode.NONE, holding);
      await new Promise((r) => setTimeout(r, 20));
      return answer(req, ErrorCode.NONE);
    },
    [ApiKey.ListOffsets]: (req) => {
      const body = req.body as ListOffsetsRequest;
      const asked = body.topics[0]!.partitions[0]!;
      return {
        throttleTimeMs: 0,
        topics: [
          {
            name: body.topics[0]!.name,
            partitions: [
              {
                partitionIndex: asked.partitionIndex,
                errorCode: 0,
                timestamp: -1n,
                offset: BigInt(asked.timestamp === -2n ? span.start : span.end),
                leaderEpoch: LEADER_EPOCH,
              },
            ],
          },
        ],
      };
    },
  });
  const port = leader.port;
  fetchers = new ReplicaFetcherManager({
    nodeId: FOLLOWER,
    replicaManager: rm,
    endpointOf: (id) => (id === LEADER ? { host: '127.0.0.1', port } : undefined),
    logger,
    maxWaitMs: 100,
    partitionMaxBytes: 1 << 20,
    backoffMs: 20,
  });
}

/** Waits until the follower fetched at `offset` (the leader then knows its new position). */
async function fetchedAt(offset: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const fetches = leader!.requests.filter((r) => r.apiKey === ApiKey.Fetch);
    const last = fetches[fetches.length - 1]?.body as FetchRequest | undefined;
    if (last && Number(last.topics[0]!.partitions[0]!.fetchOffset) === offset) return;
    assert.ok(Date.now() < deadline, `no fetch at ${offset}; log: ${messages.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function listOffsetsRequests(): ListOffsetsRequest[] {
  return leader!.requests
    .filter((r) => r.apiKey === ApiKey.ListOffsets)
    .map((r) => r.body as ListOffsetsRequest);
}

test('a follower ending beyond the leader (no epoch in common) truncates to the leader end', async () => {
  appendLocally(10);
  p.hw = 8;
  await startLeader({ start: 0, end: 4 });
  await fetchedAt(4);
  assert.equal(p.logEndOffset, 4);
  assert.equal(p.logStartOffset, 0);
  assert.equal(p.hw, 4, 'the high watermark is never above the log end');
  const asked = listOffsetsRequests()[0]!;
  assert.equal(asked.replicaId, FOLLOWER, 'as a replica: the leader answers its log end offset');
  assert.equal(asked.topics[0]!.partitions[0]!.currentLeaderEpoch, LEADER_EPOCH);
  assert.equal(asked.topics[0]!.partitions[0]!.timestamp, -1n);
  assert.match(messages.join('\n'), /its log ends at 4: truncating from 10 to 4/);
});

test('...and no further than its own high watermark, above which the logs may differ', async () => {
  appendLocally(10);
  p.hw = 2;
  await startLeader({ start: 0, end: 4 });
  await fetchedAt(2);
  assert.equal(p.logEndOffset, 2);
  assert.match(messages.join('\n'), /its log ends at 4: truncating from 10 to 2/);
});

test('a follower ending below the leader log start empties its log and starts over there', async () => {
  appendLocally(3);
  await startLeader({ start: 20, end: 30 });
  await fetchedAt(20);
  assert.equal(p.logStartOffset, 20);
  assert.equal(p.logEndOffset, 20);
  assert.equal(p.highWatermark, 20);
  assert.deepEqual(
    listOffsetsRequests().map((r) => r.topics[0]!.partitions[0]!.timestamp),
    [-1n, -2n],
    'LATEST first, then EARLIEST',
  );
  assert.match(
    messages.join('\n'),
    /its log starts at 20: emptying the log and starting over at 20/,
  );
  // The new start is durable: the log reopens there.
  fetchers!.close();
  fetchers = undefined;
  rm.close();
  logs.close();
  logs = LogManager.open({ dataDir: join(dir, 'logs'), defaultConfig: DEFAULT_LOG_CONFIG });
  rm = new ReplicaManager(FOLLOWER, registry, logs, () => DEFAULT_LOG_CONFIG);
  assert.equal(rm.partition('t', 0)!.logStartOffset, 20);
  assert.equal(rm.partition('t', 0)!.logEndOffset, 20);
});

test('a follower inside the leader span keeps its log and says so once', async () => {
  appendLocally(5);
  await startLeader({ start: 0, end: 9, alwaysOutOfRange: true });
  const deadline = Date.now() + 30_000;
  while (listOffsetsRequests().length < 6) {
    assert.ok(Date.now() < deadline, 'the follower stopped asking');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(p.logEndOffset, 5);
  assert.equal(p.logStartOffset, 0);
  const said = messages.filter((m) => /its log spans 0 to 9; fetching again/.test(m));
  assert.equal(said.length, 1, messages.join(' | '));
});

test('after DeleteRecords at the leader a returning follower starts at the batch holding the leader log start, then follows that start', async () => {
  appendLocally(3);
  // The leader deleted records before 25, inside its batch 20..29: fetches return that batch whole.
  const records = Array.from({ length: 10 }, () => ({ value: Buffer.from('y'), timestamp: 1 }));
  const batch = buildRecordBatch({
    baseOffset: 20,
    partitionLeaderEpoch: LEADER_EPOCH,
    records,
  }).buf;
  await startLeader({ start: 25, end: 30, batches: [batch] });
  await fetchedAt(30);
  assert.equal(p.logEndOffset, 30);
  assert.equal(p.highWatermark, 30);
  assert.equal(p.logStartOffset, 25, "the leader's log start, not the batch's base offset");
  const read = p.log.read(25, 1 << 20);
  assert.ok(read.records.equals(batch), "the leader's batch, byte for byte");
  assert.match(messages.join('\n'), /starting the log at 20/);
});

test("a follower's log start follows the leader's, up to its own high watermark", async () => {
  appendLocally(10);
  await startLeader({ start: 6, end: 10 });
  await fetchedAt(10);
  const deadline = Date.now() + 30_000;
  while (p.logStartOffset !== 6) {
    assert.ok(Date.now() < deadline, `log start ${p.logStartOffset}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(p.logEndOffset, 10);
});

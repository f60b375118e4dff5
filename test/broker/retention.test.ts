// Retention end to end on a broker process: with a short segment.ms segments roll as records
// arrive, with a short retention.ms the retention check deletes the old segments' files, the
// log start offset advances (ListOffsets earliest, Fetch's logStartOffset, OFFSET_OUT_OF_RANGE
// below it) while the log end offset stays, and the advanced start survives a restart.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTopicsApi } from '../../src/protocol/messages/create-topics.js';
import { FetchApi } from '../../src/protocol/messages/fetch.js';
import { ListOffsetsApi } from '../../src/protocol/messages/list-offsets.js';
import { ProduceApi } from '../../src/protocol/messages/produce.js';
import { buildRecordBatch, splitBatches } from '../../src/protocol/records/index.js';
import {
  type BrokerProcess,
  startBrokerProcess,
  stopAllBrokers,
} from '../helpers/broker-process.js';
import { WireClient } from '../helpers/wire-client.js';

const TOPIC = 'retained';
const OFFSET_OUT_OF_RANGE = 1;
const EARLIEST = -2n;
const LATEST = -1n;
const BATCHES = 5;
const RECORDS_PER_BATCH = 10;

let dataDir: string;
let broker: BrokerProcess;
let client: WireClient;
const partitionDir = () => join(dataDir, `${TOPIC}-0`);
const segmentFiles = () =>
  readdirSync(partitionDir())
    .filter((f) => /^\d{20}\.log$/.test(f))
    .sort();

async function start(): Promise<void> {
  broker = await startBrokerProcess({
    dataDir,
    overrides: { 'log.retention.check.interval.ms': '100' },
  });
  client = await WireClient.connect(broker.port);
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'samsa-retention-'));
  await start();
});
after(async () => {
  client?.close();
  await stopAllBrokers();
  rmSync(dataDir, { recursive: true, force: true });
});

async function listOffset(timestamp: bigint): Promise<number> {
  const res = await client.request(ListOffsetsApi, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [
      { name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] },
    ],
  });
  const p = res.topics[0]!.partitions[0]!;
  assert.equal(p.errorCode, 0);
  return Number(p.offset);
}

async function fetchAt(offset: number) {
  const res = await client.request(FetchApi, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: TOPIC,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: BigInt(offset),
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  });
  return res.responses[0]!.partitions[0]!;
}

/** Polls until `check` holds; the deadline only bounds a broken broker, it is not asserted on. */
async function eventually<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean) {
  let last: T | undefined;
  for (let i = 0; i < 300; i++) {
    last = await probe();
    if (check(last)) return last;
    await sleep(100);
  }
  assert.fail(`${what} never happened; last seen: ${JSON.stringify(last)}`);
}

test('segment.ms rolls segments as records arrive', async () => {
  const created = await client.request(CreateTopicsApi, 7, {
    topics: [
      {
        name: TOPIC,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        // Long enough to see the segments before they go; short enough for a test.
        configs: [
          { name: 'segment.ms', value: '100' },
          { name: 'retention.ms', value: '6000' },
        ],
      },
    ],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  assert.equal(created.topics[0]!.errorCode, 0);
  for (let b = 0; b < BATCHES; b++) {
    const batch = buildRecordBatch({
      records: Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
        value: Buffer.from(`b${b}-r${i}`),
        timestamp: Date.now(),
      })),
    });
    const res = await client.request(ProduceApi, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch.buf }] }],
    });
    const pr = res.responses[0]!.partitionResponses[0]!;
    assert.equal(pr.errorCode, 0);
    assert.equal(Number(pr.baseOffset), b * RECORDS_PER_BATCH);
    await sleep(150); // older than segment.ms: the next append rolls
  }
  assert.ok(segmentFiles().length >= BATCHES, `segments: ${segmentFiles().join(' ')}`);
  assert.equal(await listOffset(EARLIEST), 0);
  assert.equal(await listOffset(LATEST), BATCHES * RECORDS_PER_BATCH);
});

test('retention.ms deletes old segment files and advances the log start offset', async () => {
  const end = BATCHES * RECORDS_PER_BATCH;
  const first = join(partitionDir(), `${'0'.repeat(20)}.log`);
  // Every record is older than retention.ms in a few seconds: all closed segments go, the log
  // rolls so an empty active segment remains, and the start offset meets the end offset.
  const earliest = await eventually(
    'log start offset reaching the log end offset',
    () => listOffset(EARLIEST),
    (v) => v === end,
  );
  assert.equal(earliest, end);
  assert.equal(await listOffset(LATEST), end, 'retention never moves the log end offset');
  assert.ok(!existsSync(first), 'the first segment .log file is gone');
  for (const ext of ['index', 'timeindex']) {
    assert.ok(!existsSync(first.replace(/log$/, ext)), `its .${ext} file is gone`);
  }
  await eventually(
    'old segment files deleted',
    async () => segmentFiles(),
    (files) => files.length === 1 && files[0] === `${String(end).padStart(20, '0')}.log`,
  );
  const below = await fetchAt(0);
  assert.equal(below.errorCode, OFFSET_OUT_OF_RANGE);
  const at = await fetchAt(end);
  assert.equal(at.errorCode, 0);
  assert.equal(Number(at.logStartOffset), end);
  assert.equal(splitBatches(at.records ?? Buffer.alloc(0), true).length, 0);
});

test('the advanced log start offset survives a restart, and appends continue after it', async () => {
  const end = BATCHES * RECORDS_PER_BATCH;
  client.close();
  await broker.kill('SIGTERM');
  await start();
  assert.equal(await listOffset(EARLIEST), end);
  assert.equal(await listOffset(LATEST), end);
  const batch = buildRecordBatch({
    records: [{ value: Buffer.from('after'), timestamp: Date.now() }],
  });
  const res = await client.request(ProduceApi, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 10_000,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch.buf }] }],
  });
  assert.equal(Number(res.responses[0]!.partitionResponses[0]!.baseOffset), end);
});

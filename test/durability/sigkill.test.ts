// Nothing acknowledged is lost when the broker process is killed with SIGKILL.
//
// Each cycle starts `samsa broker` on the same data dir, checks everything acknowledged so far
// (every acked record at its acked offset, dense offsets, every batch's CRC valid), then runs
// an acks=1 producer on several connections with requests in flight, random codecs and batch sizes, and
// SIGKILLs the broker after a random number of acks, while requests are still in flight.
// Small segments make rolls (and recovery across several segments) part of every cycle.
//   SAMSA_DURABILITY_CYCLES (default 20), SAMSA_DURABILITY_SEED (default 1)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CreateTopicsApi } from '../../src/protocol/messages/create-topics.js';
import { FetchApi } from '../../src/protocol/messages/fetch.js';
import { ProduceApi } from '../../src/protocol/messages/produce.js';
import {
  buildRecordBatch,
  CompressionType,
  readRecords,
  splitBatches,
} from '../../src/protocol/records/index.js';
import {
  type BrokerProcess,
  startBrokerProcess,
  stopAllBrokers,
} from '../helpers/broker-process.js';
import { WireClient } from '../helpers/wire-client.js';

const CYCLES = Number(process.env.SAMSA_DURABILITY_CYCLES ?? 20);
const SEED = Number(process.env.SAMSA_DURABILITY_SEED ?? 1);
const TOPIC = 'durable';
const PARTITIONS = 2;
const CONNECTIONS = 3;
const IN_FLIGHT = 3;
const CODECS = [
  CompressionType.None,
  CompressionType.Gzip,
  CompressionType.Snappy,
  CompressionType.Lz4,
  CompressionType.Zstd,
];

const dataDir = mkdtempSync(join(tmpdir(), 'samsa-durability-'));
after(async () => {
  await stopAllBrokers();
  rmSync(dataDir, { recursive: true, force: true });
});

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

/** Per partition: offset -> value of every acknowledged record. */
const acked: Map<number, string>[] = Array.from({ length: PARTITIONS }, () => new Map());
/** Every value ever sent (acked or not), so anything served can be traced to a send. */
const sent = new Set<string>();

function startBroker(): Promise<BrokerProcess> {
  return startBrokerProcess({
    dataDir,
    overrides: {
      'log.segment.bytes': '1048576',
      'log.index.interval.bytes': '512',
      'auto.create.topics.enable': 'false',
    },
  });
}

/** Reads a partition from 0 to its high watermark; fails on any batch whose CRC is wrong. */
async function readPartition(client: WireClient, partition: number) {
  const records = new Map<number, string>();
  let next = 0;
  let highWatermark = -1;
  for (let round = 0; round < 10_000; round++) {
    const res = await client.request(FetchApi, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 4 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: TOPIC,
          partitions: [
            {
              partition,
              currentLeaderEpoch: -1,
              fetchOffset: BigInt(next),
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
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0, `fetch ${TOPIC}-${partition} at ${next}`);
    highWatermark = Number(p.highWatermark);
    if (next >= highWatermark) break;
    const batches = splitBatches(p.records ?? Buffer.alloc(0), true);
    assert.ok(batches.length > 0, `no batch at ${next} below the high watermark ${highWatermark}`);
    for (const batch of batches) {
      assert.ok(batch.isCrcValid(), `batch at ${batch.baseOffset} served with a bad CRC`);
      if (batch.lastOffset < next) continue;
      // Dense: each batch starts where the previous one ended, its records fill it.
      assert.equal(batch.baseOffset, next, `gap or overlap at offset ${next}`);
      const recs = readRecords(batch);
      assert.deepEqual(
        recs.map((r) => r.offsetDelta),
        [...recs.keys()],
        `offset deltas of the batch at ${batch.baseOffset}`,
      );
      assert.equal(batch.lastOffsetDelta, recs.length - 1);
      for (const r of recs) records.set(batch.baseOffset + r.offsetDelta, r.value!.toString());
      next = batch.nextOffset;
    }
  }
  assert.equal(next, highWatermark, 'read up to the high watermark');
  return { records, highWatermark };
}

/** Stored records that were sent but never acknowledged (in flight at a kill): allowed. */
let unackedStored = 0;

async function verify(client: WireClient, cycle: number): Promise<void> {
  unackedStored = 0;
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const { records, highWatermark } = await readPartition(client, partition);
    for (const [offset, value] of acked[partition]!) {
      assert.equal(
        records.get(offset),
        value,
        `cycle ${cycle}: acknowledged record lost or moved: ${TOPIC}-${partition} offset ${offset}`,
      );
    }
    const seen = new Set<string>();
    for (const [offset, value] of records) {
      assert.ok(sent.has(value), `offset ${offset} holds '${value}', which was never sent`);
      assert.ok(!seen.has(value), `'${value}' stored twice`);
      seen.add(value);
      if (acked[partition]!.get(offset) !== value) unackedStored++;
    }
    assert.ok(highWatermark >= acked[partition]!.size);
  }
}

/**
 * Produces with acks=1 on several connections, several requests in flight on each, until
 * `stopAfterAcks` acks, then kills the broker while the other requests are still being handled.
 */
async function produceAndKill(broker: BrokerProcess, cycle: number): Promise<void> {
  const stopAfterAcks = between(10, 120);
  let acks = 0;
  let seq = 0;
  let killed: Promise<unknown> | undefined;
  const sendOne = async (client: WireClient, closed: Promise<never>): Promise<void> => {
    const partition = between(0, PARTITIONS - 1);
    const count = between(1, 30);
    const values = Array.from(
      { length: count },
      () => `c${cycle}-s${seq++}-${'x'.repeat(between(0, 1000))}`,
    );
    for (const v of values) sent.add(v);
    const batch = buildRecordBatch({
      compression: CODECS[between(0, CODECS.length - 1)],
      records: values.map((v) => ({ value: Buffer.from(v), timestamp: Date.now() })),
    });
    const res = await Promise.race([
      client.request(ProduceApi, 9, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 10_000,
        topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: batch.buf }] }],
      }),
      closed,
    ]);
    const pr = res.responses[0]!.partitionResponses[0]!;
    assert.equal(pr.errorCode, 0, `produce to ${TOPIC}-${partition}`);
    const base = Number(pr.baseOffset);
    values.forEach((v, i) => {
      const prev = acked[partition]!.get(base + i);
      assert.equal(prev, undefined, `offset ${base + i} acknowledged twice`);
      acked[partition]!.set(base + i, v);
    });
    if (++acks === stopAfterAcks) killed = broker.kill('SIGKILL');
  };
  const connections = await Promise.all(
    Array.from({ length: CONNECTIONS }, () => WireClient.connect(broker.port)),
  );
  const lanes = connections.flatMap((client) => {
    const closed = client.closed.then(() => {
      throw new Error('connection closed');
    });
    closed.catch(() => {});
    return Array.from({ length: IN_FLIGHT }, async () => {
      try {
        for (;;) await sendOne(client, closed);
      } catch (err) {
        if (!killed) throw err;
      }
    });
  });
  await Promise.all(lanes);
  await killed;
  for (const c of connections) c.close();
}

test(`acks=1: nothing acknowledged is lost across ${CYCLES} SIGKILLs`, async (t) => {
  for (let cycle = 0; cycle <= CYCLES; cycle++) {
    const broker = await startBroker();
    const client = await WireClient.connect(broker.port);
    if (cycle === 0) {
      const res = await client.request(CreateTopicsApi, 7, {
        topics: [
          {
            name: TOPIC,
            numPartitions: PARTITIONS,
            replicationFactor: 1,
            assignments: [],
            configs: [],
          },
        ],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      assert.equal(res.topics[0]!.errorCode, 0);
    }
    await verify(client, cycle);
    client.close();
    if (cycle === CYCLES) {
      await broker.kill('SIGTERM');
      break;
    }
    await produceAndKill(broker, cycle);
  }
  const ackedRecords = acked.reduce((n, m) => n + m.size, 0);
  assert.ok(ackedRecords > CYCLES * 10, `${ackedRecords} records acknowledged`);
  t.diagnostic(
    `${ackedRecords} records acknowledged, all present; ${unackedStored} more stored from requests in flight at a kill`,
  );
});

// Side by side with Apache Kafka: the same data-path requests (Produce, Fetch and sessions,
// ListOffsets, OffsetForLeaderEpoch, DeleteRecords, InitProducerId, DescribeProducers,
// DescribeLogDirs) against a broker at PORT, or an embedded Samsa when no port is given; prints
// the answers as JSON (ids and times left out) for a diff. Not a test: it needs a real Kafka.
//
//   KAFKA_VERSION=3.9.1 KAFKA_RUN_DIR=/tmp/x tools/capture/kafka-broker.sh start   # prints PORT
//   node --import tsx test/broker/handlers/kafka-side-by-side.ts PORT > kafka.json
//   node --import tsx test/broker/handlers/kafka-side-by-side.ts > samsa.json
//   KAFKA_RUN_DIR=/tmp/x tools/capture/kafka-broker.sh stop
//
// Last run (Kafka 3.9.1, fresh data dir): every answer equal except the deliberate differences:
// Samsa's error messages (Kafka sends null outside record errors), codec id 7 (Kafka -1,
// Samsa UNSUPPORTED_COMPRESSION_TYPE, see records/validate.ts) and the log append time of a
// duplicate idempotent batch on a CreateTime topic (Kafka the batch's timestamp, Samsa -1).
import { crc32c } from '@node-rs/crc32';
import { startBroker } from '../../../src/broker/index.js';
import { CreateTopicsApi } from '../../../src/protocol/messages/create-topics.js';
import { DeleteRecordsApi } from '../../../src/protocol/messages/delete-records.js';
import { DescribeLogDirsApi } from '../../../src/protocol/messages/describe-log-dirs.js';
import { DescribeProducersApi } from '../../../src/protocol/messages/describe-producers.js';
import { FetchApi, type FetchRequest } from '../../../src/protocol/messages/fetch.js';
import { InitProducerIdApi } from '../../../src/protocol/messages/init-producer-id.js';
import { ListOffsetsApi } from '../../../src/protocol/messages/list-offsets.js';
import { MetadataApi } from '../../../src/protocol/messages/metadata.js';
import { OffsetForLeaderEpochApi } from '../../../src/protocol/messages/offset-for-leader-epoch.js';
import { ProduceApi } from '../../../src/protocol/messages/produce.js';
import { buildRecordBatch, CompressionType } from '../../../src/protocol/records/index.js';
import { WireClient } from '../../helpers/wire-client.js';
import { buildBatch } from '../../storage/batches.js';

const port = Number(process.argv[2] ?? 0);
const embedded = port ? undefined : await startBroker({ port: 0, logLevel: 'error' });
const c = await WireClient.connect(port || embedded!.port);
const out: Record<string, unknown> = {};
const now = Date.now();
const j = (x: unknown) =>
  JSON.parse(
    JSON.stringify(x, (_, v) =>
      typeof v === 'bigint'
        ? Number(v)
        : Buffer.isBuffer(v) || v?.type === 'Buffer'
          ? `bytes(${(v.data ?? v).length})`
          : v,
    ),
  );

async function create(name: string, configs: Record<string, string> = {}, partitions = 1) {
  const r = await c.request(CreateTopicsApi, 5, {
    topics: [
      {
        name,
        numPartitions: partitions,
        replicationFactor: 1,
        assignments: [],
        configs: Object.entries(configs).map(([n, v]) => ({ name: n, value: v })),
      },
    ],
    timeoutMs: 10000,
    validateOnly: false,
  });
  return r.topics[0]!.errorCode;
}
async function produce(
  topic: string,
  records: Buffer,
  o: { v?: number; acks?: number; txn?: string | null } = {},
) {
  const r = await c.request(ProduceApi, o.v ?? 9, {
    transactionalId: o.txn ?? null,
    acks: o.acks ?? -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  const p = r.responses[0]!.partitionResponses[0]!;
  return j({
    e: p.errorCode,
    base: p.baseOffset,
    lat: p.logAppendTimeMs,
    lso: p.logStartOffset,
    recErr: p.recordErrors,
    msg: p.errorMessage ? 'set' : null,
  });
}
function fetchReq(
  topic: string,
  topicId: string,
  p: { offset: number; cle?: number; lfe?: number },
  extra: Partial<FetchRequest> = {},
): FetchRequest {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1e6,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: p.cle ?? -1,
            fetchOffset: BigInt(p.offset),
            lastFetchedEpoch: p.lfe ?? -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1e6,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
    ...extra,
  };
}
async function fetch(v: number, req: FetchRequest) {
  const r = await c.request(FetchApi, v, req);
  return j({
    e: r.errorCode,
    sess: r.sessionId ? 'id' : 0,
    parts: r.responses.map((t) =>
      t.partitions.map((p) => ({
        e: p.errorCode,
        hw: p.highWatermark,
        lso: p.lastStableOffset,
        ls: p.logStartOffset,
        at: p.abortedTransactions,
        div: p.divergingEpoch,
        cl: p.currentLeader,
        rec: p.records === null ? null : p.records!.length,
      })),
    ),
  });
}
async function listOffsets(v: number, topic: string, ts: number, iso = 0) {
  const r = await c.request(ListOffsetsApi, v, {
    replicaId: -1,
    isolationLevel: iso,
    timeoutMs: 1000,
    topics: [
      {
        name: topic,
        partitions: [
          { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: BigInt(ts), maxNumOffsets: 10 },
        ],
      },
    ],
  });
  return j(r.topics[0]!.partitions[0]!);
}

out.create = [
  await create('cmp-a'),
  await create('cmp-minisr', { 'min.insync.replicas': '2' }),
  await create('cmp-compact', { 'cleanup.policy': 'compact' }),
  await create('cmp-large', { 'max.message.bytes': '1000' }),
  await create('cmp-empty'),
  await create('cmp-idem'),
];
await new Promise((r) => setTimeout(r, 1000));
const md = await c.request(MetadataApi, 12, {
  topics: [{ name: 'cmp-a', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }],
  allowAutoTopicCreation: false,
  includeTopicAuthorizedOperations: false,
});
const topicId = md.topics[0]!.topicId!;
out.produceOk = await produce('cmp-a', buildBatch({ records: 3, baseTimestamp: now }));
out.produceAcks2 = await produce('cmp-a', buildBatch({ baseTimestamp: now }), { acks: 2 });
const bad = buildBatch({ records: 2, baseTimestamp: now });
bad[bad.length - 1] ^= 0xff;
out.produceCrc = await produce('cmp-a', bad);
out.produceLarge = await produce(
  'cmp-large',
  buildBatch({ records: 1, valueSize: 2000, baseTimestamp: now }),
);
const zstd = buildRecordBatch({
  compression: CompressionType.Zstd,
  records: [{ value: Buffer.from('z'), timestamp: now }],
}).buf;
out.produceZstdV6 = await produce('cmp-a', zstd, { v: 6 });
const unk = buildBatch({ baseTimestamp: now, attributes: 0x07 });
unk.writeUInt32BE(crc32c(unk.subarray(21)) >>> 0, 17);
out.produceCodec7 = await produce('cmp-a', unk);
out.produceUnknownTopic = await produce('cmp-nope', buildBatch({ baseTimestamp: now }));
out.produceMinIsrAll = await produce('cmp-minisr', buildBatch({ baseTimestamp: now }));
out.produceMinIsrOne = await produce('cmp-minisr', buildBatch({ baseTimestamp: now }), { acks: 1 });
out.produceCompactNoKey = await produce(
  'cmp-compact',
  buildBatch({
    records: [
      { key: 'k', value: 'a' },
      { key: null, value: 'b' },
    ],
    baseTimestamp: now,
  }),
  { v: 8 },
);
out.produceTxnNoId = await produce(
  'cmp-a',
  buildBatch({
    producerId: 7,
    producerEpoch: 0,
    baseSequence: 0,
    transactional: true,
    baseTimestamp: now,
  }),
);
let pid = await c.request(InitProducerIdApi, 4, {
  transactionalId: null,
  transactionTimeoutMs: 60000,
  producerId: -1n,
  producerEpoch: -1,
});
for (let i = 0; i < 50 && pid.errorCode === 14; i++) {
  await new Promise((r) => setTimeout(r, 200));
  pid = await c.request(InitProducerIdApi, 4, {
    transactionalId: null,
    transactionTimeoutMs: 60000,
    producerId: -1n,
    producerEpoch: -1,
  });
}
out.initPid = j({ e: pid.errorCode, epoch: pid.producerEpoch });
out.initPidEmptyTxn = (
  await c.request(InitProducerIdApi, 4, {
    transactionalId: '',
    transactionTimeoutMs: 60000,
    producerId: -1n,
    producerEpoch: -1,
  })
).errorCode;
out.initPidBadTimeout = (
  await c.request(InitProducerIdApi, 4, {
    transactionalId: 'tx',
    transactionTimeoutMs: 0,
    producerId: -1n,
    producerEpoch: -1,
  })
).errorCode;
const P = Number(pid.producerId);
const idem = (seq: number, epoch = 0) =>
  buildBatch({
    records: 2,
    producerId: P,
    producerEpoch: epoch,
    baseSequence: seq,
    baseTimestamp: now,
  });
out.idem = [
  await produce('cmp-idem', idem(0)),
  await produce('cmp-idem', idem(2)),
  await produce('cmp-idem', idem(0)),
  await produce('cmp-idem', idem(7)),
  await produce('cmp-idem', idem(0, 1)),
  await produce('cmp-idem', idem(4, 0)),
];
const dp = await c.request(DescribeProducersApi, 0, {
  topics: [{ name: 'cmp-idem', partitionIndexes: [0, 3] }],
});
out.describeProducers = j(
  dp.topics[0]!.partitions.map((p) => ({
    e: p.errorCode,
    prods: p.activeProducers.map((a) => ({
      epoch: a.producerEpoch,
      seq: a.lastSequence,
      ce: a.coordinatorEpoch,
      txn: a.currentTxnStartOffset,
    })),
  })),
);
out.fetchOk = await fetch(11, fetchReq('cmp-a', topicId, { offset: 1 }));
out.fetchOkRC = await fetch(11, fetchReq('cmp-a', topicId, { offset: 1 }, { isolationLevel: 1 }));
out.fetchOut = await fetch(11, fetchReq('cmp-a', topicId, { offset: 10 }));
out.fetchOutRC = await fetch(11, fetchReq('cmp-a', topicId, { offset: 10 }, { isolationLevel: 1 }));
out.fetchUnknownTopic = await fetch(11, fetchReq('cmp-nope', topicId, { offset: 0 }));
out.fetchUnknownId = await fetch(13, fetchReq('', 'AAAAAAAAAAAAAAAAAAAAAQ', { offset: 0 }));
out.fetchEpochFuture = await fetch(13, fetchReq('', topicId, { offset: 0, cle: 3 }));
out.fetchEpochFuture17 = await fetch(17, fetchReq('', topicId, { offset: 0, cle: 3 }));
out.fetchLfeBeyond = await fetch(12, fetchReq('cmp-a', topicId, { offset: 3, lfe: 5 }));
out.fetchLfeOk = await fetch(12, fetchReq('cmp-a', topicId, { offset: 3, lfe: 0 }));
const full = await c.request(
  FetchApi,
  13,
  fetchReq('', topicId, { offset: 0 }, { sessionEpoch: 0 }),
);
out.sessionFull = j({ e: full.errorCode, hasId: full.sessionId !== 0, n: full.responses.length });
out.sessionInc = await fetch(
  13,
  fetchReq('', topicId, { offset: 0 }, { sessionId: full.sessionId, sessionEpoch: 1, topics: [] }),
);
out.sessionStale = await fetch(
  13,
  fetchReq('', topicId, { offset: 0 }, { sessionId: full.sessionId, sessionEpoch: 1, topics: [] }),
);
out.sessionUnknown = await fetch(
  13,
  fetchReq('', topicId, { offset: 0 }, { sessionId: 12345, sessionEpoch: 1, topics: [] }),
);
out.sessionMode = await fetch(
  12,
  fetchReq(
    'cmp-a',
    topicId,
    { offset: 0 },
    { sessionId: full.sessionId, sessionEpoch: 2, topics: [] },
  ),
);
out.sessionClose = await fetch(
  13,
  fetchReq('', topicId, { offset: 0 }, { sessionId: full.sessionId, sessionEpoch: -1, topics: [] }),
);
out.loLatest = [
  await listOffsets(7, 'cmp-a', -1),
  await listOffsets(1, 'cmp-a', -1),
  await listOffsets(7, 'cmp-a', -1, 1),
];
out.loEarliest = await listOffsets(7, 'cmp-a', -2);
out.loMax = await listOffsets(7, 'cmp-a', -3);
out.loMaxEmpty = await listOffsets(7, 'cmp-empty', -3);
out.loMaxV6 = await listOffsets(6, 'cmp-a', -3);
out.loLocal = [await listOffsets(8, 'cmp-a', -4), await listOffsets(7, 'cmp-a', -4)];
out.loTiered = [await listOffsets(9, 'cmp-a', -5), await listOffsets(8, 'cmp-a', -5)];
out.loMinus6 = await listOffsets(9, 'cmp-a', -6);
out.loTs = [await listOffsets(7, 'cmp-a', now - 1000), await listOffsets(7, 'cmp-a', now + 100000)];
out.loV0 = [
  await listOffsets(0, 'cmp-a', -1),
  await listOffsets(0, 'cmp-a', -2),
  await listOffsets(0, 'cmp-empty', -1),
  await listOffsets(0, 'cmp-a', -3),
];
const ofle = async (epoch: number, cle = -1) =>
  j(
    (
      await c.request(OffsetForLeaderEpochApi, 4, {
        replicaId: -1,
        topics: [
          {
            topic: 'cmp-a',
            partitions: [{ partition: 0, currentLeaderEpoch: cle, leaderEpoch: epoch }],
          },
        ],
      })
    ).topics[0]!.partitions[0]!,
  );
out.ofle = [await ofle(0), await ofle(5), await ofle(0, 2)];
const dr = async (topic: string, offset: number) =>
  j(
    (
      await c.request(DeleteRecordsApi, 2, {
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: BigInt(offset) }] }],
        timeoutMs: 5000,
      })
    ).topics[0]!.partitions[0]!,
  );
out.deleteRecords = [
  await dr('cmp-a', 100),
  await dr('cmp-a', 1),
  await dr('cmp-a', -1),
  await dr('cmp-compact', 0),
  await dr('cmp-nope', 0),
];
out.fetchBelowStart = await fetch(11, fetchReq('cmp-a', topicId, { offset: 0 }));
const dld = await c.request(DescribeLogDirsApi, 4, {
  topics: [{ topic: 'cmp-a', partitions: [0, 9] }],
});
out.dld = j({
  e: dld.errorCode,
  n: dld.results.length,
  dirErr: dld.results[0]!.errorCode,
  topics: dld.results[0]!.topics.map((t) => [
    t.name,
    t.partitions.map((p) => [p.partitionIndex, p.offsetLag, p.isFutureKey]),
  ]),
  total: (dld.results[0]!.totalBytes ?? 0n) > 0n,
});
console.log(JSON.stringify(out, null, 1));
c.close();
await embedded?.stop();

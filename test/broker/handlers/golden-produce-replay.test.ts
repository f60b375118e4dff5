// Replays the Produce requests real clients sent to Apache Kafka (test/fixtures/golden: kcat /
// librdkafka 2.0 and 2.16, KafkaJS 2.2.4, Java 3.9.1; every codec, plain and idempotent) against
// Samsa, byte for byte and in capture order, one fresh broker per client folder with the topics
// (and partition counts) Kafka had. Each answer must equal Kafka's for every partition: error
// code, base offset, log append time and log start offset. So real producers' batches, CRCs,
// codecs and idempotent sequences are accepted exactly as Kafka accepted them, at the same
// offsets.
//
// The one known difference: transactional batches (produce-transactional) are refused with
// INVALID_PRODUCER_ID_MAPPING, since Samsa has no transaction coordinator yet. 4.x clients'
// Produce v12 frames are not replayed: Samsa's ApiVersions never offers v12.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { MetadataApi } from '../../../src/protocol/messages/metadata.js';
import { ProduceApi, type ProduceResponse } from '../../../src/protocol/messages/produce.js';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { startTestBroker } from './helpers.js';

const GOLDEN = join(import.meta.dirname, '../../fixtures/golden');
const FOLDERS = [
  'kcat-1.7.1',
  'kcat-1.7.1-broker-4.0.2',
  'kafkajs-2.2.4',
  'kafkajs-2.2.4-broker-4.0.2',
  'confluent-kafka-python-2.16.1-librdkafka-2.16.0',
  'confluent-kafka-python-2.16.1-librdkafka-2.16.0-broker-4.0.2',
  'java-kafka-clients-3.9.1',
];
const SCENARIOS = [
  ...['none', 'gzip', 'snappy', 'lz4', 'zstd'].map((c) => `produce-${c}`),
  ...['none', 'gzip', 'snappy', 'lz4', 'zstd'].map((c) => `produce-idempotent-${c}`),
  'produce-transactional',
];
const PRODUCE = 0;
const METADATA = 3;

interface Frame {
  seq: number;
  conn: number;
  dir: 'req' | 'resp';
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  file: string;
}

function frames(dir: string): Frame[] {
  return readFileSync(join(dir, 'index.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Frame);
}

function decodeResponse<Res>(
  api: { responseHeaderVersion(v: number): number; decodeResponse(r: Reader, v: number): Res },
  frame: Buffer,
  version: number,
): Res {
  const r = new Reader(frame);
  r.int32();
  if (api.responseHeaderVersion(version) >= 1) r.taggedFields();
  return api.decodeResponse(r, version);
}

function decodeProduceRequest(frame: Buffer, version: number) {
  const r = new Reader(frame);
  r.int16();
  r.int16();
  r.int32();
  r.nullableString();
  if (ProduceApi.requestHeaderVersion(version) >= 2) r.taggedFields();
  return ProduceApi.decodeRequest(r, version);
}

/**
 * Topic -> partition count, from every Metadata answer Kafka gave in the folder (of versions
 * the codecs know), else from the largest partition index produced to.
 */
function partitionCounts(folder: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const scenario of readdirSync(folder)) {
    const dir = join(folder, scenario);
    for (const f of frames(dir)) {
      if (f.apiKey === PRODUCE && f.dir === 'req' && f.apiVersion <= ProduceApi.maxVersion) {
        const body = decodeProduceRequest(readFileSync(join(dir, f.file)), f.apiVersion);
        for (const t of body.topicData) {
          const highest = Math.max(...t.partitionData.map((p) => p.index));
          counts.set(t.name, Math.max(counts.get(t.name) ?? 0, highest + 1));
        }
      }
      if (f.apiKey !== METADATA || f.dir !== 'resp' || f.apiVersion > MetadataApi.maxVersion)
        continue;
      const body = decodeResponse(MetadataApi, readFileSync(join(dir, f.file)), f.apiVersion);
      for (const t of body.topics) {
        if (t.errorCode !== 0 || !t.name) continue;
        counts.set(t.name, Math.max(counts.get(t.name) ?? 0, t.partitions.length));
      }
    }
  }
  return counts;
}

class RawConnection {
  private buffered = Buffer.alloc(0);
  private waiting: ((frame: Buffer) => void) | undefined;
  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      if (this.buffered.length < 4) return;
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      this.waiting?.(frame);
    });
  }
  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }
  send(frame: Buffer): Promise<Buffer> {
    const size = Buffer.alloc(4);
    size.writeInt32BE(frame.length);
    const answer = new Promise<Buffer>((resolve, reject) => {
      this.waiting = resolve;
      this.socket.once('close', () => reject(new Error('connection closed')));
    });
    this.socket.write(Buffer.concat([size, frame]));
    return answer;
  }
  close(): void {
    this.socket.destroy();
  }
}

type PartitionAnswer = [string, number, number, bigint, bigint | undefined, bigint | undefined];

function answers(res: ProduceResponse): PartitionAnswer[] {
  return res.responses
    .flatMap((t) =>
      t.partitionResponses.map(
        (p): PartitionAnswer => [
          t.name,
          p.index,
          p.errorCode,
          p.baseOffset,
          p.logAppendTimeMs,
          p.logStartOffset,
        ],
      ),
    )
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
}

for (const folder of FOLDERS) {
  test(`${folder}: Samsa answers each captured Produce request as Kafka did`, async () => {
    const root = join(GOLDEN, folder);
    const counts = partitionCounts(root);
    const broker = await startTestBroker();
    const connections = new Map<string, RawConnection>();
    let compared = 0;
    try {
      for (const scenario of SCENARIOS.filter((s) => readdirSync(root).includes(s))) {
        const dir = join(root, scenario);
        const all = frames(dir);
        for (const req of all.filter((f) => f.apiKey === PRODUCE && f.dir === 'req')) {
          if (req.apiVersion > ProduceApi.maxVersion) continue;
          const frame = readFileSync(join(dir, req.file));
          const body = decodeProduceRequest(frame, req.apiVersion);
          for (const t of body.topicData) {
            if (broker.embedded.broker.topics.topic(t.name)) continue;
            await broker.createTopic(t.name, counts.get(t.name) ?? 1);
          }
          const kafkaFrame = all.find(
            (f) => f.dir === 'resp' && f.conn === req.conn && f.correlationId === req.correlationId,
          );
          assert.ok(kafkaFrame, `${scenario} ${req.file} has Kafka's answer`);
          const expected = answers(
            decodeResponse(ProduceApi, readFileSync(join(dir, kafkaFrame.file)), req.apiVersion),
          );
          const key = `${scenario}/${req.conn}`;
          let conn = connections.get(key);
          if (!conn) connections.set(key, (conn = await RawConnection.open(broker.port)));
          const actual = answers(
            decodeResponse(ProduceApi, await conn.send(frame), req.apiVersion),
          );
          if (scenario === 'produce-transactional' && body.transactionalId) {
            assert.ok(
              actual.every((a) => a[2] === 49),
              `${scenario} ${req.file}: ${JSON.stringify(actual, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
            );
            continue;
          }
          assert.deepEqual(actual, expected, `${scenario} ${req.file}`);
          compared += actual.length;
        }
      }
      assert.ok(compared > 0);
    } finally {
      for (const c of connections.values()) c.close();
      await broker.stop();
    }
  });
}

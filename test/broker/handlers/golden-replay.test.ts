// Replays the metadata and admin requests real clients sent to Apache Kafka (the frames under
// test/fixtures/golden) against Samsa, byte for byte, in the order they were captured: one fresh
// broker per client folder, as the captures had one fresh Kafka per client. Every answer must
// decode at the request's version, and say what Kafka said: the same errors per topic or
// resource, the same topics, partition counts and topic overrides. Among them is the
// librdkafka 2.16 Metadata v12 frame with 3 trailing bytes (python admin-metadata), which
// the connection must answer like any other.
//
// Known differences, not compared: the internal topics Kafka's coordinators created along the
// way (Samsa's are created by its own coordinators, whose requests are not replayed here), and
// frames of versions newer than the specs (Metadata v13 from 4.x clients against Kafka 4.0),
// which a client never sends to Samsa because ApiVersions does not offer them.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { INTERNAL_TOPICS } from '../../../src/cluster/topic-registry.js';
import { AlterConfigsApi } from '../../../src/protocol/messages/alter-configs.js';
import type { ApiCodec } from '../../../src/protocol/messages/codec.js';
import { CreatePartitionsApi } from '../../../src/protocol/messages/create-partitions.js';
import { CreateTopicsApi } from '../../../src/protocol/messages/create-topics.js';
import { DeleteTopicsApi } from '../../../src/protocol/messages/delete-topics.js';
import { DescribeClusterApi } from '../../../src/protocol/messages/describe-cluster.js';
import { DescribeConfigsApi } from '../../../src/protocol/messages/describe-configs.js';
import { DescribeTopicPartitionsApi } from '../../../src/protocol/messages/describe-topic-partitions.js';
import { IncrementalAlterConfigsApi } from '../../../src/protocol/messages/incremental-alter-configs.js';
import { MetadataApi } from '../../../src/protocol/messages/metadata.js';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { type AdminTestBroker, errorName, startAdminBroker } from './admin-helpers.js';

const GOLDEN = join(import.meta.dirname, '../../fixtures/golden');

// biome-ignore lint/suspicious/noExplicitAny: decoded bodies of many APIs are compared generically
type Body = any;
const APIS = new Map<number, ApiCodec<Body, Body>>(
  [
    MetadataApi,
    CreateTopicsApi,
    DeleteTopicsApi,
    CreatePartitionsApi,
    DescribeConfigsApi,
    AlterConfigsApi,
    IncrementalAlterConfigsApi,
    DescribeClusterApi,
    DescribeTopicPartitionsApi,
  ].map((api) => [api.apiKey, api as ApiCodec<Body, Body>]),
);

// The order tools/capture ran each client's scenarios in (each client uses a subset).
const SCENARIO_ORDER = [
  'metadata-empty',
  'admin-create-topics',
  'admin-metadata',
  'admin-describe-cluster',
  'admin-describe-configs',
  'admin-alter-configs',
  'admin-incremental-alter-configs',
  'admin-create-partitions',
  ...['none', 'gzip', 'snappy', 'lz4', 'zstd'].map((c) => `produce-${c}`),
  ...['none', 'gzip', 'snappy', 'lz4', 'zstd'].map((c) => `produce-idempotent-${c}`),
  'produce-transactional',
  'metadata-all',
  'metadata-topic',
  'admin-list-offsets',
  'consume-beginning',
  'consume-offset-partition',
  'consume-assign',
  'consume-group',
  'consume-group-classic',
  'consume-group-consumer',
  'consume-group-consumer-protocol',
  'admin-groups',
  'admin-group-offsets',
  'query-offsets',
  'admin-delete-records',
  'admin-delete-topics',
];

interface Frame {
  seq: number;
  conn: number;
  dir: 'req' | 'resp';
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  file: string;
}

/** One connection that sends a raw request frame and reads back one response frame. */
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

function decodeResponse(api: ApiCodec<Body, Body>, version: number, frame: Buffer) {
  const r = new Reader(frame);
  const correlationId = r.int32();
  if (api.responseHeaderVersion(version) >= 1) r.taggedFields();
  const body = api.decodeResponse(r, version);
  return { correlationId, body, extra: r.remaining() };
}

const visible = (name: string | null) => name === null || !INTERNAL_TOPICS.has(name);
const errors = (list: Body[], key = 'name') =>
  Object.fromEntries(
    list.filter((x) => visible(x[key])).map((x) => [x[key], errorName(x.errorCode)]),
  );
const overridesOf = (configs: Body[] | null | undefined) =>
  Object.fromEntries(
    (configs ?? []).filter((c) => c.configSource === 1).map((c) => [c.name, c.value]),
  );

/** The parts of an answer that must match Kafka's, per API. */
function essentials(apiKey: number, version: number, body: Body): unknown {
  switch (apiKey) {
    case MetadataApi.apiKey:
      return {
        brokers: body.brokers.length,
        topics: Object.fromEntries(
          body.topics
            .filter((t: Body) => visible(t.name))
            .map((t: Body) => [
              t.name ?? t.topicId,
              [errorName(t.errorCode), t.isInternal, t.partitions.length],
            ]),
        ),
        clusterOps: body.clusterAuthorizedOperations,
      };
    case CreateTopicsApi.apiKey:
      return body.topics.map((t: Body) => [
        t.name,
        errorName(t.errorCode),
        version >= 5 ? [t.numPartitions, t.replicationFactor, overridesOf(t.configs)] : null,
      ]);
    case DeleteTopicsApi.apiKey:
      return errors(body.responses);
    case CreatePartitionsApi.apiKey:
      return errors(body.results);
    case DescribeConfigsApi.apiKey:
      return body.results.map((r: Body) => [
        r.resourceType,
        r.resourceName,
        errorName(r.errorCode),
        r.resourceType === 2 ? overridesOf(r.configs) : r.configs.length > 0,
      ]);
    case AlterConfigsApi.apiKey:
    case IncrementalAlterConfigsApi.apiKey:
      return errors(body.responses, 'resourceName');
    case DescribeClusterApi.apiKey:
      return [errorName(body.errorCode), body.brokers.length, body.clusterAuthorizedOperations];
    case DescribeTopicPartitionsApi.apiKey:
      return {
        topics: body.topics.map((t: Body) => [t.name, errorName(t.errorCode), t.partitions.length]),
        next: body.nextCursor,
      };
    default:
      throw new Error(`no comparison for API ${apiKey}`);
  }
}

function scenarios(folder: string): string[] {
  const rank = (s: string) => {
    const i = SCENARIO_ORDER.indexOf(s);
    return i < 0 ? SCENARIO_ORDER.length : i;
  };
  return readdirSync(join(GOLDEN, folder), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
}

const folders = readdirSync(GOLDEN, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

for (const folder of folders) {
  test(`${folder}: metadata and admin requests answered as Kafka answered them`, async () => {
    // The captures' broker: num.partitions=1 and log.segment.bytes=16777216 (kafka-broker.sh).
    const b: AdminTestBroker = await startAdminBroker({ 'log.segment.bytes': '16777216' });
    let replayed = 0;
    try {
      for (const scenario of scenarios(folder)) {
        const dir = join(GOLDEN, folder, scenario);
        const frames: Frame[] = readFileSync(join(dir, 'index.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        const connections = new Map<number, RawConnection>();
        try {
          for (const req of frames) {
            const api = APIS.get(req.apiKey);
            if (req.dir !== 'req' || !api || req.apiVersion > api.maxVersion) continue;
            const kafka = frames.find(
              (f) =>
                f.dir === 'resp' && f.conn === req.conn && f.correlationId === req.correlationId,
            );
            let conn = connections.get(req.conn);
            if (!conn) {
              conn = await RawConnection.open(b.port);
              connections.set(req.conn, conn);
            }
            const what = `${scenario} ${req.file} (${api.name} v${req.apiVersion})`;
            const ours = decodeResponse(
              api,
              req.apiVersion,
              await conn.send(readFileSync(join(dir, req.file))),
            );
            assert.equal(ours.correlationId, req.correlationId, what);
            assert.equal(ours.extra, 0, what);
            replayed++;
            if (!kafka) continue;
            const theirs = decodeResponse(api, req.apiVersion, readFileSync(join(dir, kafka.file)));
            assert.deepEqual(
              essentials(req.apiKey, req.apiVersion, ours.body),
              essentials(req.apiKey, req.apiVersion, theirs.body),
              what,
            );
          }
        } finally {
          for (const c of connections.values()) c.close();
        }
      }
    } finally {
      await b.stop();
    }
    assert.ok(replayed > 0, 'the folder has metadata or admin requests');
  });
}

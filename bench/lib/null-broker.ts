// A Kafka endpoint that keeps nothing on disk: it answers Produce at once with offsets counted
// from each batch header. Driven by the same load generator as the real brokers, it shows that
// generator's ceiling on this machine: a broker can add work to the path, never remove the
// generator's own, so no broker can go much faster than this one. It speaks what producers
// need (ApiVersions, Metadata, InitProducerId, Produce, CreateTopics) and, for topics it is told
// to retain, what consumers need (null-broker-fetch.ts: Fetch from memory, ListOffsets, a
// group of one); anything else closes the connection.
//
// Run as a child process (`node --import tsx bench/lib/null-broker.ts PORT [PARTITIONS]
// [RETAINED,TOPICS]`) so it has its own event loop and its CPU time can be read from /proc like
// the brokers under test.
import { createServer, type Socket } from 'node:net';
import { ApiVersionsApi } from '../../src/protocol/messages/api-versions.js';
import type { ApiCodec } from '../../src/protocol/messages/codec.js';
import {
  CreateTopicsApi,
  type CreateTopicsRequest,
} from '../../src/protocol/messages/create-topics.js';
import { FetchApi } from '../../src/protocol/messages/fetch.js';
import { InitProducerIdApi } from '../../src/protocol/messages/init-producer-id.js';
import { ListOffsetsApi } from '../../src/protocol/messages/list-offsets.js';
import { MetadataApi, type MetadataRequest } from '../../src/protocol/messages/metadata.js';
import { ProduceApi, type ProduceRequest } from '../../src/protocol/messages/produce.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { randomUuid } from '../../src/protocol/primitives/uuid.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { addFetchHandlers, RetainedLog } from './null-broker-fetch.js';

const NODE_ID = 1;
const LAST_OFFSET_DELTA_AT = 23;
const BATCH_LENGTH_AT = 8;
const BATCH_HEADER_BYTES = 61;

interface Topic {
  id: string;
  /** Next offset of each partition. */
  next: number[];
  /** The batches of each partition, for a topic that is retained. */
  retained?: RetainedLog[];
}

type Handle = (request: never, version: number) => unknown;

/**
 * Appends that only count (the offset a batch would get, from its header alone), except for
 * the topics named in `retain`, whose batches are kept in memory to be fetched.
 */
export class NullLog {
  readonly topics = new Map<string, Topic>();
  private producerId = 1000n;

  constructor(
    private readonly defaultPartitions = 1,
    private readonly retain: ReadonlySet<string> = new Set(),
  ) {}

  topic(name: string, partitions = this.defaultPartitions): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = { id: randomUuid(), next: new Array(partitions).fill(0) };
      if (this.retain.has(name)) t.retained = t.next.map(() => new RetainedLog());
      this.topics.set(name, t);
    }
    return t;
  }

  retained(name: string, partition: number): RetainedLog | undefined {
    return this.topics.get(name)?.retained?.[partition];
  }

  topicName(id: string): string | undefined {
    for (const [name, t] of this.topics) if (t.id === id) return name;
    return undefined;
  }

  /** The base offset of `records` (one or more v2 batches), or -1 for bytes that are not. */
  append(name: string, partition: number, records: Buffer | null): number {
    const t = this.topics.get(name);
    if (!t || partition < 0 || partition >= t.next.length || !records) return -1;
    const base = t.next[partition]!;
    let at = 0;
    let next = base;
    while (at + BATCH_HEADER_BYTES <= records.length) {
      next += records.readInt32BE(at + LAST_OFFSET_DELTA_AT) + 1;
      at += 12 + records.readInt32BE(at + BATCH_LENGTH_AT);
    }
    if (next === base) return -1;
    t.next[partition] = next;
    t.retained?.[partition]?.append(records, base);
    return base;
  }

  nextProducerId(): bigint {
    return this.producerId++;
  }
}

export function handlers(log: NullLog, port: number): Map<number, [ApiCodec, Handle]> {
  const h = new Map<number, [ApiCodec, Handle]>();
  const add = <Req>(api: ApiCodec<Req>, fn: (req: Req, version: number) => unknown) =>
    h.set(api.apiKey, [api as ApiCodec, fn as Handle]);
  // Produce v0-2 and Fetch v0-3 carry no v2 batches, ListOffsets v0 a list of offsets: not
  // spoken. Everything else in every version the codecs have.
  const lowest = new Map([
    [ProduceApi.apiKey, 3],
    [FetchApi.apiKey, 4],
    [ListOffsetsApi.apiKey, 1],
  ]);
  add(ApiVersionsApi, () => ({
    errorCode: 0,
    apiKeys: [...h.values()].map(([api]) => ({
      apiKey: api.apiKey,
      minVersion: lowest.get(api.apiKey) ?? api.minVersion,
      maxVersion: api.latestVersionUnstable ? api.maxVersion - 1 : api.maxVersion,
    })),
    throttleTimeMs: 0,
  }));
  add(MetadataApi, (req: MetadataRequest) => {
    const names = req.topics === null ? [...log.topics.keys()] : req.topics.map((t) => t.name!);
    return {
      brokers: [{ nodeId: NODE_ID, host: '127.0.0.1', port, rack: null }],
      clusterId: 'null-broker',
      controllerId: NODE_ID,
      topics: names.map((name) => {
        const t = log.topic(name);
        return {
          errorCode: 0,
          name,
          topicId: t.id,
          isInternal: false,
          partitions: t.next.map((_, i) => ({
            errorCode: 0,
            partitionIndex: i,
            leaderId: NODE_ID,
            leaderEpoch: 0,
            replicaNodes: [NODE_ID],
            isrNodes: [NODE_ID],
            offlineReplicas: [],
          })),
        };
      }),
    };
  });
  add(InitProducerIdApi, () => ({
    throttleTimeMs: 0,
    errorCode: 0,
    producerId: log.nextProducerId(),
    producerEpoch: 0,
  }));
  add(CreateTopicsApi, (req: CreateTopicsRequest) => ({
    topics: req.topics.map((t) => {
      const exists = log.topics.has(t.name);
      const topic = log.topic(t.name, t.numPartitions > 0 ? t.numPartitions : undefined);
      return {
        name: t.name,
        topicId: topic.id,
        errorCode: exists ? 36 : 0, // TOPIC_ALREADY_EXISTS
        errorMessage: exists ? `Topic '${t.name}' already exists.` : null,
        numPartitions: topic.next.length,
        replicationFactor: 1,
        configs: [],
      };
    }),
  }));
  add(ProduceApi, (req: ProduceRequest) => {
    if (req.acks === 0) {
      for (const t of req.topicData)
        for (const p of t.partitionData) log.append(t.name, p.index, p.records);
      return undefined;
    }
    return {
      responses: req.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => {
          const base = log.append(t.name, p.index, p.records);
          return {
            index: p.index,
            errorCode: base < 0 ? 3 : 0, // UNKNOWN_TOPIC_OR_PARTITION
            baseOffset: BigInt(base),
            logAppendTimeMs: -1n,
            logStartOffset: 0n,
            recordErrors: [],
            errorMessage: null,
          };
        }),
      })),
      throttleTimeMs: 0,
    };
  });
  addFetchHandlers(
    {
      log: (topic, partition) => log.retained(topic, partition),
      topicName: (id) => log.topicName(id),
      node: { nodeId: NODE_ID, host: '127.0.0.1', port },
    },
    add,
  );
  return h;
}

/** Length-prefixed frames out of socket chunks, without concatenating every chunk. */
function frames(socket: Socket, onFrame: (frame: Buffer) => void): void {
  let pending: Buffer[] = [];
  let have = 0;
  socket.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    have += chunk.length;
    while (have >= 4) {
      const head = pending[0]!.length >= 4 ? pending[0]! : Buffer.concat(pending);
      const size = head.readInt32BE(0);
      if (have < 4 + size) return;
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      onFrame(all.subarray(4, 4 + size));
      const rest = all.subarray(4 + size);
      pending = rest.length > 0 ? [rest] : [];
      have = rest.length;
    }
  });
}

export function serve(
  port: number,
  defaultPartitions = 1,
  retain: ReadonlySet<string> = new Set(),
) {
  const log = new NullLog(defaultPartitions, retain);
  let listening = port;
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const table = handlers(log, listening);
    socket.on('error', () => socket.destroy());
    // One request at a time per connection, as a broker does: answers go out in order.
    const queue: Buffer[] = [];
    let busy = false;
    const answer = (frame: Buffer): unknown => {
      const r = new Reader(frame);
      const apiKey = r.int16();
      const version = r.int16();
      const correlationId = r.int32();
      r.nullableString(); // client id
      const entry = table.get(apiKey);
      if (!entry) {
        socket.destroy();
        return undefined;
      }
      const [api, handle] = entry;
      if (api.requestHeaderVersion(version) >= 2) r.taggedFields();
      const send = (body: unknown) => {
        if (body === undefined || socket.destroyed) return;
        const w = new Writer(256);
        w.int32(0);
        w.int32(correlationId);
        if (api.responseHeaderVersion(version) >= 1) w.emptyTaggedFields();
        api.encodeResponse(body, version, w);
        const parts = w.toBuffers();
        parts[0]!.writeInt32BE(w.length - 4, 0);
        socket.cork();
        for (const part of parts) socket.write(part);
        socket.uncork();
      };
      const body = handle(api.decodeRequest(r, version) as never, version);
      if (body instanceof Promise) return body.then(send);
      send(body);
      return undefined;
    };
    const pump = () => {
      while (!busy && queue.length > 0) {
        const pending = answer(queue.shift()!);
        if (pending instanceof Promise) {
          busy = true;
          pending.then(
            () => {
              busy = false;
              pump();
            },
            () => socket.destroy(),
          );
        }
      }
    };
    frames(socket, (frame) => {
      queue.push(frame);
      pump();
    });
  });
  return new Promise<{ port: number; close(): Promise<void> }>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const a = server.address();
      listening = typeof a === 'object' && a ? a.port : port;
      resolve({
        port: listening,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy();
          }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const retain = new Set((process.argv[4] ?? '').split(',').filter(Boolean));
  const s = await serve(Number(process.argv[2] ?? 0), Number(process.argv[3] ?? 1), retain);
  console.log(`null broker listening on 127.0.0.1:${s.port}`);
}

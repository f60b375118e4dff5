// Broker data-path throughput: produce and consume MB/s against a Samsa broker running in its
// own child process (`samsa broker`), so the load generator never shares its event loop.
//
//   node --import tsx bench/broker-bench.ts [--mb 200] [--batch 16384] [--in-flight 16]
//                                           [--only produce] [--profile]
//
// Load: a lean pipelined wire client built on the generated codecs. Per record size (100 B and
// 1 KiB values, uncompressed, no keys), one fresh single-partition topic:
// - produce: the same pre-built batch of `--batch` bytes sent over and over with acks=1 (Produce
//   v9), `--in-flight` requests outstanding on one connection, until `--mb` MB are acknowledged;
// - consume: Fetch v12 from offset 0 to the end, one request at a time (as a consumer does),
//   1 MiB partition max bytes, 50 MiB response max bytes (the Java consumer's defaults).
// MB/s counts record-batch bytes; records/s counts records. --profile runs the broker with
// --cpu-prof and prints its heaviest functions by self time (KEEP_PROFILE=1 keeps the file).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ApiCodec } from '../src/protocol/messages/codec.js';
import { CreateTopicsApi } from '../src/protocol/messages/create-topics.js';
import { FetchApi } from '../src/protocol/messages/fetch.js';
import { ProduceApi } from '../src/protocol/messages/produce.js';
import { Reader } from '../src/protocol/primitives/reader.js';
import { Writer } from '../src/protocol/primitives/writer.js';
import { buildRecordBatch } from '../src/protocol/records/index.js';

const { values: opts } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    batch: { type: 'string', default: '16384' },
    'in-flight': { type: 'string', default: '16' },
    profile: { type: 'boolean', default: false },
    /** 'produce': skip the consume phase (to profile produce alone). */
    only: { type: 'string', default: 'both' },
  },
});
const TOTAL_BYTES = Number(opts.mb) * 1e6;
const BATCH_BYTES = Number(opts.batch);
const IN_FLIGHT = Number(opts['in-flight']);

const ROOT = join(import.meta.dirname, '..');

/** `samsa broker` in a child process (with --cpu-prof when profiling); resolves with its port. */
async function spawnBroker(
  dataDir: string,
  profDir: string | undefined,
): Promise<{ port: number; child: ChildProcess; stop(): Promise<void> }> {
  const args = [
    ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
    '--import',
    'tsx',
    join(ROOT, 'src/cli/main.ts'),
    'broker',
    '--override',
    `log.dirs=${dataDir}`,
    '--override',
    'listeners=PLAINTEXT://127.0.0.1:0',
    '--override',
    'log.segment.bytes=1073741824',
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, SAMSA_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const m = /ready on [^\s,]+:(\d+)/.exec(log);
      if (m) resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error(`broker exited before it was ready:\n${log}`)));
  });
  return {
    port,
    child,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Requests out, answers in by correlation id; no per-chunk concatenation of the stream. */
class PipelinedClient {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private nextId = 1;
  private readonly pending = new Map<number, (frame: Buffer) => void>();

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  static open(port: number): Promise<PipelinedClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new PipelinedClient(s)));
      s.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.buffered < 4) return;
      if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const size = this.chunks[0]!.readInt32BE(0);
      // Joined once, when the whole frame is here.
      if (this.buffered < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      const id = frame.readInt32BE(0);
      this.pending.get(id)?.(frame);
      this.pending.delete(id);
    }
  }

  request<Req, Res>(api: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
    const id = this.nextId++;
    const w = new Writer(256);
    w.int32(0).int16(api.apiKey).int16(version).int32(id).nullableString('broker-bench');
    if (api.requestHeaderVersion(version) >= 2) w.emptyTaggedFields();
    api.encodeRequest(body, version, w);
    const parts = w.toBuffers();
    parts[0]!.writeInt32BE(w.length - 4, 0);
    const answer = new Promise<Buffer>((resolve) => this.pending.set(id, resolve));
    this.socket.cork();
    for (const p of parts) this.socket.write(p);
    this.socket.uncork();
    return answer.then((frame) => {
      const r = new Reader(frame);
      r.int32();
      if (api.responseHeaderVersion(version) >= 1) r.taggedFields();
      return api.decodeResponse(r, version);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

function batchOf(valueSize: number): { batch: Buffer; records: number } {
  const records = Math.max(1, Math.floor(BATCH_BYTES / (valueSize + 10)));
  const now = Date.now();
  const value = Buffer.alloc(valueSize, 0x61);
  const batch = buildRecordBatch({
    records: Array.from({ length: records }, () => ({ value, timestamp: now })),
  }).buf;
  return { batch, records };
}

async function createTopic(c: PipelinedClient, name: string): Promise<void> {
  const res = await c.request(CreateTopicsApi, 5, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  const code = res.topics[0]!.errorCode;
  if (code !== 0) throw new Error(`CreateTopics ${name}: error ${code}`);
}

async function produceRun(c: PipelinedClient, topic: string, valueSize: number) {
  const { batch, records } = batchOf(valueSize);
  const requests = Math.ceil(TOTAL_BYTES / batch.length);
  let sent = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (sent < requests) {
      sent++;
      const res = await c.request(ProduceApi, 9, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 30_000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
      });
      const code = res.responses[0]!.partitionResponses[0]!.errorCode;
      if (code !== 0) throw new Error(`Produce: error ${code}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    bytes: requests * batch.length,
    records: requests * records,
    secs,
    batchBytes: batch.length,
  };
}

async function consumeRun(c: PipelinedClient, topic: string, endOffset: number) {
  let offset = 0n;
  let bytes = 0;
  let records = 0;
  const started = process.hrtime.bigint();
  while (offset < BigInt(endOffset)) {
    const res = await c.request(FetchApi, 12, {
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 50 * 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: offset,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 1024 * 1024,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    const p = res.responses[0]!.partitions[0]!;
    if (p.errorCode !== 0) throw new Error(`Fetch: error ${p.errorCode}`);
    const buf = p.records!;
    let at = 0;
    while (at + 61 <= buf.length) {
      const size = 12 + buf.readInt32BE(at + 8);
      if (at + size > buf.length) break;
      records += buf.readInt32BE(at + 57);
      offset = buf.readBigInt64BE(at) + BigInt(buf.readInt32BE(at + 23)) + 1n;
      at += size;
    }
    bytes += at;
  }
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  return { bytes, records, secs };
}

/** CPU time (user + system) a process has used so far, from /proc (Linux). */
function brokerCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

/** The broker's heaviest functions by self time, from its .cpuprofile. */
function summarizeProfile(dir: string): string {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return '(no profile written)';
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    nodes: {
      id: number;
      hitCount: number;
      callFrame: { functionName: string; url: string; lineNumber: number };
    }[];
    samples: number[];
  };
  const total = prof.samples.length;
  const self = new Map<string, number>();
  for (const n of prof.nodes) {
    const f = n.callFrame;
    const where = f.url
      ? `${f.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${f.lineNumber + 1}`
      : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`;
    self.set(key, (self.get(key) ?? 0) + n.hitCount);
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-broker-bench-'));
  const profDir = mkdtempSync(join(tmpdir(), 'samsa-broker-prof-'));
  const broker = await spawnBroker(dataDir, opts.profile ? profDir : undefined);
  const rows: string[] = [];
  try {
    const c = await PipelinedClient.open(broker.port);
    for (const valueSize of [100, 1024]) {
      const topic = `bench-${valueSize}`;
      await createTopic(c, topic);
      const mbps = (x: { bytes: number; secs: number }) => (x.bytes / 1e6 / x.secs).toFixed(1);
      const rps = (x: { records: number; secs: number }) =>
        Math.round(x.records / x.secs).toString();
      // Broker CPU per MB holds up better than MB/s on a machine shared with other work.
      const cpuPerMb = (cpuMs: number, bytes: number) => (cpuMs / (bytes / 1e6)).toFixed(2);
      let cpu = brokerCpuMs(broker.child.pid!);
      const p = await produceRun(c, topic, valueSize);
      const produceCpu = brokerCpuMs(broker.child.pid!) - cpu;
      rows.push(
        `| produce | ${valueSize} B | ${p.batchBytes} B | ${(p.bytes / 1e6).toFixed(0)} MB | ${mbps(p)} | ${rps(p)} | ${cpuPerMb(produceCpu, p.bytes)} |`,
      );
      if (opts.only === 'produce') continue;
      cpu = brokerCpuMs(broker.child.pid!);
      const q = await consumeRun(c, topic, p.records);
      const consumeCpu = brokerCpuMs(broker.child.pid!) - cpu;
      rows.push(
        `| consume | ${valueSize} B | - | ${(q.bytes / 1e6).toFixed(0)} MB | ${mbps(q)} | ${rps(q)} | ${cpuPerMb(consumeCpu, q.bytes)} |`,
      );
    }
    c.close();
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(
    `acks=1, 1 partition, ${IN_FLIGHT} produce requests in flight, batch ~${BATCH_BYTES} B\n`,
  );
  console.log('| phase | value | batch | data | MB/s | records/s | broker CPU ms/MB |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  if (opts.profile) console.log(`\nBroker CPU profile, self time:\n${summarizeProfile(profDir)}`);
  if (process.env.KEEP_PROFILE) console.log(`profile kept in ${profDir}`);
  else rmSync(profDir, { recursive: true, force: true });
}

await main();

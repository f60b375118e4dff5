// `samsa perf produce|consume`: a load generator shaped after kafka-producer-perf-test and
// kafka-consumer-perf-test (same flag names where they exist, same summary line), so scripts
// written for Kafka's tools drive it with few changes.
import type { Compression, ProducerOptions } from '../client/index.js';
import {
  CLIENT_OPTIONS,
  COMMON_HELP,
  expectPositionals,
  integerOption,
  parseArgs,
  parseChoice,
  parseInteger,
  parseKeyValue,
  type Values,
} from './args.js';
import { CliError, UsageError } from './cli-error.js';
import { CLI_RETRY, samsaFor, withAdmin } from './client.js';
import { print, printJson } from './output.js';
import { LatencyHistogram, MB, Progress, round } from './perf-stats.js';

const HELP = `Usage: samsa perf produce|consume [options]

samsa perf produce --topic TOPIC --num-records N --record-size BYTES [options]
  Sends N records of BYTES random letters (one payload, as Kafka's tool) and reports records/sec,
  MB/sec and the latency from send() to acknowledgement.
      --throughput N             At most N records/sec; -1 (default) for as fast as possible
      --acks 0|1|-1|all          Default all (idempotent)
      --compression CODEC        none (default), gzip, snappy, lz4, zstd
      --partitions N             Create the topic with N partitions if it does not exist
      --batch-size BYTES         Default 65536
      --linger-ms MS             Default 5
      --producer-props k=v ...   Kafka producer settings: acks, linger.ms, batch.size,
                                 compression.type, buffer.memory, enable.idempotence,
                                 max.in.flight.requests.per.connection, max.request.size,
                                 request.timeout.ms, delivery.timeout.ms, bootstrap.servers, client.id

samsa perf consume --topic TOPIC --num-records N [options]   (--messages N as Kafka's tool)
  Reads N records and reports records/sec, MB/sec (keys + values) and end-to-end latency
  (arrival time minus the record's timestamp: meaningful while a producer runs alongside).
      --group GROUP              Read as a member of GROUP (default: assign every partition, no group)
      --from-latest              Start at the end (default: the beginning)
      --timeout MS               Fail if no record arrives for MS (default 10000)
      --fetch-size BYTES         Per-partition bytes of one fetch (default 1048576)

Both:
      --reporting-interval MS    Progress lines every MS when stderr is not a terminal (default 5000);
                                 on a terminal a progress bar. Progress goes to stderr.
      --json                     The final summary as one JSON object on stdout
      --bootstrap-server H:P     Same as --bootstrap

Summary (stdout), as Kafka's tool prints it:
  N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency,
  P ms 50th, P ms 95th, P ms 99th, P ms 99.9th.
MB are 2^20 bytes, as in Kafka's tools. Ctrl-C stops early, prints the summary so far, exits 130.

${COMMON_HELP}`;

const SHARED = {
  ...CLIENT_OPTIONS,
  'bootstrap-server': { type: 'string' },
  topic: { type: 'string', short: 't' },
  'num-records': { type: 'string' },
  'reporting-interval': { type: 'string' },
} as const;

export async function runPerf(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'produce') return produce(rest);
  if (sub === 'consume') return consume(rest);
  if (sub === undefined || sub === '-h' || sub === '--help') {
    print(HELP);
    return 0;
  }
  throw new UsageError(`unknown subcommand 'perf ${sub}' (see 'samsa perf --help')`);
}

function common(o: Values<typeof SHARED>, command: string) {
  if (o.bootstrap !== undefined && o['bootstrap-server'] !== undefined) {
    throw new UsageError('give --bootstrap or --bootstrap-server, not both');
  }
  if (o.topic === undefined) throw new UsageError(`'${command}' needs --topic TOPIC`);
  return {
    topic: o.topic,
    bootstrap: o.bootstrap ?? o['bootstrap-server'],
    interval: integerOption(o['reporting-interval'], '--reporting-interval', 5_000, { min: 100 }),
  };
}

/** Resolves on Ctrl-C (and stops listening when the run ends). */
function interrupted() {
  let onSignal!: () => void;
  const signalled = new Promise<'interrupted'>((resolve) => {
    onSignal = () => resolve('interrupted');
  });
  process.once('SIGINT', onSignal);
  return { signalled, dispose: () => process.off('SIGINT', onSignal) };
}

async function produce(args: string[]): Promise<number> {
  const spec = {
    ...SHARED,
    'record-size': { type: 'string', short: 's' },
    throughput: { type: 'string' },
    acks: { type: 'string' },
    compression: { type: 'string' },
    partitions: { type: 'string' },
    'batch-size': { type: 'string' },
    'linger-ms': { type: 'string' },
    'producer-props': { type: 'list' },
  } as const;
  const { options: o, positionals } = parseArgs(args, spec, 'samsa perf produce');
  if (o.help) return help();
  expectPositionals(positionals, [], 'samsa perf produce');
  const c = common(o, 'samsa perf produce');
  if (o['num-records'] === undefined)
    throw new UsageError("'samsa perf produce' needs --num-records N");
  if (o['record-size'] === undefined)
    throw new UsageError("'samsa perf produce' needs --record-size BYTES");
  const numRecords = parseInteger(o['num-records'], '--num-records', { min: 1 });
  const recordSize = parseInteger(o['record-size'], '--record-size', { min: 0, max: 100 * MB });
  const throughput = integerOption(o.throughput, '--throughput', -1);
  if (throughput === 0 || throughput < -1)
    throw new UsageError('--throughput must be -1 or at least 1');
  const partitions =
    o.partitions === undefined ? undefined : parseInteger(o.partitions, '--partitions', { min: 1 });
  const settings: ProducerOptions & { clientId: string; bootstrap?: string } = {
    clientId: 'samsa-perf-producer',
    bootstrap: c.bootstrap,
    acks: -1,
    compression: 'none',
    batchSize: 65_536,
    lingerMs: 5,
  };
  if (o.acks !== undefined) settings.acks = acksValue(o.acks, '--acks');
  if (o.compression !== undefined)
    settings.compression = compressionValue(o.compression, '--compression');
  if (o['batch-size'] !== undefined)
    settings.batchSize = parseInteger(o['batch-size'], '--batch-size', { min: 1 });
  if (o['linger-ms'] !== undefined)
    settings.lingerMs = parseInteger(o['linger-ms'], '--linger-ms', { min: 0 });
  for (const kv of o['producer-props'] ?? [])
    applyProducerProp(settings, ...parseKeyValue(kv, '--producer-props'));
  const flags = { bootstrap: settings.bootstrap, 'connect-timeout-ms': o['connect-timeout-ms'] };

  await withAdmin(flags, async (admin) => {
    const exists = (await admin.listTopics({ includeInternal: true })).includes(c.topic);
    if (!exists && partitions === undefined) {
      throw new CliError(`topic '${c.topic}' does not exist (add --partitions N to create it)`);
    }
    if (!exists)
      await admin.createTopics({
        topics: [{ topic: c.topic, numPartitions: partitions }],
        ifNotExists: true,
      });
  });

  const { clientId, bootstrap: _, ...producerOptions } = settings;
  const producer = samsaFor(flags, clientId).producer({
    ...producerOptions,
    allowAutoTopicCreation: false,
    retry: CLI_RETRY,
  });
  await producer.connect();
  const payload = Buffer.alloc(recordSize);
  for (let i = 0; i < recordSize; i++) payload[i] = 65 + Math.floor(Math.random() * 26);
  // Records per send(): whole chunks share one enqueue time, so latency stays per record; with
  // a throughput limit, small enough chunks to pace evenly.
  const base = Math.max(1, Math.min(100, Math.floor(65_536 / Math.max(1, recordSize))));
  const step = throughput > 0 ? Math.max(1, Math.min(base, Math.floor(throughput / 200))) : base;
  const chunk = Array.from({ length: step }, () => ({ value: payload }));
  const bufferBytes = producerOptions.bufferMemory ?? 32 * MB;
  const histogram = new LatencyHistogram();
  const progress = new Progress(numRecords, 'sent', c.interval);
  const stop = interrupted();
  let outstanding = 0;
  let wake: (() => void) | undefined;
  let failure: unknown;
  let acked = 0;
  const started = performance.now();
  let lastAck = started;
  try {
    for (let sent = 0; sent < numRecords && failure === undefined; ) {
      const n = Math.min(step, numRecords - sent);
      const bytes = n * recordSize;
      // Keep at most the producer's buffer in flight: more would only queue inside send().
      while (outstanding > 0 && outstanding + bytes > bufferBytes && failure === undefined) {
        const more = new Promise<void>((r) => {
          wake = r;
        });
        if ((await Promise.race([more, stop.signalled])) === 'interrupted') failure = 'interrupted';
      }
      if (failure !== undefined) break;
      if (throughput > 0) {
        const ahead = (sent / throughput) * 1000 - (performance.now() - started);
        if (ahead > 1) {
          const slept = await Promise.race([sleep(ahead), stop.signalled]);
          if (slept === 'interrupted') {
            failure = 'interrupted';
            break;
          }
        }
      }
      const t0 = performance.now();
      outstanding += bytes;
      sent += n;
      producer.send({ topic: c.topic, messages: n === step ? chunk : chunk.slice(0, n) }).then(
        () => {
          const now = performance.now();
          histogram.record(now - t0, n);
          progress.add(n, bytes, now - t0);
          acked += n;
          lastAck = now;
          outstanding -= bytes;
          wake?.();
        },
        (err) => {
          failure ??= err;
          outstanding -= bytes;
          wake?.();
        },
      );
      // Let acknowledgements and the sender run between chunks.
      if (sent % (step * 64) === 0) await new Promise<void>((r) => setImmediate(r));
    }
    if (failure === undefined) {
      // Send what lingers now rather than after linger.ms; failures surface through send().
      producer.flush().catch(() => undefined);
      while (outstanding > 0 && failure === undefined) {
        const more = new Promise<void>((r) => {
          wake = r;
        });
        if ((await Promise.race([more, stop.signalled])) === 'interrupted') failure = 'interrupted';
      }
    }
  } finally {
    stop.dispose();
    progress.finish();
    if (failure === 'interrupted') producer.close().catch(() => undefined);
    else await producer.close().catch(() => undefined);
  }
  if (failure !== undefined && failure !== 'interrupted') throw failure;
  const seconds = (lastAck - started) / 1000;
  const latency = histogram.summary();
  const rate = seconds > 0 ? acked / seconds : 0;
  const mbps = seconds > 0 ? (acked * recordSize) / MB / seconds : 0;
  if (o.json) {
    printJson({
      topic: c.topic,
      records: acked,
      recordSize,
      seconds: round(seconds, 3),
      recordsPerSec: round(rate, 1),
      mbPerSec: round(mbps, 2),
      latencyMs: latency,
      interrupted: failure === 'interrupted',
    });
  } else {
    print(
      `${acked} records sent, ${rate.toFixed(1)} records/sec (${mbps.toFixed(2)} MB/sec), ` +
        `${latency.avg.toFixed(2)} ms avg latency, ${latency.max.toFixed(2)} ms max latency, ` +
        `${latency.p50.toFixed(2)} ms 50th, ${latency.p95.toFixed(2)} ms 95th, ` +
        `${latency.p99.toFixed(2)} ms 99th, ${latency.p999.toFixed(2)} ms 99.9th.`,
    );
  }
  return failure === 'interrupted' ? 130 : 0;
}

async function consume(args: string[]): Promise<number> {
  const spec = {
    ...SHARED,
    messages: { type: 'string' },
    group: { type: 'string', short: 'g' },
    'from-latest': { type: 'boolean' },
    timeout: { type: 'string' },
    'fetch-size': { type: 'string' },
  } as const;
  const { options: o, positionals } = parseArgs(args, spec, 'samsa perf consume');
  if (o.help) return help();
  expectPositionals(positionals, [], 'samsa perf consume');
  const c = common(o, 'samsa perf consume');
  if (o['num-records'] !== undefined && o.messages !== undefined) {
    throw new UsageError('give --num-records or --messages, not both');
  }
  const countFlag = o['num-records'] !== undefined ? '--num-records' : '--messages';
  const raw = o['num-records'] ?? o.messages;
  if (raw === undefined) throw new UsageError("'samsa perf consume' needs --num-records N");
  const numRecords = parseInteger(raw, countFlag, { min: 1 });
  const timeoutMs = integerOption(o.timeout, '--timeout', 10_000, { min: 1 });
  const fetchSize = integerOption(o['fetch-size'], '--fetch-size', MB, { min: 1 });
  const flags = { bootstrap: c.bootstrap, 'connect-timeout-ms': o['connect-timeout-ms'] };
  const started = performance.now();
  const partitions = await withAdmin(flags, async (admin) => {
    const [d] = await admin.describeTopics({ topics: [c.topic] });
    return d!.partitions.map((p) => p.partition);
  });
  const from = o['from-latest'] ? 'latest' : 'earliest';
  const consumer = samsaFor(flags, 'samsa-perf-consumer').consumer({
    groupId: o.group,
    autoOffsetReset: from,
    maxPartitionBytes: fetchSize,
    maxWaitMs: 100,
    retry: CLI_RETRY,
    // Timing starts once partitions are assigned, so a group's join delay is not counted as
    // reading time (Kafka's tool reports it apart too).
    onPartitionsAssigned: () => {
      readStart ||= performance.now();
    },
  });
  const histogram = new LatencyHistogram();
  const progress = new Progress(numRecords, 'consumed', c.interval);
  const stop = interrupted();
  let readStart = 0;
  let first = 0;
  let last = 0;
  let records = 0;
  let bytes = 0;
  let outcome = 'done' as 'done' | 'interrupted' | 'timeout';
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      outcome = 'timeout';
      consumer.stop();
    }, timeoutMs);
  };
  void stop.signalled.then(() => {
    outcome = 'interrupted';
    consumer.stop();
  });
  try {
    if (o.group !== undefined)
      await consumer.subscribe({ topics: [c.topic], fromBeginning: from === 'earliest' });
    else
      await consumer.assign(
        partitions.map((partition) => ({ topic: c.topic, partition, offset: from })),
      );
    if (o.group === undefined) readStart = performance.now();
    armIdle();
    await consumer.run({
      eachBatch: ({ batch }) => {
        const now = performance.now();
        const wall = Date.now();
        if (records === 0) first = now;
        let n = 0;
        let b = 0;
        for (const m of batch.messages) {
          if (records + n >= numRecords) break;
          n++;
          b += (m.key?.length ?? 0) + (m.value?.length ?? 0);
          histogram.record(Math.max(0, wall - m.timestamp));
        }
        records += n;
        bytes += b;
        last = now;
        progress.add(n, b);
        if (records >= numRecords) consumer.stop();
        else armIdle();
      },
    });
  } finally {
    clearTimeout(idle);
    stop.dispose();
    progress.finish();
    await consumer.close().catch(() => undefined);
  }
  const seconds = records > 0 ? (last - (readStart || first)) / 1000 : 0;
  const rate = seconds > 0 ? records / seconds : 0;
  const mbps = seconds > 0 ? bytes / MB / seconds : 0;
  const latency = histogram.summary();
  const startupMs = (readStart || performance.now()) - started;
  if (o.json) {
    printJson({
      topic: c.topic,
      records,
      bytes,
      seconds: round(seconds, 3),
      recordsPerSec: round(rate, 1),
      mbPerSec: round(mbps, 2),
      startupMs: round(startupMs, 1),
      endToEndLatencyMs: latency,
      outcome,
    });
  } else {
    print(
      `${records} records consumed, ${rate.toFixed(1)} records/sec (${mbps.toFixed(2)} MB/sec), ` +
        `${(bytes / MB).toFixed(2)} MB in ${seconds.toFixed(3)} s (after ${Math.round(startupMs)} ms to connect and be assigned); ` +
        `end-to-end latency ${latency.avg.toFixed(1)} ms avg, ${latency.max.toFixed(1)} ms max, ` +
        `${latency.p50.toFixed(1)} ms 50th, ${latency.p95.toFixed(1)} ms 95th, ${latency.p99.toFixed(1)} ms 99th, ` +
        `${latency.p999.toFixed(1)} ms 99.9th.`,
    );
  }
  if (outcome === 'timeout') {
    throw new CliError(
      `no record for ${timeoutMs} ms; consumed ${records} of ${numRecords} (see --timeout)`,
    );
  }
  return outcome === 'interrupted' ? 130 : 0;
}

function acksValue(v: string, flag: string): 0 | 1 | -1 {
  const a = parseChoice(v, flag, ['0', '1', '-1', 'all']);
  return a === 'all' ? -1 : (Number(a) as 0 | 1 | -1);
}

function compressionValue(v: string, flag: string): Compression {
  return parseChoice(v, flag, ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as Compression[]);
}

/** Kafka producer property names onto the client's options. */
function applyProducerProp(
  s: ProducerOptions & { clientId: string; bootstrap?: string },
  key: string,
  value: string,
): void {
  const flag = `--producer-props ${key}`;
  const int = (min: number) => parseInteger(value, flag, { min });
  switch (key) {
    case 'acks':
      s.acks = acksValue(value, flag);
      break;
    case 'linger.ms':
      s.lingerMs = int(0);
      break;
    case 'batch.size':
      s.batchSize = int(1);
      break;
    case 'compression.type':
      s.compression = compressionValue(value, flag);
      break;
    case 'buffer.memory':
      s.bufferMemory = int(1);
      break;
    case 'enable.idempotence':
      s.idempotent = parseChoice(value, flag, ['true', 'false']) === 'true';
      break;
    case 'max.in.flight.requests.per.connection':
      s.maxInFlightRequests = int(1);
      break;
    case 'max.request.size':
      s.maxRequestSize = int(1);
      break;
    case 'request.timeout.ms':
      s.requestTimeoutMs = int(1);
      break;
    case 'delivery.timeout.ms':
      s.deliveryTimeoutMs = int(1);
      break;
    case 'bootstrap.servers':
      s.bootstrap ??= value;
      break;
    case 'client.id':
      s.clientId = value;
      break;
    default:
      throw new UsageError(`--producer-props: '${key}' is not supported (see 'samsa perf --help')`);
  }
}

function help(): number {
  print(HELP);
  return 0;
}

const sleep = (ms: number) => new Promise<'slept'>((r) => setTimeout(() => r('slept'), ms));

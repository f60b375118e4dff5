// Produce and consume throughput of the Samsa client against KafkaJS 2.2.4 and
// @platformatic/kafka, same broker, same run.
//
//   node --import tsx bench/client-bench.ts                    # starts Apache Kafka (stock JVM flags)
//   node --import tsx bench/client-bench.ts --broker samsa     # starts a Samsa broker process instead
//   node --import tsx bench/client-bench.ts --broker null      # the null broker (bench/lib/null-broker.ts):
//                                                              # the clients' own cost, a broker that costs ~nothing
//   node --import tsx bench/client-bench.ts --bootstrap 127.0.0.1:9092   # an already running broker
//   options: --repeat N (default 5; the median is reported), --quick (a tenth of the records),
//   --consume-only (skip the produce cases), --sizes 100,1024 (record sizes to run),
//   --client PATH (the Samsa client under test from a build's dist/client/index.js instead of
//   src through tsx), --baseline PATH (another build's dist/client/index.js, run as one more
//   client, samsa-before)
// Needs Node >= 22 (@platformatic/kafka 2.x does); on a Node 20 machine, e.g.
//   ~/.cache/samsa/node24/node_modules/.bin/node --import tsx bench/client-bench.ts
// Brokers are started as bench/lib/brokers.ts starts them for `npm run bench` (Kafka with its
// stock JVM flags, not tools/capture/kafka-broker.sh's C1-only JIT, which would slow Kafka).
//
// Produce, acks=all, no compression, one partition, a fresh topic per run, each client with its
// defaults otherwise (Samsa: idempotent, lingerMs 5, here batchSize 64 KiB; KafkaJS and
// platformatic: not idempotent, one request per send()):
// - batched: send() calls of 100 messages each, up to 8 in flight (how KafkaJS is usually driven);
// - single: one message per send(), up to 1000 sends in flight (the client has to batch itself).
// Consume: every client reads the same pre-filled one-partition topic from the earliest offset,
// handing out every message (eachBatch for Samsa and KafkaJS, the message stream for platformatic),
// timed from the first message to the last; once with Kafka's default fetch sizes for all
// (1 MiB per partition), once with each client's own defaults (platformatic's: 50 MB per fetch
// with no per-partition cap, so a one-partition backlog comes in far fewer round trips).
// Samsa consumes twice: as it comes (checkCrcs on, as Java's check.crcs) and as samsa-nocrc with
// checkCrcs off, which is what KafkaJS and platformatic do (neither verifies batch CRCs).
// Figures are messages/s and MB/s (10^6 bytes) of values; ratios also per repetition (the
// clients of one repetition ran back to back), then their median.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  Consumer as PlatformaticConsumer,
  Producer as PlatformaticProducer,
} from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { Samsa } from '../src/client/index.js';
import { type BrokerUnderTest, KafkaBroker, NullBroker, SamsaBroker } from './lib/brokers.js';
import { kafkaLibs } from './lib/env.js';
import { freePort } from './lib/proc.js';

type Mode = 'batched' | 'single';
type Fetch = 'same' | 'defaults';
const MiB = 1024 * 1024;
interface Driver {
  name: string;
  /** Sends `count` messages of `value` to `topic` and resolves when all are acknowledged. */
  produce(topic: string, value: Buffer, count: number, mode: Mode): Promise<void>;
  /**
   * Reads `count` messages of `topic` from the start: ms from the first to the last, value bytes.
   * `fetch` 'same' gives every client Kafka's default fetch sizes (1 MiB per partition, 50 MiB
   * per request); 'defaults' leaves each client's own.
   */
  consume(topic: string, count: number, fetch: Fetch): Promise<{ ms: number; bytes: number }>;
  close(): Promise<void>;
  /** Takes part in the consume cases only (a variant of another driver's settings). */
  consumeOnly?: boolean;
}

const BATCH = 100;
const BATCHED_IN_FLIGHT = 8;
const SINGLE_IN_FLIGHT = 1000;

/** Keeps up to `window` calls of `send(n)` running until `count` messages were sent. */
async function pump(
  count: number,
  step: number,
  window: number,
  send: (n: number) => Promise<unknown>,
) {
  let next = 0;
  let failed: unknown;
  const workers = Array.from({ length: window }, async () => {
    while (next < count && failed === undefined) {
      const n = Math.min(step, count - next);
      next += n;
      await send(n).catch((err) => {
        failed = err;
      });
    }
  });
  await Promise.all(workers);
  if (failed !== undefined) throw failed;
}

/** Counts messages until `want`, noting when the first and the last arrived. */
function counter(want: number) {
  let n = 0;
  let bytes = 0;
  let first = 0;
  let last = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  return {
    finished,
    add(count: number, b: number) {
      if (n === 0) first = performance.now();
      n += count;
      bytes += b;
      if (n >= want && last === 0) {
        last = performance.now();
        done();
      }
    },
    result: () => ({ ms: last - first, bytes }),
  };
}

/**
 * The Samsa client; `checkCrcs: false` makes the variant that skips the CRC check, as KafkaJS
 * and platformatic always do (Samsa, like Java, checks by default).
 */
function samsaDriver(
  bootstrap: string,
  checkCrcs = true,
  client: typeof Samsa = Samsa,
  name = checkCrcs ? 'samsa' : 'samsa-nocrc',
): Driver {
  const samsa = new client({ brokers: [bootstrap], clientId: 'bench-samsa', logger: 'error' });
  const producer = samsa.producer({ lingerMs: 5, batchSize: 64 * 1024 });
  return {
    name,
    consumeOnly: !checkCrcs,
    async produce(topic, value, count, mode) {
      await producer.connect();
      const messages = Array.from({ length: BATCH }, () => ({ value }));
      if (mode === 'batched') {
        await pump(count, BATCH, BATCHED_IN_FLIGHT, (n) =>
          producer.send({ topic, messages: n === BATCH ? messages : messages.slice(0, n) }),
        );
      } else {
        const one = [{ value }];
        await pump(count, 1, SINGLE_IN_FLIGHT, () => producer.send({ topic, messages: one }));
      }
    },
    async consume(topic, count, fetch) {
      const consumer = samsa.consumer({
        checkCrcs,
        ...(fetch === 'same' ? { maxPartitionBytes: MiB, maxBytes: 50 * MiB } : {}),
      });
      const k = counter(count);
      await consumer.assign([{ topic, partition: 0, offset: 'earliest' }]);
      void k.finished.then(() => consumer.stop());
      await consumer.run({
        eachBatch: ({ batch }) => {
          let bytes = 0;
          for (const m of batch.messages) bytes += m.value?.length ?? 0;
          k.add(batch.messages.length, bytes);
        },
      });
      await consumer.close();
      return k.result();
    },
    close: () => producer.close(),
  };
}

function kafkajsDriver(bootstrap: string): Driver {
  const kafka = new Kafka({
    brokers: [bootstrap],
    clientId: 'bench-kafkajs',
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  let connected = false;
  return {
    name: 'kafkajs',
    async produce(topic, value, count, mode) {
      if (!connected) {
        await producer.connect();
        connected = true;
      }
      const messages = Array.from({ length: BATCH }, () => ({ value }));
      if (mode === 'batched') {
        await pump(count, BATCH, BATCHED_IN_FLIGHT, (n) =>
          producer.send({
            topic,
            acks: -1,
            messages: n === BATCH ? messages : messages.slice(0, n),
          }),
        );
      } else {
        const one = [{ value }];
        await pump(count, 1, SINGLE_IN_FLIGHT, () =>
          producer.send({ topic, acks: -1, messages: one }),
        );
      }
    },
    async consume(topic, count, fetch) {
      const consumer = kafka.consumer({
        groupId: `bench-kafkajs-${topic}-${Date.now()}`,
        ...(fetch === 'same' ? { maxBytesPerPartition: MiB, maxBytes: 50 * MiB } : {}),
      });
      const k = counter(count);
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          let bytes = 0;
          for (const m of batch.messages) bytes += m.value?.length ?? 0;
          k.add(batch.messages.length, bytes);
        },
      });
      await k.finished;
      await consumer.disconnect();
      return k.result();
    },
    async close() {
      if (connected) await producer.disconnect();
    },
  };
}

function platformaticDriver(bootstrap: string): Driver {
  const producer = new PlatformaticProducer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: [bootstrap],
    acks: -1,
    autocreateTopics: false,
  });
  return {
    name: 'platformatic',
    async produce(topic, value, count, mode) {
      const messages = Array.from({ length: BATCH }, () => ({ topic, value }));
      if (mode === 'batched') {
        await pump(count, BATCH, BATCHED_IN_FLIGHT, (n) =>
          producer.send({ messages: n === BATCH ? messages : messages.slice(0, n) }),
        );
      } else {
        const one = [{ topic, value }];
        await pump(count, 1, SINGLE_IN_FLIGHT, () => producer.send({ messages: one }));
      }
    },
    async consume(topic, count, fetch) {
      const consumer = new PlatformaticConsumer({
        clientId: 'bench-platformatic',
        groupId: `bench-platformatic-${topic}-${Date.now()}`,
        bootstrapBrokers: [bootstrap],
        ...(fetch === 'same' ? { maxBytesPerPartition: MiB, maxBytes: 50 * MiB } : {}),
      });
      const k = counter(count);
      const stream = await consumer.consume({
        topics: [topic],
        mode: 'earliest',
        autocommit: false,
      });
      const failed = new Promise<never>((_, reject) => stream.on('error', reject));
      stream.on('data', (m: { value?: Buffer }) => k.add(1, m.value?.length ?? 0));
      await Promise.race([k.finished, failed]);
      await stream.close();
      await consumer.close(true);
      return k.result();
    },
    close: () => producer.close(),
  };
}

async function createTopic(samsa: Samsa, topic: string): Promise<void> {
  const admin = samsa.admin();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.close();
}

/**
 * Starts the broker asked for, as `npm run bench` starts it (bench/lib/brokers.ts); `retain`
 * names the topics the null broker keeps so that they can be consumed.
 */
async function startBroker(
  kind: string,
  retain: readonly string[],
): Promise<{ bootstrap: string; stop: () => Promise<void> }> {
  const repo = join(import.meta.dirname, '..');
  const runDir = mkdtempSync(join(tmpdir(), `samsa-bench-${kind}-`));
  const port = await freePort();
  let broker: BrokerUnderTest;
  if (kind === 'kafka') {
    broker = new KafkaBroker(
      port,
      await freePort(),
      join(runDir, 'data'),
      kafkaLibs(repo, '3.9.1'),
    );
  } else if (kind === 'samsa') {
    // A separate process, as in production: the broker's work does not share this event loop.
    broker = new SamsaBroker(port, join(runDir, 'data'), {
      script: join(repo, 'src/cli/main.ts'),
      tsx: true,
      cwd: repo,
    });
  } else if (kind === 'null') {
    broker = new NullBroker(port, repo, retain);
  } else {
    throw new Error(`--broker must be kafka, samsa or null, not ${kind}`);
  }
  await broker.start({ fresh: true });
  return {
    bootstrap: `127.0.0.1:${port}`,
    stop: async () => {
      await broker.stop();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

/**
 * CPU time of this process since `since`, µs. The clients run here and the broker elsewhere, so
 * this is the client's (the whole call: a consumer's group join and set-up count too); steadier
 * than wall time when other processes share the machine.
 */
const cpuMicros = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return u.user + u.system;
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main() {
  if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
    // @platformatic/kafka 2.x needs Node >= 22 (Promise.withResolvers); all three clients run
    // in one runtime so that none is favoured by it.
    console.error(
      `client-bench: @platformatic/kafka 2.x needs Node >= 22, this is ${process.version}`,
    );
    process.exit(2);
  }
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const repeat = Number(arg('--repeat') ?? 5);
  const scale = process.argv.includes('--quick') ? 0.1 : 1;
  const consumeOnly = process.argv.includes('--consume-only');
  // Another build of the Samsa client (its dist/client/index.js) as one more driver, for a
  // before/after comparison in the same run.
  const loadClient = async (path: string | undefined): Promise<typeof Samsa | undefined> =>
    path ? (await import(pathToFileURL(path).href)).Samsa : undefined;
  // The client under test from a build (as samsa-before is), so that neither runs through tsx.
  const client = (await loadClient(arg('--client'))) ?? Samsa;
  const baseline = await loadClient(arg('--baseline'));
  const sizes = (arg('--sizes') ?? '100,1024').split(',').map(Number);
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const runId = Date.now();
  const n = (x: number) => Math.max(1000, Math.round(x * scale));
  const produceCases: { mode: Mode; size: number; count: number }[] = [
    { mode: 'batched' as const, size: 100, count: n(1_000_000) },
    { mode: 'batched' as const, size: 1024, count: n(200_000) },
    { mode: 'single' as const, size: 100, count: n(30_000) },
    { mode: 'single' as const, size: 1024, count: n(20_000) },
  ].filter((c) => sizes.includes(c.size));
  const consumeCases = [
    { size: 100, count: n(2_000_000), topic: `bench-consume-100-${runId}` },
    { size: 1024, count: n(500_000), topic: `bench-consume-1024-${runId}` },
  ].filter((c) => sizes.includes(c.size));
  const driverNames = ['samsa', 'samsa-nocrc', 'samsa-before', 'kafkajs', 'platformatic'];
  const warmTopic = (name: string) => `bench-warm-${name}-${runId}`;
  let bootstrap = arg('--bootstrap') ?? process.env.SAMSA_BENCH_BOOTSTRAP;
  let stop: (() => Promise<void>) | undefined;
  const brokerKind = bootstrap ? 'given' : (arg('--broker') ?? 'kafka');
  if (!bootstrap) {
    // Topic names are fixed before the broker starts: the null broker serves only those it keeps.
    const b = await startBroker(brokerKind, [
      ...consumeCases.map((c) => c.topic),
      ...driverNames.map(warmTopic),
    ]);
    bootstrap = b.bootstrap;
    stop = b.stop;
  }
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  console.error(
    `broker: ${brokerKind} at ${bootstrap}; node ${process.version}; ${cpus().length} CPUs (${cpus()[0]?.model}); repeat ${repeat}; load average ${load()}; ${new Date().toISOString()}`,
  );
  const admin = new Samsa({ brokers: [bootstrap], logger: 'error' });
  const drivers = [
    samsaDriver(bootstrap, true, client),
    samsaDriver(bootstrap, false, client),
    ...(baseline ? [samsaDriver(bootstrap, true, baseline, 'samsa-before')] : []),
    kafkajsDriver(bootstrap),
    platformaticDriver(bootstrap),
  ];
  /** One row per case and client: msg/s of each repetition. */
  const results: {
    op: string;
    mode: string;
    size: number;
    client: string;
    count: number;
    rates: number[];
    /** Client CPU (user + system of this process) per message, µs, of each repetition. */
    cpus: number[];
  }[] = [];
  const row = (op: string, mode: string, size: number, client: string, count: number) => {
    let r = results.find(
      (x) => x.op === op && x.mode === mode && x.size === size && x.client === client,
    );
    if (!r) results.push((r = { op, mode, size, client, count, rates: [], cpus: [] }));
    return r;
  };
  try {
    // Fill the consume topics once (every client then reads the same bytes).
    for (const c of consumeCases) {
      await createTopic(admin, c.topic);
      await drivers[0]!.produce(c.topic, Buffer.alloc(c.size, 0x62), c.count, 'batched');
    }
    // Warm every client (connections, JIT) on a throwaway topic.
    for (const d of drivers) {
      const topic = warmTopic(d.name);
      await createTopic(admin, topic);
      await (d.consumeOnly ? drivers[0]! : d).produce(topic, Buffer.alloc(100), 5_000, 'batched');
      await d.consume(topic, 5_000, 'same');
    }
    for (let rep = 0; rep < repeat; rep++) {
      // Rotate the order so that a noisy neighbour's burst does not always hit the same client.
      const order = drivers.map((_, i) => drivers[(i + rep) % drivers.length]!);
      for (const c of consumeOnly ? [] : produceCases) {
        const value = Buffer.alloc(c.size, 0x61);
        for (const d of order) {
          if (d.consumeOnly) continue;
          const topic = `bench-${d.name}-${c.mode}-${c.size}-${Date.now()}`;
          await createTopic(admin, topic);
          const start = performance.now();
          const cpu0 = process.cpuUsage();
          await d.produce(topic, value, c.count, c.mode);
          const rate = c.count / ((performance.now() - start) / 1000);
          const r = row('produce', c.mode, c.size, d.name, c.count);
          r.rates.push(rate);
          r.cpus.push(cpuMicros(cpu0) / c.count);
          console.error(`produce ${c.mode} ${c.size} B ${d.name}: ${Math.round(rate)} msg/s`);
        }
      }
      for (const c of consumeCases) {
        for (const fetch of ['same', 'defaults'] as const) {
          const mode = fetch === 'same' ? 'fetch 1 MiB' : 'own defaults';
          for (const d of order) {
            const cpu0 = process.cpuUsage();
            const { ms } = await d.consume(c.topic, c.count, fetch);
            const rate = c.count / (ms / 1000);
            const r = row('consume', mode, c.size, d.name, c.count);
            r.rates.push(rate);
            r.cpus.push(cpuMicros(cpu0) / c.count);
            console.error(`consume ${mode} ${c.size} B ${d.name}: ${Math.round(rate)} msg/s`);
          }
        }
      }
    }
  } finally {
    for (const d of drivers) await d.close().catch(() => undefined);
    await stop?.();
  }
  console.error(`done ${new Date().toISOString()}; load average ${load()}`);
  // Ratios per repetition (the clients of one repetition ran back to back, so a noisy
  // neighbour hits them alike), then their median; beside the ratio of the medians.
  console.log(
    `| op | mode | value | client | messages | msg/s (median of ${repeat}) | MB/s | samsa ÷ this (medians) | samsa ÷ this (median per repetition) | samsa-nocrc ÷ this (median per repetition) | client CPU µs/msg (median) |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  const perRep = (base: string, r: (typeof results)[number]) => {
    const b = results.find(
      (x) => x.op === r.op && x.mode === r.mode && x.size === r.size && x.client === base,
    );
    if (!b || b === r || b.rates.length !== r.rates.length) return '';
    return `${median(r.rates.map((x, i) => b.rates[i]! / x)).toFixed(2)}×`;
  };
  for (const r of results) {
    const rate = median(r.rates);
    const samsaRate = median(row(r.op, r.mode, r.size, 'samsa', r.count).rates);
    const ratio = r.client === 'samsa' ? '' : `${(samsaRate / rate).toFixed(2)}×`;
    console.log(
      `| ${r.op} | ${r.mode} | ${r.size} B | ${r.client} | ${r.count} | ${Math.round(rate)} | ${((rate * r.size) / 1e6).toFixed(1)} | ${ratio} | ${perRep('samsa', r)} | ${perRep('samsa-nocrc', r)} | ${median(r.cpus).toFixed(2)} |`,
    );
  }
  console.log(
    `\nall repetitions (msg/s): ${JSON.stringify(results.map((r) => [r.op, r.mode, r.size, r.client, r.rates.map(Math.round)]))}`,
  );
}

await main();

// One Node.js client producing or consuming a fixed number of records, as a child process of
// the runner so each client gets a fresh process and the runner's own work does not compete
// with it. Prints one JSON line: { records, bytes, seconds }.
//
//   node --import tsx bench/lib/node-client-perf.ts '{"client":"samsa","op":"produce",...}'
//
// Every client is driven the same way: send() calls of `step` records, `window` calls in
// flight, one shared random payload (as Kafka's ProducerPerformance does). Consumers are
// timed from the first record received to the last, so group joins and metadata look-ups
// (which differ per client) are not counted.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface NodeClientJob {
  client: 'samsa' | 'kafkajs' | 'platformatic';
  op: 'produce' | 'consume';
  bootstrap: string;
  topic: string;
  records: number;
  size: number;
  acks: '1' | 'all';
  compression: 'none' | 'lz4';
  partitions: number;
  /** Where the Samsa client is loaded from (dist/client/index.js). */
  samsaModule: string;
  /** node_modules dir holding @platformatic/kafka. */
  platformaticDir?: string;
  step?: number;
  window?: number;
}

interface Driver {
  produce(job: NodeClientJob, payload: Buffer): Promise<void>;
  consume(job: NodeClientJob): Promise<{ first: number; last: number; bytes: number; cpu: number }>;
}

/** Keeps `window` calls of send(n) running until `count` records were sent. */
async function pump(
  count: number,
  step: number,
  window: number,
  send: (n: number) => Promise<unknown>,
) {
  let next = 0;
  const workers = Array.from({ length: window }, async () => {
    while (next < count) {
      const n = Math.min(step, count - next);
      next += n;
      await send(n);
    }
  });
  await Promise.all(workers);
}

function randomPayload(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 65 + Math.floor(Math.random() * 26);
  return b;
}

/** CPU time (user + system) of this process so far, in seconds. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Counts records until `want`, noting when the first and last arrived. */
function counter(want: number, onDone: () => void) {
  const c = { n: 0, bytes: 0, first: 0, last: 0, cpuFirst: 0, cpuLast: 0 };
  return {
    c,
    add(records: number, bytes: number) {
      if (c.n === 0) {
        c.first = performance.now();
        c.cpuFirst = cpuSeconds();
      }
      c.n += records;
      c.bytes += bytes;
      if (c.n >= want && c.last === 0) {
        c.last = performance.now();
        c.cpuLast = cpuSeconds();
        onDone();
      }
    },
  };
}

async function samsaDriver(job: NodeClientJob): Promise<Driver> {
  const { Samsa } = await import(pathToFileURL(job.samsaModule).href);
  const samsa = new Samsa({ brokers: [job.bootstrap], clientId: 'bench-samsa', logger: 'error' });
  return {
    async produce(j, payload) {
      const producer = samsa.producer({
        acks: j.acks === 'all' ? -1 : 1,
        compression: j.compression,
        lingerMs: 5,
        batchSize: 65_536,
      });
      await producer.connect();
      const messages = Array.from({ length: j.step! }, () => ({ value: payload }));
      await pump(j.records, j.step!, j.window!, (n) =>
        producer.send({ topic: j.topic, messages: n === j.step ? messages : messages.slice(0, n) }),
      );
      await producer.close();
    },
    async consume(j) {
      const consumer = samsa.consumer({ maxWaitMs: 100 });
      await consumer.assign(
        Array.from({ length: j.partitions }, (_, partition) => ({
          topic: j.topic,
          partition,
          offset: 'earliest' as const,
        })),
      );
      const k = counter(j.records, () => consumer.stop());
      await consumer.run({
        eachBatch: ({ batch }: { batch: { messages: { value: Buffer | null }[] } }) => {
          let bytes = 0;
          for (const m of batch.messages) bytes += m.value?.length ?? 0;
          k.add(batch.messages.length, bytes);
        },
      });
      await consumer.close();
      return {
        first: k.c.first,
        last: k.c.last,
        bytes: k.c.bytes,
        cpu: k.c.cpuLast - k.c.cpuFirst,
      };
    },
  };
}

async function kafkajsDriver(job: NodeClientJob): Promise<Driver> {
  const { Kafka, logLevel, CompressionTypes } = await import('kafkajs');
  const kafka = new Kafka({
    brokers: [job.bootstrap],
    clientId: 'bench-kafkajs',
    logLevel: logLevel.NOTHING,
  });
  return {
    async produce(j, payload) {
      if (j.compression !== 'none') throw new Error('kafkajs needs a codec plugin for lz4');
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const messages = Array.from({ length: j.step! }, () => ({ value: payload }));
      await pump(j.records, j.step!, j.window!, (n) =>
        producer.send({
          topic: j.topic,
          acks: j.acks === 'all' ? -1 : 1,
          compression: CompressionTypes.None,
          messages: n === j.step ? messages : messages.slice(0, n),
        }),
      );
      await producer.disconnect();
    },
    async consume(j) {
      const consumer = kafka.consumer({
        groupId: `bench-kafkajs-${Date.now()}`,
        maxWaitTimeInMs: 100,
      });
      await consumer.connect();
      await consumer.subscribe({ topic: j.topic, fromBeginning: true });
      let resolveDone!: () => void;
      const done = new Promise<void>((r) => {
        resolveDone = r;
      });
      const k = counter(j.records, () => resolveDone());
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          let bytes = 0;
          for (const m of batch.messages) bytes += m.value?.length ?? 0;
          k.add(batch.messages.length, bytes);
        },
      });
      await done;
      await consumer.disconnect();
      return {
        first: k.c.first,
        last: k.c.last,
        bytes: k.c.bytes,
        cpu: k.c.cpuLast - k.c.cpuFirst,
      };
    },
  };
}

async function platformaticDriver(job: NodeClientJob): Promise<Driver> {
  if (!job.platformaticDir) throw new Error('@platformatic/kafka is not installed');
  const require = createRequire(join(job.platformaticDir, 'x.js'));
  const entry = require.resolve('@platformatic/kafka');
  const pk = await import(pathToFileURL(entry).href);
  return {
    async produce(j, payload) {
      const producer = new pk.Producer({
        clientId: 'bench-platformatic',
        bootstrapBrokers: [j.bootstrap],
        acks: j.acks === 'all' ? -1 : 1,
        compression: j.compression,
        idempotent: false,
        autocreateTopics: false,
      });
      const messages = Array.from({ length: j.step! }, () => ({ topic: j.topic, value: payload }));
      await pump(j.records, j.step!, j.window!, (n) =>
        producer.send({ messages: n === j.step ? messages : messages.slice(0, n) }),
      );
      await producer.close();
    },
    async consume(j) {
      const consumer = new pk.Consumer({
        clientId: 'bench-platformatic',
        groupId: `bench-platformatic-${Date.now()}`,
        bootstrapBrokers: [j.bootstrap],
        maxWaitTime: 100,
      });
      const stream = await consumer.consume({
        topics: [j.topic],
        mode: 'earliest',
        autocommit: false,
      });
      let resolveDone!: () => void;
      const finished = new Promise<void>((resolve, reject) => {
        resolveDone = resolve;
        stream.on('error', reject);
      });
      const k = counter(j.records, () => resolveDone());
      stream.on('data', (m: { value?: Buffer }) => k.add(1, m.value?.length ?? 0));
      await finished;
      await stream.close();
      await consumer.close(true);
      return {
        first: k.c.first,
        last: k.c.last,
        bytes: k.c.bytes,
        cpu: k.c.cpuLast - k.c.cpuFirst,
      };
    },
  };
}

/**
 * The client process's CPU time over the timed part, on stderr (stdout's one JSON line is what
 * the runner reads): steadier than wall time when other processes share the machine.
 */
function cpuNote(seconds: number) {
  process.stderr.write(`${JSON.stringify({ cpuSeconds: seconds })}\n`);
}

const DRIVERS = { samsa: samsaDriver, kafkajs: kafkajsDriver, platformatic: platformaticDriver };

async function main() {
  const job = JSON.parse(process.argv[2] ?? '') as NodeClientJob;
  job.step ??= 100;
  job.window ??= 8;
  const driver = await DRIVERS[job.client](job);
  if (job.op === 'produce') {
    const payload = randomPayload(job.size);
    const t0 = performance.now();
    const cpu0 = cpuSeconds();
    await driver.produce(job, payload);
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(
      `${JSON.stringify({ records: job.records, bytes: job.records * job.size, seconds })}\n`,
    );
    cpuNote(cpuSeconds() - cpu0);
  } else {
    const r = await driver.consume(job);
    process.stdout.write(
      `${JSON.stringify({ records: job.records, bytes: r.bytes, seconds: (r.last - r.first) / 1000 })}\n`,
    );
    cpuNote(r.cpu);
  }
  // Clients may keep timers (metadata refresh) alive; the figures are out, so leave.
  process.exit(0);
}

await main();

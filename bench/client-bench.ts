// Produce throughput of the Samsa client against KafkaJS 2.2.4, same broker, same run.
//
//   node --import tsx bench/client-bench.ts                   # starts Apache Kafka (tools/capture/kafka-broker.sh)
//   node --import tsx bench/client-bench.ts --bootstrap 127.0.0.1:9092   # an already running broker
//
// Two ways of driving a producer, each with 100 B and 1 KiB values, acks=all, no compression,
// one partition per run (a fresh topic each time):
// - batched: send() calls of 100 messages each, up to 8 in flight (how KafkaJS is usually driven);
// - single: one message per send(), up to 1000 sends in flight (the client has to batch itself).
// Figures are messages/s and MB/s of values, from the first send to the last acknowledgement.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Samsa } from '../src/client/index.js';

interface Driver {
  name: string;
  /** Sends `count` messages of `value` to `topic` and resolves when all are acknowledged. */
  run(topic: string, value: Buffer, count: number, mode: Mode): Promise<void>;
  close(): Promise<void>;
}
type Mode = 'batched' | 'single';

const BATCH = 100;
const BATCHED_IN_FLIGHT = 8;
const SINGLE_IN_FLIGHT = 1000;

/** Keeps up to `window` calls of `send(i)` running until `count` items were sent. */
async function pump(
  count: number,
  step: number,
  window: number,
  send: (from: number, n: number) => Promise<unknown>,
) {
  let next = 0;
  let failed: unknown;
  const workers = Array.from({ length: window }, async () => {
    while (next < count && failed === undefined) {
      const from = next;
      const n = Math.min(step, count - from);
      next += n;
      await send(from, n).catch((err) => {
        failed = err;
      });
    }
  });
  await Promise.all(workers);
  if (failed !== undefined) throw failed;
}

function samsaDriver(bootstrap: string): Driver {
  const samsa = new Samsa({ brokers: [bootstrap], clientId: 'bench-samsa', logger: 'error' });
  const producer = samsa.producer({ lingerMs: 5, batchSize: 64 * 1024 });
  return {
    name: 'samsa',
    async run(topic, value, count, mode) {
      await producer.connect();
      const messages = Array.from({ length: BATCH }, () => ({ value }));
      if (mode === 'batched') {
        await pump(count, BATCH, BATCHED_IN_FLIGHT, (_, n) =>
          producer.send({ topic, messages: messages.slice(0, n) }),
        );
      } else {
        const one = [{ value }];
        await pump(count, 1, SINGLE_IN_FLIGHT, () => producer.send({ topic, messages: one }));
      }
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
    async run(topic, value, count, mode) {
      if (!connected) {
        await producer.connect();
        connected = true;
      }
      const messages = Array.from({ length: BATCH }, () => ({ value }));
      if (mode === 'batched') {
        await pump(count, BATCH, BATCHED_IN_FLIGHT, (_, n) =>
          producer.send({ topic, acks: -1, messages: messages.slice(0, n) }),
        );
      } else {
        const one = [{ value }];
        await pump(count, 1, SINGLE_IN_FLIGHT, () =>
          producer.send({ topic, acks: -1, messages: one }),
        );
      }
    },
    close: () => producer.disconnect(),
  };
}

async function createTopic(samsa: Samsa, topic: string): Promise<void> {
  const admin = samsa.admin();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.close();
}

async function main() {
  const arg = process.argv.indexOf('--bootstrap');
  let bootstrap = arg > 0 ? process.argv[arg + 1]! : process.env.SAMSA_BENCH_BOOTSTRAP;
  let stop: (() => void) | undefined;
  if (!bootstrap) {
    const script = join(import.meta.dirname, '../tools/capture/kafka-broker.sh');
    const runDir = mkdtempSync(join(tmpdir(), 'samsa-bench-kafka-'));
    const env = { ...process.env, KAFKA_RUN_DIR: runDir };
    const port = execFileSync(script, ['start'], { env, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop();
    bootstrap = `127.0.0.1:${port}`;
    stop = () => {
      execFileSync(script, ['stop'], { env, stdio: 'ignore' });
      rmSync(runDir, { recursive: true, force: true });
    };
    process.on('exit', () => stop?.());
  }
  const admin = new Samsa({ brokers: [bootstrap], logger: 'error' });
  const drivers = [samsaDriver(bootstrap), kafkajsDriver(bootstrap)];
  const cases: { mode: Mode; size: number; count: number }[] = [
    { mode: 'batched', size: 100, count: 200_000 },
    { mode: 'batched', size: 1024, count: 60_000 },
    { mode: 'single', size: 100, count: 30_000 },
    { mode: 'single', size: 1024, count: 20_000 },
  ];
  console.log(`| mode | value | client | messages | msg/s | MB/s |`);
  console.log(`|---|---|---|---|---|---|`);
  try {
    // Warm both clients (connections, JIT) on a throwaway topic.
    for (const d of drivers) {
      const topic = `bench-warm-${d.name}-${Date.now()}`;
      await createTopic(admin, topic);
      await d.run(topic, Buffer.alloc(100), 5_000, 'batched');
    }
    for (const c of cases) {
      const value = Buffer.alloc(c.size, 0x61);
      for (const d of drivers) {
        const topic = `bench-${d.name}-${c.mode}-${c.size}-${Date.now()}`;
        await createTopic(admin, topic);
        const start = process.hrtime.bigint();
        await d.run(topic, value, c.count, c.mode);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const rate = c.count / seconds;
        const mb = (rate * c.size) / 1e6;
        console.log(
          `| ${c.mode} | ${c.size} B | ${d.name} | ${c.count} | ${Math.round(rate)} | ${mb.toFixed(1)} |`,
        );
      }
    }
  } finally {
    for (const d of drivers) await d.close();
    stop?.();
    stop = undefined;
  }
}

await main();

// The Samsa client and librdkafka read each other byte for byte: what the Samsa producer sends
// with each codec (binary values, null and empty keys, repeated and null headers, murmur2 /
// sticky partitions) kcat and confluent-kafka read identically, and what they produce with the
// murmur2_random partitioner the Samsa consumer reads identically, on the partitions the Samsa
// partitioner picks for the same keys. Java is left out: test/compat/java/Compat.java has no
// mode that only reads a topic (it produces and reads its own records in one run).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type Compression,
  type ConsumerMessage,
  type Message,
  partitionForKey,
  type RecordMetadata,
  Samsa,
} from '../../src/client/index.js';
import { CODECS, kcat, kcatPath } from './kcat-client.js';
import {
  COMPAT_DIR,
  type CompatBroker,
  compatSuite,
  type ExternalBroker,
  findPython,
  jsonLines,
  killClients,
  run,
  startCompatBroker,
  topicName,
} from './support.js';

const python = findPython();
const script = join(COMPAT_DIR, 'interop', 'interop.py');
const PARTITIONS = 3;

/** One record as every side reports it: bytes as hex, null as null. */
interface Rec {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
}

const hex = (b: Buffer | null | undefined): string | null => (b == null ? null : b.toString('hex'));
const byPosition = (a: Rec, b: Rec) => a.partition - b.partition || a.offset - b.offset;
const withoutPosition = ({ key, value, headers }: Rec) => ({ key, value, headers });

/** Binary (NUL, newline, 0xff) and long enough that each codec really compresses. */
function binaryValue(tag: string): Buffer {
  return Buffer.concat([Buffer.from([0, 1, 2, 10, 13, 0x80, 0xff]), Buffer.from(tag.repeat(40))]);
}

/**
 * What the Samsa producer sends. Header values avoid NUL, ',', '=' and newline because kcat's
 * %h prints them raw as `k=v,k=v` (a null value as NULL); binary bytes are otherwise allowed.
 */
function samsaMessages(codec: string): Message[] {
  const messages: Message[] = [
    {
      key: Buffer.from([0xff, 0x00, 0x61]),
      value: binaryValue(`${codec}-first-`),
      headers: [
        { key: 'h', value: 'a' },
        { key: 'h', value: 'b' },
        { key: 'nul', value: null },
        { key: 'bin', value: Buffer.from([0xff, 0x80, 0x01, 0x7f]) },
        { key: 'empty', value: '' },
      ],
    },
    { key: null, value: binaryValue(`${codec}-nullkey-`), headers: { h: ['x', 'y'], u: 'ünï ✓' } },
    { key: '', value: binaryValue(`${codec}-emptykey-`) },
    { key: 'tombstone', value: null, headers: { nul: null } },
    { key: null, value: Buffer.alloc(0) },
  ];
  for (let i = 0; i < 10; i++) {
    messages.push({
      key: `key-${i}`,
      value: binaryValue(`${codec}-${i}-`),
      headers: { i: `${i}` },
    });
  }
  return messages;
}

/** What the Samsa side expects to see for a message it sent, position aside. */
function expected(m: Message): Omit<Rec, 'partition' | 'offset'> {
  const bytes = (v: unknown): Buffer | null =>
    v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
  const headers: [string, string | null][] = [];
  const h = m.headers;
  if (Array.isArray(h)) for (const e of h) headers.push([e.key, hex(bytes(e.value))]);
  else if (h) {
    for (const [k, v] of Object.entries(h)) {
      for (const x of Array.isArray(v) ? v : [v]) headers.push([k, hex(bytes(x))]);
    }
  }
  return { key: hex(bytes(m.key)), value: hex(bytes(m.value)), headers };
}

const binChildren = new Set<ChildProcess>();

/** Runs a command, stdout kept as bytes (kcat -f prints keys and values raw). */
function runBytes(cmd: string, args: string[], input: Buffer | string = ''): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    binChildren.add(child);
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdin!.on('error', () => {});
    child.stdin!.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      binChildren.delete(child);
      if (code === 0 && !/ERROR/.test(stderr)) resolve(Buffer.concat(out));
      else reject(new Error(`${cmd} ${args.join(' ')}: exit ${code ?? signal}\n${stderr}`));
    });
  });
}

/** Everything in `topic` via `kcat -C -e -f '%p %o %K %S %k%s%h\n'`, parsed by lengths. */
async function kcatRead(bootstrap: string, topic: string): Promise<Rec[]> {
  const fmt = '%p %o %K %S %k%s%h\\n';
  const args = ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', fmt];
  const out = await runBytes(kcatPath(), args);
  const recs: Rec[] = [];
  let at = 0;
  const word = (): number => {
    const end = out.indexOf(0x20, at);
    const n = Number(out.subarray(at, end).toString('latin1'));
    at = end + 1;
    return n;
  };
  const take = (len: number): string | null => {
    if (len < 0) return null;
    const s = out.subarray(at, at + len).toString('hex');
    at += len;
    return s;
  };
  while (at < out.length) {
    const [partition, offset, keyLen, valueLen] = [word(), word(), word(), word()];
    const key = take(keyLen);
    const value = take(valueLen);
    const end = out.indexOf(0x0a, at);
    const raw = out.subarray(at, end);
    at = end + 1;
    const headers: [string, string | null][] = [];
    if (raw.length > 0) {
      for (const pair of raw.toString('latin1').split(',')) {
        const eq = pair.indexOf('=');
        const v = pair.slice(eq + 1);
        headers.push([
          pair.slice(0, eq),
          v === 'NULL' ? null : Buffer.from(v, 'latin1').toString('hex'),
        ]);
      }
    }
    recs.push({ partition, offset, key, value, headers });
  }
  return recs.sort(byPosition);
}

async function py(args: string[], input = ''): Promise<Rec[]> {
  if (!python.ok) throw new Error(python.why);
  const { stdout } = await run(python.path, [script, ...args], { input, timeoutMs: 30_000 });
  const lines = jsonLines<Rec & { error?: string; unflushed?: number }>(stdout);
  for (const l of lines) {
    assert.equal(l.error, undefined, `interop.py ${args[0]}: ${l.error}`);
    if (l.unflushed !== undefined)
      assert.equal(l.unflushed, 0, 'confluent-kafka left records unsent');
  }
  return lines.filter((l) => l.unflushed === undefined).sort(byPosition);
}

compatSuite(
  `Samsa client and librdkafka (kcat ${kcat.ok ? kcat.version : ''}, confluent-kafka) read each other`,
  [kcat, python],
  () => {
    let broker: CompatBroker | ExternalBroker;
    let samsa: Samsa;
    const topics = Object.fromEntries(
      CODECS.map((c) => [
        c,
        {
          samsa: topicName(`interop-samsa-${c}`),
          kcat: topicName(`interop-kcat-${c}`),
          python: topicName(`interop-py-${c}`),
        },
      ]),
    );

    before(async () => {
      broker = await startCompatBroker();
      samsa = new Samsa({ brokers: [broker.bootstrap], clientId: 'interop', logger: 'error' });
      const admin = samsa.admin();
      try {
        await admin.createTopics({
          topics: Object.values(topics)
            .flatMap((t) => Object.values(t))
            .map((topic) => ({ topic, numPartitions: PARTITIONS })),
        });
      } finally {
        await admin.close();
      }
    });
    after(async () => {
      killClients();
      for (const c of binChildren) c.kill('SIGKILL');
      await broker?.stop();
    });

    /** Reads `count` records from every partition's beginning with assign(), no group. */
    async function samsaRead(topic: string, count: number): Promise<Rec[]> {
      const consumer = samsa.consumer();
      const recs: Rec[] = [];
      const timer = setTimeout(() => void consumer.stop(), 20_000);
      try {
        await consumer.assign(
          Array.from({ length: PARTITIONS }, (_, partition) => ({
            topic,
            partition,
            offset: 'earliest' as const,
          })),
        );
        for await (const m of consumer as AsyncIterable<ConsumerMessage>) {
          recs.push({
            partition: m.partition,
            offset: m.offset,
            key: hex(m.key),
            value: hex(m.value),
            headers: m.headers.map((h) => [h.key, hex(h.value)]),
          });
          if (recs.length === count) break;
        }
      } finally {
        clearTimeout(timer);
        await consumer.close();
      }
      assert.equal(recs.length, count, `Samsa consumer read ${recs.length} of ${count} records`);
      return recs.sort(byPosition);
    }

    for (const codec of CODECS) {
      test(`Samsa produces with ${codec}; kcat and confluent-kafka read the same bytes on the same partitions`, async () => {
        const topic = topics[codec]!.samsa;
        const messages = samsaMessages(codec);
        const producer = samsa.producer({ compression: codec as Compression });
        let sent: RecordMetadata[];
        try {
          sent = await producer.send({ topic, messages });
        } finally {
          await producer.close();
        }
        const want: Rec[] = messages
          .map((m, i) => ({
            partition: sent[i]!.partition,
            offset: sent[i]!.offset,
            ...expected(m),
          }))
          .sort(byPosition);
        for (const [i, m] of messages.entries()) {
          if (m.key == null) continue;
          const key = typeof m.key === 'string' ? Buffer.from(m.key) : (m.key as Buffer);
          assert.equal(sent[i]!.partition, partitionForKey(key, PARTITIONS), `key ${hex(key)}`);
        }
        assert.ok(new Set(want.map((r) => r.partition)).size > 1, 'records spread over partitions');
        assert.deepEqual(await kcatRead(broker.bootstrap, topic), want, 'kcat');
        const pyGot = await py([
          'consume',
          broker.bootstrap,
          topic,
          `${PARTITIONS}`,
          `${want.length}`,
        ]);
        assert.deepEqual(pyGot, want, 'confluent-kafka');
      });
    }

    for (const codec of CODECS) {
      test(`kcat produces with ${codec} (murmur2_random); the Samsa consumer reads the same bytes on the Samsa partitioner's partitions`, async () => {
        const topic = topics[codec]!.kcat;
        // -D/-K split records and keys at 0x1e/0x1f; -Z turns an empty key or value into null.
        const records = [
          { key: 'a', value: binaryValue(`${codec}-a-`) },
          { key: 'tombstone', value: null },
          { key: null, value: binaryValue(`${codec}-nullkey-`) },
          ...Array.from({ length: 10 }, (_, i) => ({
            key: `key-${i}`,
            value: Buffer.from([0xff, 0, i, 10, ...Buffer.from(`${codec}-${i}`)]),
          })),
        ];
        const input = Buffer.concat(
          records.flatMap((r) => [
            Buffer.from(r.key ?? ''),
            Buffer.from([0x1f]),
            r.value ?? Buffer.alloc(0),
            Buffer.from([0x1e]),
          ]),
        );
        const args = ['-b', broker.bootstrap, '-P', '-t', topic, '-z', codec, '-D', '\\x1e'];
        args.push('-K', '\\x1f', '-Z', '-H', 'h=1', '-H', 'h=2', '-H', 'nul');
        args.push('-X', 'partitioner=murmur2_random', '-X', 'linger.ms=20');
        await runBytes(kcatPath(), args, input);
        const got = await samsaRead(topic, records.length);
        const headers: [string, string | null][] = [
          ['h', hex(Buffer.from('1'))],
          ['h', hex(Buffer.from('2'))],
          ['nul', null],
        ];
        const canon = (r: Omit<Rec, 'partition' | 'offset'>) => JSON.stringify(r);
        assert.deepEqual(
          got.map((r) => canon(withoutPosition(r))).sort(),
          records
            .map((r) =>
              canon({
                key: hex(r.key == null ? null : Buffer.from(r.key)),
                value: hex(r.value),
                headers,
              }),
            )
            .sort(),
        );
        for (const r of got) {
          if (r.key === null) continue;
          assert.equal(
            r.partition,
            partitionForKey(Buffer.from(r.key, 'hex'), PARTITIONS),
            `key ${r.key}`,
          );
        }
        // kcat's own reading agrees on every position.
        assert.deepEqual(await kcatRead(broker.bootstrap, topic), got);
      });
    }

    for (const codec of CODECS) {
      test(`confluent-kafka produces with ${codec} (murmur2_random); the Samsa consumer reads exactly what it delivered`, async () => {
        const topic = topics[codec]!.python;
        const records = [
          {
            key: hex(Buffer.from([0, 0xff])),
            value: hex(binaryValue(`${codec}-py-`)),
            headers: [
              ['h', hex(Buffer.from('a'))],
              ['h', hex(Buffer.from('b'))],
              ['nul', null],
              ['bin', '00ff0a2c3d'],
            ],
          },
          { key: '', value: hex(binaryValue(`${codec}-emptykey-`)), headers: [] },
          { key: null, value: hex(binaryValue(`${codec}-nullkey-`)), headers: [['x', '']] },
          { key: hex(Buffer.from('tombstone')), value: null, headers: [] },
          ...Array.from({ length: 10 }, (_, i) => ({
            key: hex(Buffer.from(`key-${i}`)),
            value: hex(Buffer.from(`${codec}-${i}`)),
            headers: [['i', hex(Buffer.from(`${i}`))]],
          })),
        ];
        const delivered = await py(
          ['produce', broker.bootstrap, topic, codec],
          JSON.stringify(records),
        );
        assert.equal(delivered.length, records.length);
        assert.deepEqual(
          delivered
            .map(withoutPosition)
            .map((r) => JSON.stringify(r))
            .sort(),
          records.map((r) => JSON.stringify(r)).sort(),
          'delivery reports echo what was sent',
        );
        for (const r of delivered) {
          if (r.key === null) continue;
          assert.equal(
            r.partition,
            partitionForKey(Buffer.from(r.key, 'hex'), PARTITIONS),
            `key ${r.key}`,
          );
        }
        assert.deepEqual(await samsaRead(topic, records.length), delivered);
      });
    }
  },
);

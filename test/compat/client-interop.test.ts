// The Samsa client and librdkafka read each other byte for byte: what the Samsa producer sends
// with each codec (binary values, null and empty keys, repeated and null headers, murmur2 /
// sticky partitions) kcat and confluent-kafka read identically, and what they produce with the
// murmur2_random partitioner the Samsa consumer reads identically, on the partitions the Samsa
// partitioner picks for the same keys. Java kafka-clients is in client-java-interop.test.ts.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type Compression,
  partitionForKey,
  type RecordMetadata,
  Samsa,
} from '../../src/client/index.js';
import {
  binaryValue,
  byPosition,
  expected,
  hex,
  type Rec,
  samsaMessages,
  samsaRead,
  withoutPosition,
} from './interop/records.js';
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
        const got = await samsaRead(samsa, topic, PARTITIONS, records.length);
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
        assert.deepEqual(await samsaRead(samsa, topic, PARTITIONS, records.length), delivered);
      });
    }
  },
);

// The Samsa client and Java kafka-clients (3.9 and 4.1) read each other byte for byte, with
// every codec: what the Samsa producer sends (binary keys and values, null and empty keys,
// repeated, null and binary headers) the Java consumer reads with the same keys, values,
// headers, partitions and offsets; what the Java producer (its defaults: idempotent, acks=all,
// the built-in partitioner) sends the Samsa consumer reads exactly, and keyed records sit on the
// partitions the Samsa partitioner picks for the same keys. One JVM reads every topic and one
// produces to every topic (test/compat/java/Compat.java, modes consume and produce).
import assert from 'node:assert/strict';
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
import { CODECS } from './kcat-client.js';
import {
  type CompatBroker,
  compatSuite,
  compileJava,
  type ExternalBroker,
  findJavaClients,
  jsonLines,
  killClients,
  run,
  startCompatBroker,
  topicName,
} from './support.js';

const VERSIONS = (process.env.SAMSA_JAVA_CLIENT_VERSIONS ?? '3.9.1 4.1.2').split(/\s+/);
const PARTITIONS = 3;

type JavaRec = Rec & { topic: string; error?: string };

/** What the Java producer sends for `codec` (header keys may be any UTF-8). */
function javaRecords(codec: string): Omit<Rec, 'partition' | 'offset'>[] {
  return [
    {
      key: hex(Buffer.from([0, 0xff])),
      value: hex(binaryValue(`${codec}-java-`)),
      headers: [
        ['h', hex(Buffer.from('a'))],
        ['h', hex(Buffer.from('b'))],
        ['nul', null],
        ['bin', '00ff0a2c3d09'],
        ['ünï', ''],
      ],
    },
    { key: '', value: hex(binaryValue(`${codec}-emptykey-`)), headers: [] },
    { key: null, value: hex(binaryValue(`${codec}-nullkey-`)), headers: [['x', '']] },
    { key: hex(Buffer.from('tombstone')), value: null, headers: [] },
    { key: null, value: '', headers: [] },
    ...Array.from({ length: 10 }, (_, i) => ({
      key: hex(Buffer.from(`key-${i}`)),
      value: hex(Buffer.from(`${codec}-${i}`)),
      headers: [['i', hex(Buffer.from(`${i}`))]] as [string, string | null][],
    })),
  ];
}

/** One tab-separated line for `Compat produce`: topic, codec, key, value, header pairs. */
function produceLine(topic: string, codec: string, r: Omit<Rec, 'partition' | 'offset'>): string {
  const b = (s: string | null) => s ?? '-';
  const headers = r.headers.flatMap(([k, v]) => [Buffer.from(k).toString('hex'), b(v)]);
  return [topic, codec, b(r.key), b(r.value), ...headers].join('\t');
}

for (const version of VERSIONS) {
  const clients = findJavaClients(version);
  compatSuite(`Samsa client and Java kafka-clients ${version} read each other`, [clients], () => {
    let broker: CompatBroker | ExternalBroker;
    let samsa: Samsa;
    let classpath = '';
    const topics = Object.fromEntries(
      CODECS.map((c) => [
        c,
        {
          samsa: topicName(`interop-samsa-java-${c}`),
          java: topicName(`interop-java-${c}`),
        },
      ]),
    );

    /** Runs Compat in one of its modes; the JSON lines it printed, errors refused. */
    async function java(args: string[], input = ''): Promise<JavaRec[]> {
      const { stdout, stderr } = await run(
        'java',
        [
          '-Xmx256m',
          '-XX:TieredStopAtLevel=1',
          '-XX:+UseSerialGC',
          '-Dorg.slf4j.simpleLogger.defaultLogLevel=error',
          '-cp',
          classpath,
          'Compat',
          ...args,
        ],
        { input, timeoutMs: 120_000 },
      );
      const lines = jsonLines<JavaRec>(stdout);
      for (const l of lines) {
        assert.equal(l.error, undefined, `Compat ${args[0]}: ${l.error}\n${stderr.slice(-3000)}`);
      }
      return lines;
    }

    const sent = new Map<string, Rec[]>();
    const javaRead = new Map<string, Rec[]>();
    const javaDelivered = new Map<string, Rec[]>();

    before(async () => {
      broker = await startCompatBroker();
      classpath = compileJava(clients.ok ? clients.path : '', version);
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
      for (const codec of CODECS) {
        const messages = samsaMessages(codec);
        const producer = samsa.producer({ compression: codec as Compression });
        let meta: RecordMetadata[];
        try {
          meta = await producer.send({ topic: topics[codec]!.samsa, messages });
        } finally {
          await producer.close();
        }
        sent.set(
          codec,
          messages
            .map((m, i) => ({
              partition: meta[i]!.partition,
              offset: meta[i]!.offset,
              ...expected(m),
            }))
            .sort(byPosition),
        );
      }
      const count = samsaMessages('none').length;
      const read = await java([
        'consume',
        broker.bootstrap,
        `${PARTITIONS}`,
        `${count}`,
        ...CODECS.map((c) => topics[c]!.samsa),
      ]);
      const input = CODECS.flatMap((c) =>
        javaRecords(c).map((r) => produceLine(topics[c]!.java, c, r)),
      ).join('\n');
      const delivered = await java(['produce', broker.bootstrap], `${input}\n`);
      for (const c of CODECS) {
        const pick = (lines: JavaRec[], topic: string) =>
          lines
            .filter((l) => l.topic === topic)
            .map(({ partition, offset, key, value, headers }) => ({
              partition,
              offset,
              key,
              value,
              headers,
            }))
            .sort(byPosition);
        javaRead.set(c, pick(read, topics[c]!.samsa));
        javaDelivered.set(c, pick(delivered, topics[c]!.java));
      }
    });
    after(async () => {
      killClients();
      await broker?.stop();
    });

    for (const codec of CODECS) {
      test(`Samsa produces with ${codec}; the Java consumer reads the same bytes at the same positions`, () => {
        const want = sent.get(codec)!;
        assert.ok(new Set(want.map((r) => r.partition)).size > 1, 'records spread over partitions');
        assert.deepEqual(javaRead.get(codec), want);
      });
    }

    for (const codec of CODECS) {
      test(`the Java producer sends with compression.type=${codec}; the Samsa consumer reads exactly what it delivered`, async () => {
        const records = javaRecords(codec);
        const delivered = javaDelivered.get(codec)!;
        assert.equal(delivered.length, records.length, 'Java delivered every record');
        assert.deepEqual(
          delivered.map((r) => JSON.stringify(withoutPosition(r))).sort(),
          records.map((r) => JSON.stringify(r)).sort(),
          'deliveries echo what was sent',
        );
        for (const r of delivered) {
          if (r.key === null) continue;
          assert.equal(
            r.partition,
            partitionForKey(Buffer.from(r.key, 'hex'), PARTITIONS),
            `the Java partitioner and partitionForKey agree on key ${r.key}`,
          );
        }
        assert.deepEqual(
          await samsaRead(samsa, topics[codec]!.java, PARTITIONS, records.length),
          delivered,
        );
      });
    }
  });
}

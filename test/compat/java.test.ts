// Java kafka-clients (3.9 and 4.1, jars from Maven Central via install-compat.sh) against a
// Samsa broker process: Admin (createTopics, describeCluster, describeConfigs, listOffsets), the
// default producer (idempotent, acks=all since 3.0) with each codec, and a consumer with
// assign(). test/compat/java/Compat.java is compiled at test time and runs every step in one JVM.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
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

interface StepOut {
  step: string;
  error?: string;
  [field: string]: unknown;
}

interface Consumed {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
  headers: (string | number[] | null)[];
}

const ascii = (s: string) => [...Buffer.from(s)];

for (const version of VERSIONS) {
  const clients = findJavaClients(version);
  compatSuite(`Java kafka-clients ${version}`, [clients], () => {
    let broker: CompatBroker | ExternalBroker;
    const steps = new Map<string, StepOut>();
    let output = '';
    before(async () => {
      if (!clients.ok) return;
      broker = await startCompatBroker();
      const classpath = compileJava(clients.path, version);
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
          broker.bootstrap,
          topicName('java'),
        ],
        { timeoutMs: 240_000 },
      );
      output = `${stdout}\n${stderr}`.slice(-6000);
      for (const s of jsonLines<StepOut>(stdout)) steps.set(s.step, s);
    });
    after(async () => {
      killClients();
      await broker?.stop();
    });

    const get = (name: string): StepOut => {
      const s = steps.get(name);
      assert.ok(s, `step ${name} did not report; client output:\n${output}`);
      assert.equal(s.error, undefined, `${name}: ${s.error}`);
      return s;
    };

    test('Admin.createTopics with a config, then describeTopics', () => {
      const s = get('createTopics');
      assert.equal(s.partitions, 2);
      assert.equal(s.leaders, '[1, 1]');
    });

    test('Admin.describeCluster names this broker as the only node and the controller', () => {
      const s = get('describeCluster');
      assert.equal(s.nodes, `1@${broker.bootstrap}`);
      assert.equal(s.controller, 1);
      assert.match(String(s.clusterId), /^[A-Za-z0-9_-]{22}$/);
    });

    test('Admin.describeConfigs of a topic and of the broker', () => {
      const s = get('describeConfigs');
      assert.equal(s['retention.ms'], '3600000/DYNAMIC_TOPIC_CONFIG');
      assert.equal(s['cleanup.policy'], 'delete/DEFAULT_CONFIG');
      assert.equal(s['max.message.bytes'], '1048588/DEFAULT_CONFIG');
      assert.equal(s['broker.num.partitions'], '1');
    });

    for (const codec of CODECS) {
      test(`idempotent producer (defaults) with compression.type=${codec}, then assign() reads it back`, () => {
        const s = get(`produceConsume-${codec}`);
        // Per partition, dense offsets from 0 in send order.
        assert.equal(s.produced, '0:0,1:0,0:1,1:1,0:2');
        const consumed = (s.consumed as Consumed[]).sort(
          (a, b) => a.partition - b.partition || a.offset - b.offset,
        );
        assert.deepEqual(
          consumed.map((r) => [r.partition, r.offset, r.key, r.value]),
          [
            [0, 0, 'k0', `${codec}-payload-`.repeat(200)],
            [0, 1, null, `v-${codec}-nullkey`],
            [0, 2, 'k4', 'ünïcødé ✓'],
            [1, 0, 'k1', `v-${codec}-1`],
            [1, 1, 'tombstone', null],
          ],
        );
        assert.deepEqual(consumed[0]!.headers, ['h1', ascii('v1')]);
        assert.deepEqual(consumed[3]!.headers, ['h1', ascii('v1'), 'nullhdr', null]);
        assert.equal(consumed[4]!.timestamp, 1700000000000);
      });
    }

    test('Admin.listOffsets: earliest, latest, maxTimestamp, forTimestamp', () => {
      const s = get('listOffsets');
      assert.equal(String(s.earliest).split('@')[0], '0');
      assert.equal(String(s.latest).split('@')[0], '3');
      // Partition 0 holds records at offsets 0-2 with send-time timestamps, all after 2023.
      const [maxOffset, maxTs] = String(s.maxTimestamp).split('@').map(Number);
      assert.ok(maxOffset! >= 0 && maxOffset! <= 2, String(s.maxTimestamp));
      assert.ok(maxTs! > 1700000000000, String(s.maxTimestamp));
      assert.equal(String(s.forTimestamp).split('@')[0], '0');
    });
  });
}

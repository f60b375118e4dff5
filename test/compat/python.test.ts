// confluent-kafka for Python (librdkafka 2.x) against a Samsa broker process: AdminClient
// (topics, configs incl. incremental alter, partitions), an idempotent producer with each codec,
// and a Consumer with assign() reading everything back. test/compat/python/compat.py drives the
// client and reports what it saw; the assertions (Kafka's behaviour) are here.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CODECS } from './kcat-client.js';
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
const script = join(COMPAT_DIR, 'python', 'compat.py');

async function scenario<T>(args: string[]): Promise<T> {
  if (!python.ok) throw new Error(python.why);
  const { stdout } = await run(python.path, [script, ...args], { timeoutMs: 90_000 });
  const [out] = jsonLines<T>(stdout);
  assert.ok(out, `compat.py ${args[0]} printed no result:\n${stdout}`);
  return out;
}

interface ConfigView {
  value: string | null;
  source: string;
  is_default: boolean;
}

interface AdminSteps {
  steps: Record<string, unknown> & {
    create_topics: Record<string, unknown>;
    create_topics_again: { error?: string };
    create_topics_invalid_name: { error?: string };
    metadata_after_create: { count?: number };
    describe_configs: Record<string, ConfigView>;
    incremental_alter_configs: { error?: string };
    describe_configs_after_alter: Record<string, ConfigView>;
    describe_broker_configs: Record<string, string>;
    create_partitions: { error?: string };
    metadata_after_create_partitions: { count?: number };
    delete_topics: { error?: string };
    listed_after_delete: boolean;
  };
}

interface ProduceConsume {
  create?: unknown;
  unflushed: number;
  produced: {
    error: string | null;
    partition: number;
    offset: number;
    key: string | null;
    value: string | null;
  }[];
  consumed: {
    partition: number;
    offset: number;
    key: string | null;
    value: string | null;
    timestamp: number;
    headers: [string, number[] | null][];
  }[];
  errors: string[];
}

const bytes = (s: string) => [...Buffer.from(s)];

compatSuite(`confluent-kafka-python ${python.ok ? python.version : ''}`, [python], () => {
  let broker: CompatBroker | ExternalBroker;
  before(async () => {
    broker = await startCompatBroker();
  });
  after(async () => {
    killClients();
    await broker?.stop();
  });

  test('AdminClient: create_topics, describe_configs, incremental_alter_configs, create_partitions, delete_topics', async () => {
    const topic = topicName('py-admin');
    const { steps } = await scenario<AdminSteps>(['admin', broker.bootstrap, topic]);
    const show = JSON.stringify(steps, null, 1);
    assert.deepEqual(steps.create_topics, { [topic]: 'ok' }, show);
    assert.equal(steps.create_topics_again.error, 'TOPIC_ALREADY_EXISTS', show);
    // librdkafka's name for Kafka's INVALID_TOPIC_EXCEPTION (17).
    assert.equal(steps.create_topics_invalid_name.error, 'TOPIC_EXCEPTION', show);
    assert.equal(steps.metadata_after_create.count, 2, show);
    const before = steps.describe_configs;
    assert.deepEqual(before['retention.ms'], {
      value: '3600000',
      source: 'DYNAMIC_TOPIC_CONFIG',
      is_default: false,
    });
    assert.equal(before['cleanup.policy']?.value, 'delete', show);
    assert.equal(before['cleanup.policy']?.is_default, true, show);
    assert.equal(steps.incremental_alter_configs.error, undefined, show);
    const altered = steps.describe_configs_after_alter;
    assert.deepEqual(altered['cleanup.policy'], {
      value: 'compact',
      source: 'DYNAMIC_TOPIC_CONFIG',
      is_default: false,
    });
    // DELETE falls back to the broker default: log.retention.hours=168.
    assert.equal(altered['retention.ms']?.value, '604800000', show);
    assert.equal(altered['retention.ms']?.is_default, true, show);
    assert.equal(steps.describe_broker_configs['num.partitions'], '1', show);
    assert.equal(steps.create_partitions.error, undefined, show);
    assert.equal(steps.metadata_after_create_partitions.count, 3, show);
    assert.equal(steps.delete_topics.error, undefined, show);
    assert.equal(steps.listed_after_delete, false, show);
  });

  for (const codec of CODECS) {
    test(`idempotent producer with compression.type=${codec}, then Consumer.assign() reads it back`, async () => {
      const topic = topicName(`py-${codec}`);
      const out = await scenario<ProduceConsume>([
        'produce-consume',
        broker.bootstrap,
        topic,
        codec,
      ]);
      const show = JSON.stringify(out, null, 1).slice(0, 4000);
      assert.equal(out.create, undefined, show);
      assert.equal(out.unflushed, 0, show);
      assert.equal(out.produced.length, 5, show);
      for (const p of out.produced) assert.equal(p.error, null, show);
      // Per partition, offsets are dense from 0 in produce order.
      for (const part of [0, 1]) {
        const offsets = out.produced.filter((p) => p.partition === part).map((p) => p.offset);
        assert.deepEqual(offsets, [...offsets.keys()], show);
      }
      const key = (r: { partition: number; offset: number }) => r.partition * 1000 + r.offset;
      const consumed = [...out.consumed].sort((a, b) => key(a) - key(b));
      const produced = [...out.produced].sort((a, b) => key(a) - key(b));
      assert.deepEqual(
        consumed.map(({ partition, offset, key, value }) => ({ partition, offset, key, value })),
        produced.map(({ partition, offset, key, value }) => ({ partition, offset, key, value })),
        show,
      );
      const byKey = new Map(out.consumed.map((r) => [r.key, r]));
      assert.deepEqual(byKey.get('k0')?.headers, [
        ['h1', bytes('v1')],
        ['idx', bytes('0')],
      ]);
      assert.deepEqual(byKey.get('k1')?.headers, [
        ['h1', bytes('v1')],
        ['nullhdr', null],
      ]);
      assert.deepEqual(byKey.get('k4')?.headers, [['bin', [0, 1, 2, 255]]]);
      assert.equal(byKey.get('tombstone')?.value, null);
      assert.equal(byKey.get('tombstone')?.timestamp, 1700000000000);
      assert.equal(byKey.get(null)?.value, `v-${codec}-nullkey`);
    });
  }
});

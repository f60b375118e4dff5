// kcat (librdkafka) against a Samsa broker process over TCP: metadata listing, producing with
// every codec (keys and headers), consuming from the beginning and comparing exactly.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CODECS, kcat, kcatConsume, kcatMetadata, kcatPath, kcatProduce } from './kcat-client.js';
import {
  type CompatBroker,
  compatSuite,
  type ExternalBroker,
  killClients,
  run,
  startCompatBroker,
  topicName,
} from './support.js';

compatSuite(`kcat ${kcat.ok ? kcat.version : ''}`, [kcat], () => {
  let broker: CompatBroker | ExternalBroker;
  const topics = Object.fromEntries(CODECS.map((c) => [c, topicName(`kcat-${c}`)]));
  before(async () => {
    broker = await startCompatBroker();
  });
  after(async () => {
    killClients();
    await broker?.stop();
  });

  test('kcat -L lists this broker as the controller', async () => {
    const md = await kcatMetadata(broker.bootstrap);
    assert.equal(md.brokers.length, 1);
    assert.equal(md.brokers[0]!.name, broker.bootstrap);
    assert.equal(md.controllerid, md.brokers[0]!.id);
  });

  for (const codec of CODECS) {
    test(`kcat -P -z ${codec} with keys and headers, then -C -o beginning reads it back exactly`, async () => {
      const topic = topics[codec]!;
      // A long, repetitive value so the codec really compresses, an empty key, a ':' in a value.
      const lines = [
        `key1:value-${codec}-1`,
        `key2:${'repetitive-'.repeat(300)}${codec}`,
        `:value-${codec}-emptykey`,
        `key3:a:b:c ü ✓ ${codec}`,
      ];
      await kcatProduce(broker.bootstrap, topic, codec, lines, ['h1=v1', 'trace=abc']);
      const got = await kcatConsume(broker.bootstrap, topic);
      assert.deepEqual(
        got.map((r) => ({
          offset: r.offset,
          partition: r.partition,
          key: r.key,
          payload: r.payload,
          headers: r.headers,
        })),
        lines.map((l, i) => {
          const at = l.indexOf(':');
          return {
            offset: i,
            partition: 0,
            key: l.slice(0, at),
            payload: l.slice(at + 1),
            headers: ['h1', 'v1', 'trace', 'abc'],
          };
        }),
      );
      for (const r of got) assert.equal(r.tstype, 'create');
    });
  }

  test('kcat -L -t shows an auto-created topic with its partition led by this broker', async () => {
    const md = await kcatMetadata(broker.bootstrap, topics.none);
    const t = md.topics.find((x) => x.topic === topics.none);
    assert.ok(t, `topic ${topics.none} listed`);
    assert.equal(t.error, undefined);
    assert.deepEqual(
      t.partitions.map((p) => [p.partition, p.leader, p.replicas.map((r) => r.id)]),
      [[0, md.brokers[0]!.id, [md.brokers[0]!.id]]],
    );
    const all = await kcatMetadata(broker.bootstrap);
    for (const name of Object.values(topics)) {
      assert.ok(
        all.topics.some((x) => x.topic === name),
        `${name} in the full listing`,
      );
    }
  });

  test('kcat -Q finds the end offset and the offset of a timestamp', async () => {
    // One query per run: kcat keeps a single timestamp per partition.
    const query = async (ts: number) => {
      const args = ['-b', broker.bootstrap, '-Q', '-t', `${topics.gzip}:0:${ts}`];
      const { stdout } = await run(kcatPath(), args, { timeoutMs: 30_000 });
      return Number(/\[0\]\s+offset (-?\d+)/.exec(stdout)?.[1]);
    };
    assert.equal(await query(-1), 4);
    assert.equal(await query(0), 0);
  });
});

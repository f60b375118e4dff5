// A compacted topic read by kcat (librdkafka) after Samsa's log cleaner rewrote it: the latest
// record of each key at its original offset (compressed batches recompressed with their codec,
// a tombstone kept with a null payload), and nothing else from the cleaned segments.
//
// Segments roll by segment.ms (segment.bytes cannot go below 1 MiB), so each kcat run after a
// pause starts a new segment and closes the one before; the cleaner may clean all but the last.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Admin } from 'kafkajs';
import { kafkaFor } from '../integration/kafkajs-client.js';
import { type KcatRecord, kcat, kcatPath } from './kcat-client.js';
import {
  type CompatBroker,
  compatSuite,
  type ExternalBroker,
  jsonLines,
  killClients,
  run,
  startCompatBroker,
  topicName,
} from './support.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function produce(bootstrap: string, topic: string, codec: string, lines: string[]) {
  // -Z: an empty value is sent as null (a tombstone).
  const args = ['-b', bootstrap, '-P', '-t', topic, '-z', codec, '-K:', '-Z'];
  args.push('-X', 'linger.ms=20', '-X', 'message.timeout.ms=20000');
  const { stderr } = await run(kcatPath(), args, { input: `${lines.join('\n')}\n` });
  assert.doesNotMatch(stderr, /ERROR|Failed/i, `kcat -P reported:\n${stderr}`);
}

/** Everything from offset 0 (the log start here; no ListOffsets needed), via kcat -C -e -J. */
async function consume(bootstrap: string, topic: string): Promise<KcatRecord[]> {
  const args = ['-b', bootstrap, '-C', '-t', topic, '-o', '0', '-e', '-J'];
  const { stdout, stderr } = await run(kcatPath(), args, { timeoutMs: 30_000 });
  assert.doesNotMatch(stderr, /ERROR/, `kcat -C reported:\n${stderr}`);
  return jsonLines<KcatRecord>(stdout);
}

compatSuite('kcat reads a compacted topic', [kcat], () => {
  let broker: CompatBroker | ExternalBroker;
  let admin: Admin;
  before(async () => {
    // log.cleaner.backoff.ms: how soon the idle cleaner looks again (Kafka's default is 15 s).
    broker = await startCompatBroker({ 'log.cleaner.backoff.ms': '200' });
    admin = kafkaFor(broker.bootstrap).admin();
    await admin.connect();
  });
  after(async () => {
    killClients();
    await admin?.disconnect().catch(() => {});
    await broker?.stop();
  });

  test('after cleaning, kcat gets the latest record per key at its original offset', async () => {
    const topic = topicName('compacted');
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
            { name: 'segment.ms', value: '100' },
          ],
        },
      ],
    });
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    await produce(
      broker.bootstrap,
      topic,
      'lz4',
      keys.map((k) => `${k}:first-${k}`),
    ); // 0-9
    await sleep(300);
    const second = keys.slice(0, 5).map((k) => `${k}:second-${k}`);
    await produce(broker.bootstrap, topic, 'zstd', [...second, 'k5:']); // 10-15, k5 deleted
    await sleep(300);
    await produce(broker.bootstrap, topic, 'none', ['end:last']); // 16, rolls: 0-15 cleanable

    const expected = [
      ...keys.slice(6).map((k, i) => [6 + i, k, `first-${k}`]),
      ...keys.slice(0, 5).map((k, i) => [10 + i, k, `second-${k}`]),
      [15, 'k5', null],
      [16, 'end', 'last'],
    ];
    let got: KcatRecord[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      got = await consume(broker.bootstrap, topic);
      if (got.length <= expected.length || Date.now() > deadline) break;
      await sleep(250);
    }
    assert.deepEqual(
      got.map((r) => [r.offset, r.key, r.payload]),
      expected,
    );
  });
});

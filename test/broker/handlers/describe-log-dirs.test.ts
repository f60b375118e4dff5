// DescribeLogDirs over TCP, v0-v4.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { DescribeLogDirsApi } from '../../../src/protocol/messages/describe-log-dirs.js';
import { buildBatch } from '../../storage/batches.js';
import { produce, startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(() => broker.stop());

test('the data dir with partition sizes, filtered by topic, with disk space from v4', async () => {
  await broker.createTopic('dld-a', 2);
  await broker.createTopic('dld-b');
  const c = await broker.client();
  const batch = buildBatch({ records: 2, baseTimestamp: Date.now() });
  await produce(c, 'dld-a', 1, batch);
  for (let v = 0; v <= 4; v++) {
    const all = await c.request(DescribeLogDirsApi, v, { topics: null });
    assert.equal(all.results.length, 1);
    const dir = all.results[0]!;
    assert.equal(dir.errorCode, 0);
    assert.equal(dir.logDir, resolve(broker.embedded.broker.config.dataDir));
    const a = dir.topics.find((t) => t.name === 'dld-a')!;
    assert.deepEqual(
      a.partitions.map((p) => [
        p.partitionIndex,
        Number(p.partitionSize),
        Number(p.offsetLag),
        p.isFutureKey,
      ]),
      [
        [0, 0, 0, false],
        [1, batch.length, 0, false],
      ],
    );
    assert.ok(dir.topics.some((t) => t.name === 'dld-b'));
    if (v >= 4) {
      assert.ok(dir.totalBytes! > 0n);
      assert.ok(dir.usableBytes! > 0n && dir.usableBytes! <= dir.totalBytes!);
    }
  }
  const some = await c.request(DescribeLogDirsApi, 4, {
    topics: [
      { topic: 'dld-a', partitions: [1, 7] },
      { topic: 'dld-nope', partitions: [0] },
    ],
  });
  assert.deepEqual(
    some.results[0]!.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]),
    [['dld-a', [1]]],
  );
});

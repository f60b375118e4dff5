// DeleteTopics v0-6 against an embedded broker: by name and by id, the per-topic errors Kafka
// 3.9 gives (compared by hand with tools/capture/kafka-broker.sh), delete.topic.enable=false,
// internal topics, and the logs going away with the topic.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DeleteTopicsApi } from '../../../src/protocol/messages/delete-topics.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import { type AdminTestBroker, errorName, startAdminBroker } from './admin-helpers.js';

let b: AdminTestBroker;
before(async () => {
  b = await startAdminBroker();
});
after(() => b.stop());

async function createTopics(target: AdminTestBroker, ...names: string[]): Promise<string[]> {
  const { broker } = target.embedded;
  const ids: string[] = [];
  for (const name of names) {
    const t = await broker.topics.createTopic({
      name,
      numPartitions: 2,
      replicationFactor: 1,
      brokers: broker.liveBrokerIds(),
    });
    ids.push(t.topicId);
  }
  return ids;
}

test('v0-5 delete by name; the topic and its logs are gone', async () => {
  const { broker } = b.embedded;
  for (let v = 0; v <= 5; v++) {
    await createTopics(b, `gone${v}`);
    assert.ok(broker.replicaManager.partition(`gone${v}`, 0));
    const c = await b.client();
    const res = await c.request(DeleteTopicsApi, v, {
      topicNames: [`gone${v}`, 'never-was'],
      timeoutMs: 5000,
    });
    assert.deepEqual(
      res.responses.map((r) => [r.name, errorName(r.errorCode)]),
      [
        [`gone${v}`, 'NONE'],
        ['never-was', 'UNKNOWN_TOPIC_OR_PARTITION'],
      ],
      `v${v}`,
    );
    if (v >= 5) assert.ok(res.responses[1]!.errorMessage);
    assert.equal(broker.topics.topic(`gone${v}`), undefined);
    assert.equal(broker.replicaManager.partition(`gone${v}`, 0), undefined);
  }
});

test('v6 by id or by name, never both; duplicates and unknown ids', async () => {
  const [idA, idB] = await createTopics(b, 'six-a', 'six-b', 'six-c');
  const unknownId = 'AAAAAAAAAAAAAAAAAAAAAQ';
  const c = await b.client();
  const res = await c.request(DeleteTopicsApi, 6, {
    topics: [
      { name: null, topicId: idA! },
      { name: 'six-c', topicId: ZERO_UUID },
      { name: null, topicId: unknownId },
      { name: 'six-b', topicId: idB! },
      { name: null, topicId: ZERO_UUID },
      { name: 'nope', topicId: ZERO_UUID },
    ],
    timeoutMs: 5000,
  });
  assert.deepEqual(
    res.responses.map((r) => [r.name, errorName(r.errorCode)]),
    [
      ['six-a', 'NONE'],
      ['six-c', 'NONE'],
      [null, 'UNKNOWN_TOPIC_ID'],
      ['six-b', 'INVALID_REQUEST'],
      [null, 'INVALID_REQUEST'],
      ['nope', 'UNKNOWN_TOPIC_OR_PARTITION'],
    ],
  );
  assert.equal(res.responses[0]!.topicId, idA);
  assert.equal(res.responses[2]!.topicId, unknownId);
  assert.notEqual(res.responses[1]!.topicId, ZERO_UUID, 'a topic deleted by name reports its id');
  assert.ok(b.embedded.broker.topics.topic('six-b'), 'not deleted when named both ways');

  const dup = await c.request(DeleteTopicsApi, 6, {
    topics: [
      { name: 'six-b', topicId: ZERO_UUID },
      { name: 'six-b', topicId: ZERO_UUID },
      { name: null, topicId: idB! },
    ],
    timeoutMs: 5000,
  });
  assert.deepEqual(
    dup.responses.map((r) => errorName(r.errorCode)),
    ['INVALID_REQUEST', 'INVALID_REQUEST'],
  );
  assert.ok(b.embedded.broker.topics.topic('six-b'));
});

test('internal topics are refused', async () => {
  await createTopics(b, '__consumer_offsets');
  const c = await b.client();
  const res = await c.request(DeleteTopicsApi, 5, {
    topicNames: ['__consumer_offsets'],
    timeoutMs: 5000,
  });
  assert.equal(errorName(res.responses[0]!.errorCode), 'INVALID_REQUEST');
  assert.match(res.responses[0]!.errorMessage!, /internal/);
  assert.ok(b.embedded.broker.topics.topic('__consumer_offsets'));
});

test('a timeout that has already run out deletes nothing', async () => {
  await createTopics(b, 'stays');
  const c = await b.client();
  const res = await c.request(DeleteTopicsApi, 4, { topicNames: ['stays'], timeoutMs: 0 });
  assert.equal(errorName(res.responses[0]!.errorCode), 'REQUEST_TIMED_OUT');
  assert.ok(b.embedded.broker.topics.topic('stays'));
});

test('delete.topic.enable=false: TOPIC_DELETION_DISABLED from v3, INVALID_REQUEST before', async () => {
  const other = await startAdminBroker({ 'delete.topic.enable': 'false' });
  try {
    await createTopics(other, 'kept');
    const c = await other.client();
    for (let v = 0; v <= 6; v++) {
      const body =
        v >= 6
          ? { topics: [{ name: 'kept', topicId: ZERO_UUID }], timeoutMs: 5000 }
          : { topicNames: ['kept'], timeoutMs: 5000 };
      const res = await c.request(DeleteTopicsApi, v, body);
      assert.equal(
        errorName(res.responses[0]!.errorCode),
        v >= 3 ? 'TOPIC_DELETION_DISABLED' : 'INVALID_REQUEST',
        `v${v}`,
      );
    }
    assert.ok(other.embedded.broker.topics.topic('kept'));
  } finally {
    await other.stop();
  }
});

// The consumer's handling of crafted Fetch answers from a fake broker: leadership errors,
// OFFSET_OUT_OF_RANGE resets, topic ids in Fetch v13+.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Samsa } from '../../src/client/index.js';
import type { FetchRequest } from '../../src/protocol/messages/fetch.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import type { ListOffsetsRequest } from '../../src/protocol/messages/list-offsets.js';
import { buildRecordBatch } from '../../src/protocol/records/builder.js';
import { FakeBroker, type FakeRequest, metadataFor } from './fake-broker.js';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

function fetchAnswer(
  req: FakeRequest,
  errorCode: number,
  baseOffset: number,
  values: string[],
  byId = false,
) {
  const body = req.body as FetchRequest;
  const t = body.topics[0]!;
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: byId ? '' : t.topic,
        topicId: byId ? TOPIC_ID : t.topicId,
        partitions: [
          {
            partitionIndex: 0,
            errorCode,
            highWatermark: BigInt(baseOffset + values.length),
            lastStableOffset: BigInt(baseOffset + values.length),
            logStartOffset: 0n,
            abortedTransactions: null,
            preferredReadReplica: -1,
            records:
              values.length === 0
                ? null
                : buildRecordBatch({
                    baseOffset,
                    records: values.map((v) => ({ value: Buffer.from(v), timestamp: 0 })),
                  }).buf,
          },
        ],
      },
    ],
  };
}

async function readOne(broker: FakeBroker, offset?: number) {
  const samsa = new Samsa({ brokers: [broker.bootstrap], logger: 'nothing' });
  const consumer = samsa.consumer({
    autoOffsetReset: 'earliest',
    retry: { initialRetryTimeMs: 5 },
  });
  await consumer.assign([{ topic: 't', partition: 0, offset }]);
  const m = (await consumer[Symbol.asyncIterator]().next()).value!;
  await consumer.close();
  return m;
}

describe('consumer against crafted answers', () => {
  it('refreshes metadata after NOT_LEADER_OR_FOLLOWER and fetches again', async () => {
    let fetches = 0;
    const broker: FakeBroker = await FakeBroker.start({
      [ApiKey.Metadata]: () => metadataFor(broker, { t: 1 }),
      [ApiKey.Fetch]: (req) =>
        fetches++ === 0 ? fetchAnswer(req, 6, 0, []) : fetchAnswer(req, 0, 0, ['hello']),
    });
    const m = await readOne(broker, 0);
    assert.equal(m.value!.toString(), 'hello');
    const metadataCalls = broker.requests.filter((r) => r.apiKey === ApiKey.Metadata).length;
    assert.ok(metadataCalls >= 2, `metadata asked ${metadataCalls} times`);
    await broker.stop();
  });

  it('resets to the earliest offset on OFFSET_OUT_OF_RANGE', async () => {
    const broker: FakeBroker = await FakeBroker.start({
      [ApiKey.Metadata]: () => metadataFor(broker, { t: 1 }),
      [ApiKey.ListOffsets]: (req) => {
        const p = (req.body as ListOffsetsRequest).topics[0]!.partitions[0]!;
        assert.equal(p.timestamp, -2n);
        return {
          throttleTimeMs: 0,
          topics: [
            {
              name: 't',
              partitions: [
                { partitionIndex: 0, errorCode: 0, timestamp: -1n, offset: 5n, leaderEpoch: 0 },
              ],
            },
          ],
        };
      },
      [ApiKey.Fetch]: (req) => {
        const offset = Number((req.body as FetchRequest).topics[0]!.partitions[0]!.fetchOffset);
        return offset === 5 ? fetchAnswer(req, 0, 5, ['five']) : fetchAnswer(req, 1, 0, []);
      },
    });
    const m = await readOne(broker, 100);
    assert.equal(m.offset, 5);
    assert.equal(m.value!.toString(), 'five');
    await broker.stop();
  });

  it('speaks Fetch v13+ with topic ids and maps answers back to topic names', async () => {
    const broker: FakeBroker = await FakeBroker.start({
      [ApiKey.Metadata]: () => {
        const md = metadataFor(broker, { t: 1 });
        md.topics[0]!.topicId = TOPIC_ID;
        return md;
      },
      [ApiKey.Fetch]: (req) => {
        assert.ok(req.version >= 13);
        assert.equal((req.body as FetchRequest).topics[0]!.topicId, TOPIC_ID);
        return fetchAnswer(req, 0, 0, ['by-id'], true);
      },
    });
    const m = await readOne(broker, 0);
    assert.equal(m.topic, 't');
    assert.equal(m.value!.toString(), 'by-id');
    await broker.stop();
  });
});

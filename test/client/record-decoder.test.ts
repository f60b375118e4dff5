// The consumer's record decoder against the protocol layer's (protocol/records/record.ts): the
// same records from the same bytes, and the same refusals (CORRUPT_MESSAGE) when any byte of a
// records section is changed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FetchedRecord } from '../../src/client/fetched-records.js';
import { type BatchContext, decodeBatchRecords } from '../../src/client/record-decoder.js';
import { MalformedInputError } from '../../src/protocol/errors.js';
import { buildRecordBatch } from '../../src/protocol/records/builder.js';
import { decodeRecords, type Record } from '../../src/protocol/records/record.js';

const ctx: BatchContext = {
  topic: 't',
  partition: 3,
  baseOffset: 1000,
  baseTimestamp: 1_700_000_000_000,
  logAppendTime: undefined,
  leaderEpoch: 7,
  fromOffset: 0,
};

/** An uncompressed records section with awkward fields: null, empty, long, headers, negative deltas. */
function section(): { payload: Buffer; count: number } {
  const records = [
    { key: null, value: Buffer.from('v0'), timestamp: 1_700_000_000_000 },
    {
      key: Buffer.alloc(0),
      value: null,
      timestamp: 1_699_999_999_000,
      headers: [
        { key: 'h', value: Buffer.from('a') },
        { key: 'ünï', value: null },
        { key: '', value: Buffer.alloc(0) },
      ],
    },
    { key: Buffer.from([0xff, 0]), value: Buffer.alloc(300, 1), timestamp: 1_800_000_000_000 },
    {
      key: Buffer.from('k'),
      value: Buffer.from('x'),
      timestamp: 1_700_000_000_001,
      offsetDelta: 200,
    },
  ];
  const batch = buildRecordBatch({ baseOffset: 1000, records, baseTimestamp: 1_700_000_000_000 });
  return { payload: batch.buf.subarray(61), count: records.length };
}

const expectedOf = (rs: Record[]): unknown[] =>
  rs.map((r) => ({
    offset: 1000 + r.offsetDelta,
    timestamp: 1_700_000_000_000 + r.timestampDelta,
    key: r.key,
    value: r.value,
    headers: r.headers,
  }));
const shapeOf = (rs: FetchedRecord[]): unknown[] =>
  rs.map(({ offset, timestamp, key, value, headers }) => ({
    offset,
    timestamp,
    key,
    value,
    headers,
  }));

/** 'ok' with the records, or the error code; both decoders are run the same way. */
function outcome(run: () => unknown[]): { ok: unknown[] } | { code: number } {
  try {
    return { ok: run() };
  } catch (err) {
    assert.ok(err instanceof MalformedInputError, `not a MalformedInputError: ${err}`);
    return { code: err.code };
  }
}

describe('decodeBatchRecords', () => {
  it('decodes what the protocol decoder decodes, with the batch context', () => {
    const { payload, count } = section();
    const out: FetchedRecord[] = [];
    decodeBatchRecords(payload, count, ctx, out);
    assert.deepEqual(shapeOf(out), expectedOf(decodeRecords(payload, count)));
    assert.deepEqual(
      out.map((r) => [r.topic, r.partition, r.timestampType, r.leaderEpoch]),
      Array(count).fill(['t', 3, 'CreateTime', 7]),
    );
    assert.equal(out[2]!.value!.buffer, payload.buffer, 'values are views, not copies');
  });

  it('skips records below fromOffset and stamps LogAppendTime', () => {
    const { payload, count } = section();
    const out: FetchedRecord[] = [];
    decodeBatchRecords(payload, count, { ...ctx, fromOffset: 1002, logAppendTime: 42 }, out);
    assert.deepEqual(
      out.map((r) => [r.offset, r.timestamp, r.timestampType]),
      [
        [1002, 42, 'LogAppendTime'],
        [1200, 42, 'LogAppendTime'],
      ],
    );
  });

  it('accepts and refuses exactly what the protocol decoder does when any byte changes', () => {
    const { payload, count } = section();
    let refused = 0;
    for (let i = 0; i < payload.length; i++) {
      for (const v of [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff]) {
        const bad = Buffer.from(payload);
        bad[i] = v;
        const want = outcome(() => expectedOf(decodeRecords(bad, count)));
        const got = outcome(() => {
          const out: FetchedRecord[] = [];
          decodeBatchRecords(bad, count, ctx, out);
          return shapeOf(out);
        });
        assert.deepEqual(got, want, `byte ${i} set to ${v}`);
        if ('code' in got) refused++;
      }
    }
    assert.ok(refused > 100, `only ${refused} mutations were refused`);
    for (const n of [count + 1, count - 1, -1, 1 << 30]) {
      const want = outcome(() => expectedOf(decodeRecords(payload, n)));
      const got = outcome(() => {
        decodeBatchRecords(payload, n, ctx, []);
        return [];
      });
      assert.deepEqual(got, want, `count ${n}`);
    }
    for (let cut = 0; cut < payload.length; cut++) {
      const short = payload.subarray(0, cut);
      const got = outcome(() => {
        decodeBatchRecords(short, count, ctx, []);
        return [];
      });
      assert.deepEqual(got, { code: 2 }, `cut at ${cut}`);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionType, RecordBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { buildRecordBatch } from '../../../src/protocol/records/builder.js';
import { forEachKey } from '../../../src/storage/cleaner/key-scan.js';
import { buildBatch } from '../batches.js';

const keysOf = (batch: Parameters<typeof forEachKey>[0]) => {
  const out: [number, string | null][] = [];
  forEachKey(batch, (delta, key) => {
    out.push([delta, key?.toString() ?? null]);
    return true;
  });
  return out;
};

describe('key scan of the offset map pass', () => {
  it('reads offset deltas and keys past values, headers and large timestamp deltas', () => {
    for (const compression of [CompressionType.None, CompressionType.Zstd]) {
      const batch = buildRecordBatch({
        compression,
        records: [
          { key: Buffer.from('a'), value: Buffer.alloc(300, 1), timestamp: 0 },
          { key: null, value: null, timestamp: 2 ** 40, offsetDelta: 5 },
          {
            key: Buffer.from('ü'.repeat(100)),
            value: null,
            headers: [{ key: 'h', value: Buffer.from('v') }],
            timestamp: 7,
            offsetDelta: 200,
          },
        ],
      });
      assert.deepEqual(keysOf(batch), [
        [0, 'a'],
        [5, null],
        [200, 'ü'.repeat(100)],
      ]);
    }
  });

  it('stops when asked, and refuses records that run past the batch', () => {
    const batch = buildRecordBatch({
      records: [
        { key: Buffer.from('a'), value: null, timestamp: 0 },
        { key: Buffer.from('b'), value: null, timestamp: 0 },
      ],
    });
    let seen = 0;
    assert.equal(
      forEachKey(batch, () => ++seen < 1),
      false,
    );
    assert.equal(seen, 1);
    const torn = buildBatch({ records: [{ key: 'k', value: 'v' }] });
    torn.writeInt32BE(2, 57); // claims two records
    assert.throws(() => forEachKey(new RecordBatchHeader(torn), () => true), /truncated|length/);
  });
});

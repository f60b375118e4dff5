// Decoding of a partition's records from crafted Fetch answers: fetch offset inside a batch,
// partial trailing batch, control batches, aborted transactions, every codec.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FetchedRecord, FetchedRecords } from '../../src/client/fetched-records.js';
import { CompressionType } from '../../src/protocol/records/batch-header.js';
import { buildRecordBatch } from '../../src/protocol/records/builder.js';
import {
  buildEndTransactionMarker,
  ControlRecordType,
} from '../../src/protocol/records/control.js';

const batch = (
  baseOffset: number,
  values: string[],
  extra: Partial<Parameters<typeof buildRecordBatch>[0]> = {},
) =>
  buildRecordBatch({
    baseOffset,
    records: values.map((v, i) => ({ value: Buffer.from(v), key: null, timestamp: 1000 + i })),
    ...extra,
  }).buf;

function drain(f: FetchedRecords): FetchedRecord[] {
  const out: FetchedRecord[] = [];
  for (let r = f.next(); r; r = f.next()) out.push(r);
  return out;
}
const values = (rs: FetchedRecord[]) => rs.map((r) => r.value!.toString());

describe('FetchedRecords', () => {
  for (const [name, codec] of Object.entries(CompressionType)) {
    it(`skips records before the fetch offset inside a ${name} batch`, () => {
      const data = Buffer.concat([
        batch(10, ['a', 'b', 'c', 'd'], { compression: codec }),
        batch(14, ['e']),
      ]);
      const f = new FetchedRecords(data, 12);
      const got = drain(f);
      assert.deepEqual(values(got), ['c', 'd', 'e']);
      assert.deepEqual(
        got.map((r) => r.offset),
        [12, 13, 14],
      );
      assert.equal(got[0]!.timestamp, 1002);
      assert.equal(f.nextFetchOffset, 15);
    });
  }

  it('drops a partial batch at the end and fetches again from its start', () => {
    const whole = batch(0, ['a', 'b']);
    const cut = batch(2, ['c', 'd']).subarray(0, 30);
    const f = new FetchedRecords(Buffer.concat([whole, cut]), 0);
    assert.deepEqual(values(drain(f)), ['a', 'b']);
    assert.equal(f.nextFetchOffset, 2);
    assert.equal(f.truncated, false);
  });

  it('flags an answer holding only part of one batch (the partition limit is too small)', () => {
    const f = new FetchedRecords(batch(5, ['x'.repeat(100)]).subarray(0, 70), 5);
    assert.equal(f.truncated, true);
    assert.equal(f.nextFetchOffset, 5);
    assert.equal(f.next(), undefined);
  });

  it('never shows control batches, and moves past them', () => {
    const marker = buildEndTransactionMarker({
      baseOffset: 2,
      producerId: 7,
      producerEpoch: 0,
      coordinatorEpoch: 0,
      type: ControlRecordType.Commit,
      timestamp: 0,
    }).buf;
    const txn = { producerId: 7, producerEpoch: 0, baseSequence: 0, isTransactional: true };
    const f = new FetchedRecords(Buffer.concat([batch(0, ['a', 'b'], txn), marker]), 0);
    assert.deepEqual(values(drain(f)), ['a', 'b']);
    assert.equal(f.nextFetchOffset, 3);
  });

  it('with read_committed, skips aborted transactions and keeps committed and non-transactional records', () => {
    const txn = (pid: number) => ({
      producerId: pid,
      producerEpoch: 0,
      baseSequence: 0,
      isTransactional: true,
    });
    const end = (offset: number, pid: number, type: 0 | 1) =>
      buildEndTransactionMarker({
        baseOffset: offset,
        producerId: pid,
        producerEpoch: 0,
        coordinatorEpoch: 0,
        type,
        timestamp: 0,
      }).buf;
    const data = Buffer.concat([
      batch(0, ['p1-aborted'], txn(1)),
      batch(1, ['p2-committed'], txn(2)),
      batch(2, ['plain']),
      end(3, 1, ControlRecordType.Abort),
      end(4, 2, ControlRecordType.Commit),
      batch(5, ['p1-again'], txn(1)),
      end(6, 1, ControlRecordType.Commit),
    ]);
    const aborted = [{ producerId: 1, firstOffset: 0 }];
    assert.deepEqual(
      values(
        drain(new FetchedRecords(data, 0, { readCommitted: true, abortedTransactions: aborted })),
      ),
      ['p2-committed', 'plain', 'p1-again'],
    );
    assert.deepEqual(values(drain(new FetchedRecords(data, 0, { abortedTransactions: aborted }))), [
      'p1-aborted',
      'p2-committed',
      'plain',
      'p1-again',
    ]);
  });

  it('reports LogAppendTime timestamps from the batch', () => {
    const data = batch(0, ['a', 'b'], { timestampType: 1, maxTimestamp: 99_999 });
    const got = drain(new FetchedRecords(data, 0));
    assert.deepEqual(
      got.map((r) => [r.timestamp, r.timestampType]),
      [
        [99_999, 'LogAppendTime'],
        [99_999, 'LogAppendTime'],
      ],
    );
  });

  it('handles an empty or null records field', () => {
    assert.equal(new FetchedRecords(null, 4).next(), undefined);
    assert.equal(new FetchedRecords(Buffer.alloc(0), 4).nextFetchOffset, 4);
  });

  it('refuses a batch whose CRC does not match (CORRUPT_MESSAGE) until seeked past, unless checkCrcs is off', () => {
    const good = batch(0, ['a', 'b']);
    const bad = batch(2, ['c', 'd']);
    bad[bad.length - 2] ^= 0x01; // the last value byte (before the header count): the records still decode, only the CRC tells
    const data = Buffer.concat([good, bad]);
    const f = new FetchedRecords(data, 0);
    assert.equal(f.next()?.value?.toString(), 'a');
    assert.equal(f.next()?.value?.toString(), 'b');
    for (let i = 0; i < 2; i++) {
      assert.throws(
        () => f.next(),
        (err: Error & { errorName?: string }) =>
          err.errorName === 'CORRUPT_MESSAGE' && /offset 2 is corrupt/.test(err.message),
      );
    }
    const unchecked = drain(new FetchedRecords(data, 0, { checkCrcs: false }));
    assert.deepEqual(values(unchecked), ['a', 'b', 'c', 'e']);
  });

  it('takeAll hands out every record in one array and stops before a corrupt batch once it has some', () => {
    const good = batch(0, ['a', 'b']);
    const bad = batch(2, ['c', 'd']);
    bad[bad.length - 2] ^= 0x01;
    const f = new FetchedRecords(Buffer.concat([good, bad]), 0);
    assert.equal(f.next()?.value?.toString(), 'a'); // takeAll goes on from where next() left off
    const out: FetchedRecord[] = [];
    f.takeAll(out);
    assert.deepEqual(values(out), ['b']);
    assert.equal(f.isDone, false);
    for (let i = 0; i < 2; i++) {
      assert.throws(
        () => f.takeAll(out),
        (err: Error & { errorName?: string }) => err.errorName === 'CORRUPT_MESSAGE',
      );
    }
    assert.equal(out.length, 1);
    const all: FetchedRecord[] = [];
    const whole = new FetchedRecords(Buffer.concat([good, batch(2, ['c'])]), 1);
    whole.takeAll(all);
    assert.deepEqual(values(all), ['b', 'c']);
    assert.equal(whole.isDone, true);
  });

  it('takeAll hands out none of the records of a batch that fails to decode part-way', () => {
    const good = batch(0, ['a'.repeat(10)]);
    const broken = batch(1, ['b'.repeat(10), 'c'.repeat(10)]);
    broken.writeInt32BE(3, 57); // declares a third record that is not there; no CRC check to catch it
    const f = new FetchedRecords(Buffer.concat([good, broken]), 0, { checkCrcs: false });
    const out: FetchedRecord[] = [];
    f.takeAll(out);
    assert.equal(out.length, 1);
    assert.throws(
      () => f.takeAll(out),
      (err: Error & { errorName?: string }) => err.errorName === 'CORRUPT_MESSAGE',
    );
    assert.equal(out.length, 1);
  });

  it('gives records without headers one shared, frozen empty array', () => {
    const data = Buffer.concat([
      batch(0, ['a', 'b']),
      buildRecordBatch({
        baseOffset: 2,
        records: [
          {
            value: Buffer.from('c'),
            timestamp: 0,
            headers: [{ key: 'h', value: Buffer.from('v') }],
          },
        ],
      }).buf,
    ]);
    const [a, b, c] = drain(new FetchedRecords(data, 0));
    assert.equal(a!.headers, b!.headers);
    assert.ok(Object.isFrozen(a!.headers));
    assert.throws(() => a!.headers.push({ key: 'x', value: null }), TypeError);
    assert.deepEqual(
      c!.headers.map((h) => [h.key, h.value?.toString()]),
      [['h', 'v']],
    );
    assert.ok(!Object.isFrozen(c!.headers));
  });
});

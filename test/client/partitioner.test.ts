import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import {
  DefaultPartitioner,
  murmur2,
  partitionForKey,
  toPositive,
} from '../../src/client/partitioner.js';

describe('murmur2', () => {
  it('matches the vectors of Kafka UtilsTest.testMurmur2', () => {
    const cases: [Uint8Array, number][] = [
      [Buffer.from('21'), -973932308],
      [Buffer.from('foobar'), -790332482],
      [Buffer.from('a-little-bit-long-string'), -985981536],
      [Buffer.from('a-little-bit-longer-string'), -1486304829],
      [Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
      [new Uint8Array([0x61, 0x62, 0x63]), 479470107],
    ];
    for (const [key, expected] of cases) assert.equal(murmur2(key), expected, String(key));
  });

  it('handles every tail length and bytes with the high bit set', () => {
    // Cross-checked against KafkaJS's Java-compatible murmur2 (its default partitioner).
    const require = createRequire(import.meta.url);
    const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
      k: Buffer,
    ) => number;
    for (let len = 0; len < 40; len++) {
      const key = Buffer.alloc(len);
      for (let i = 0; i < len; i++) key[i] = (i * 97 + len * 31) & 0xff;
      assert.equal(murmur2(key), kafkajsMurmur2(key), `length ${len}`);
    }
  });

  it('toPositive clears the sign bit like Kafka, unlike Math.abs', () => {
    assert.equal(toPositive(-2147483648), 0);
    assert.equal(toPositive(-1), 0x7fffffff);
    assert.equal(toPositive(5), 5);
  });

  it('partitionForKey is toPositive(murmur2(key)) % n', () => {
    assert.equal(partitionForKey(Buffer.from('foobar'), 10), toPositive(-790332482) % 10);
    assert.equal(partitionForKey(Buffer.from('21'), 3), toPositive(-973932308) % 3);
  });
});

describe('DefaultPartitioner', () => {
  const args = (key: Buffer | null) => ({
    topic: 't',
    key,
    value: null,
    partitionCount: 4,
    availablePartitions: [0, 1, 2, 3],
  });

  it('sends the same key to the same partition', () => {
    const p = new DefaultPartitioner(1000);
    const k = Buffer.from('user-42');
    assert.equal(p.partition(args(k), 10), partitionForKey(k, 4));
    assert.equal(p.partition(args(k), 10), partitionForKey(k, 4));
  });

  it('sticks to one partition for null keys until batchSize bytes, then moves on', () => {
    let n = 0;
    const seq = [0.1, 0.6, 0.6, 0.9];
    const p = new DefaultPartitioner(100, () => seq[n++ % seq.length]!);
    const first = p.partition(args(null), 60);
    assert.equal(p.partition(args(null), 60), first);
    const next = p.partition(args(null), 60);
    assert.notEqual(next, first);
  });

  it('only picks partitions that have a leader', () => {
    const p = new DefaultPartitioner(1);
    for (let i = 0; i < 50; i++) {
      const got = p.partition({ ...args(null), availablePartitions: [2] }, 10);
      assert.equal(got, 2);
    }
  });
});

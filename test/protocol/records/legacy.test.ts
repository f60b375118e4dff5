// Legacy message sets as KafkaJS 2.2.4 encodes them for Produce v0-v2 (its messageSet and
// message v0/v1 encoders, required straight from node_modules).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { crc32 } from '@node-rs/crc32';
import { MalformedInputError } from '../../../src/protocol/errors.js';
import {
  isLegacyMagic,
  LEGACY_PRODUCE_ERROR_CODE,
  readLegacyMessageSet,
  TimestampType,
  validateProducedRecords,
} from '../../../src/protocol/records/index.js';

const require = createRequire(import.meta.url);
const MessageSet = require('kafkajs/src/protocol/messageSet');
const { Types, lookupCodec } = require('kafkajs/src/protocol/message/compression');

const T0 = 1_600_000_000_000;
const entries = [
  { key: Buffer.from('a'), value: Buffer.from('alpha'), timestamp: T0 },
  { key: null, value: Buffer.from('beta'), timestamp: T0 + 1 },
  { key: Buffer.from('c'), value: null, timestamp: T0 + 2 },
];

function uncompressedSet(messageVersion: 0 | 1): Buffer {
  return MessageSet({ messageVersion, compression: Types.None, entries }).buffer;
}

/** KafkaJS's Produce v2 path: compress the inner set, wrap it in one message. */
async function compressedSet(messageVersion: 0 | 1): Promise<Buffer> {
  const inner = MessageSet({ messageVersion, compression: Types.GZIP, entries });
  const value = await lookupCodec(Types.GZIP).compress(inner);
  return MessageSet({
    messageVersion,
    entries: [{ compression: Types.GZIP, timestamp: T0 + 10, value }],
  }).buffer;
}

const corrupt = (fn: () => unknown, re?: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof MalformedInputError && e.code === 2 && (!re || re.test(e.message)),
  );

test('magic 0 and 1 uncompressed sets decode with offsets, timestamps, keys and values', () => {
  for (const magic of [0, 1] as const) {
    const records = readLegacyMessageSet(uncompressedSet(magic));
    assert.equal(records.length, 3);
    records.forEach((r, i) => {
      assert.equal(r.magic, magic);
      assert.equal(r.offset, -1); // what a producer sends for uncompressed sets
      assert.equal(r.timestamp, magic === 1 ? entries[i]!.timestamp : -1);
      assert.equal(r.timestampType, TimestampType.CreateTime);
      assert.deepEqual(r.key, entries[i]!.key);
      assert.deepEqual(r.value, entries[i]!.value);
    });
  }
});

test('gzip wrappers expand into their inner messages', async () => {
  for (const magic of [0, 1] as const) {
    const records = readLegacyMessageSet(await compressedSet(magic));
    assert.deepEqual(
      records.map((r) => [r.offset, r.value?.toString() ?? null]),
      [
        [0, 'alpha'],
        [1, 'beta'],
        [2, null],
      ],
    );
    if (magic === 1)
      assert.deepEqual(
        records.map((r) => r.timestamp),
        [T0, T0 + 1, T0 + 2],
      );
  }
});

test('magic 1 wrapper offsets make inner relative offsets absolute', async () => {
  const set = await compressedSet(1);
  set.writeBigInt64BE(102n, 0); // the broker's offset of the last inner message
  assert.deepEqual(
    readLegacyMessageSet(set).map((r) => r.offset),
    [100, 101, 102],
  );
  set.writeBigInt64BE(1n, 0);
  corrupt(() => readLegacyMessageSet(set), /below its last inner offset/);
});

test('a LogAppendTime wrapper gives its timestamp to every inner message', async () => {
  const set = await compressedSet(1);
  // Set the timestamp-type bit on the wrapper and fix its CRC (offset 12 is the message).
  set[12 + 5] = set[12 + 5]! | 0x08;
  set.writeUInt32BE(crc32(set.subarray(12 + 4)) >>> 0, 12);
  const records = readLegacyMessageSet(set);
  assert.ok(records.every((r) => r.timestamp === T0 + 10));
  assert.ok(records.every((r) => r.timestampType === TimestampType.LogAppendTime));
});

test('partial tails are skipped only when allowed; bad CRCs and sizes are corrupt', async () => {
  const set = uncompressedSet(1);
  const cut = set.subarray(0, set.length - 3);
  assert.equal(readLegacyMessageSet(cut, { allowPartialTail: true }).length, 2);
  corrupt(() => readLegacyMessageSet(cut), /truncated/);
  const flipped = Buffer.from(set);
  flipped[flipped.length - 1] ^= 1;
  corrupt(() => readLegacyMessageSet(flipped), /stored crc/);
  const tiny = Buffer.from(set);
  tiny.writeInt32BE(3, 8);
  corrupt(() => readLegacyMessageSet(tiny), /too small/);
  const bomb = await compressedSet(1);
  corrupt(() => readLegacyMessageSet(bomb, { maxBytes: 10 }), /limit/);
});

test('Produce v3+ refuses legacy sets with INVALID_RECORD, as Apache Kafka does', () => {
  assert.equal(LEGACY_PRODUCE_ERROR_CODE, 87);
  assert.ok(isLegacyMagic(0) && isLegacyMagic(1) && !isLegacyMagic(2));
  for (const magic of [0, 1] as const) {
    const result = validateProducedRecords(uncompressedSet(magic), { produceVersion: 3 });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.errorCode, LEGACY_PRODUCE_ERROR_CODE);
  }
});

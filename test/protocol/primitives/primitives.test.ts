import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MalformedInputError } from '../../../src/protocol/errors.js';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { randomUuid, ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import { Writer } from '../../../src/protocol/primitives/writer.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Expected bytes follow the protocol guide's definitions (big-endian fixed ints, LEB128
// unsigned varints, zigzag for signed ones), worked out by hand rather than by our writer.
test('fixed-width integers are big-endian', () => {
  const w = new Writer().int8(-2).int16(0x1234).int32(-1).int64(0x0102030405060708n).uint16(65535);
  assert.deepEqual(w.toBuffer(), hex('fe 1234 ffffffff 0102030405060708 ffff'));
  const r = new Reader(w.toBuffer());
  assert.equal(r.int8(), -2);
  assert.equal(r.int16(), 0x1234);
  assert.equal(r.int32(), -1);
  assert.equal(r.int64(), 0x0102030405060708n);
  assert.equal(r.uint16(), 65535);
  assert.equal(r.remaining(), 0);
});

test('unsigned varints and zigzag varints match known encodings', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [0xffffffff, 'ffffffff0f'],
  ];
  for (const [v, bytes] of cases) {
    assert.deepEqual(new Writer().unsignedVarint(v).toBuffer(), hex(bytes), `uvarint ${v}`);
    assert.equal(new Reader(hex(bytes)).unsignedVarint(), v);
  }
  const zigzag: [number, string][] = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-2, '03'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ];
  for (const [v, bytes] of zigzag) {
    assert.deepEqual(new Writer().varint(v).toBuffer(), hex(bytes), `varint ${v}`);
    assert.equal(new Reader(hex(bytes)).varint(), v);
  }
  const longs: [bigint, string][] = [
    [0n, '00'],
    [-1n, '01'],
    [9223372036854775807n, 'feffffffffffffffff01'],
    [-9223372036854775808n, 'ffffffffffffffffff01'],
  ];
  for (const [v, bytes] of longs) {
    assert.deepEqual(new Writer().varlong(v).toBuffer(), hex(bytes), `varlong ${v}`);
    assert.equal(new Reader(hex(bytes)).varlong(), v);
  }
  for (const v of [0, -1, 1, 1_700_000_000_000, -1_700_000_000_000, 2 ** 40 + 3]) {
    const bytes = new Writer().varlongNumber(v).toBuffer();
    assert.deepEqual(bytes, new Writer().varlong(BigInt(v)).toBuffer());
    assert.equal(new Reader(bytes).varlongNumber(), v);
  }
});

test('strings and bytes in classic and compact forms', () => {
  const w = new Writer()
    .string('ab')
    .nullableString(null)
    .compactString('ab')
    .compactNullableString(null)
    .bytes(Buffer.from([1]))
    .nullableBytes(null)
    .compactBytes(Buffer.from([1, 2]))
    .compactNullableBytes(null);
  assert.deepEqual(w.toBuffer(), hex('0002 6162 ffff 03 6162 00 00000001 01 ffffffff 03 0102 00'));
  const r = new Reader(w.toBuffer());
  assert.equal(r.string(), 'ab');
  assert.equal(r.nullableString(), null);
  assert.equal(r.compactString(), 'ab');
  assert.equal(r.compactNullableString(), null);
  assert.deepEqual(r.bytes(), Buffer.from([1]));
  assert.equal(r.nullableBytes(), null);
  assert.deepEqual(r.compactBytes(), Buffer.from([1, 2]));
  assert.equal(r.compactNullableBytes(), null);
});

test('uuids travel as base64url strings of 16 bytes', () => {
  const id = randomUuid();
  assert.match(id, /^[A-Za-z0-9_-]{22}$/);
  const bytes = new Writer().uuid(id).uuid(ZERO_UUID).toBuffer();
  assert.equal(bytes.length, 32);
  assert.deepEqual(bytes.subarray(16), Buffer.alloc(16));
  const r = new Reader(bytes);
  assert.equal(r.uuid(), id);
  assert.equal(r.uuid(), ZERO_UUID);
  assert.throws(() => new Writer().uuid('not-a-uuid'), TypeError);
});

test('large payloads are referenced, not copied', () => {
  const payload = Buffer.alloc(4096, 7);
  const w = new Writer().int32(1).rawBuffer(payload).int16(2);
  const parts = w.toBuffers();
  assert.equal(parts.length, 3);
  assert.equal(parts[1], payload, 'the payload buffer itself is in the list');
  assert.equal(w.length, 4 + 4096 + 2);
  // Decoding a byte field gives a view into the input, not a copy.
  const frame = new Writer().bytes(payload).toBuffer();
  const view = new Reader(frame).bytes();
  assert.equal(view.buffer, frame.buffer);
});

test('the writer grows across many small writes', () => {
  const w = new Writer(16);
  for (let i = 0; i < 10_000; i++) w.int32(i);
  const r = new Reader(w.toBuffer());
  for (let i = 0; i < 10_000; i++) assert.equal(r.int32(), i);
});

test('tagged fields: known tags read, unknown tags kept raw', () => {
  const w = new Writer().taggedFields([
    { tag: 5, data: Buffer.from([9, 9]) },
    { tag: 0, data: Buffer.from([0x01]) },
  ]);
  assert.deepEqual(w.toBuffer(), hex('02 00 01 01 05 02 0909'));
  let tag0: number | undefined;
  const unknown = new Reader(w.toBuffer()).taggedFields((tag, r) => {
    if (tag !== 0) return false;
    tag0 = r.int8();
    return true;
  });
  assert.equal(tag0, 1);
  assert.deepEqual(unknown, [{ tag: 5, data: Buffer.from([9, 9]) }]);
});

test('malformed input raises MalformedInputError, never a RangeError', () => {
  const bad: [string, (r: Reader) => unknown][] = [
    ['', (r) => r.int32()],
    ['0005 61', (r) => r.string()],
    ['fffe', (r) => r.nullableString()],
    ['ffff', (r) => r.string()],
    ['7fffffff', (r) => r.bytes()],
    ['fffffffe', (r) => r.nullableBytes()],
    ['7fffffff 00', (r) => r.arrayLength()],
    ['ffffffff7f', (r) => r.unsignedVarint()],
    ['ffffffffff', (r) => r.unsignedVarint()],
    ['80', (r) => r.varint()],
    ['ffffffffffffffffff7f', (r) => r.varlong()],
    ['ffffff7f', (r) => r.compactArrayLength()],
    ['01 00 05 00', (r) => r.taggedFields()],
    ['0102', (r) => r.uuid()],
  ];
  for (const [bytes, read] of bad) {
    assert.throws(() => read(new Reader(hex(bytes))), MalformedInputError, bytes);
  }
});

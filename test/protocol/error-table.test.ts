import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_TABLE, ErrorCode } from '../../src/protocol/error-table.js';
import { errorInfo, KafkaError } from '../../src/protocol/errors.js';

test('codes are unique and contiguous from -1 to the max', () => {
  const codes = ERROR_TABLE.map((e) => e.code);
  assert.equal(new Set(codes).size, codes.length);
  assert.equal(codes[0], -1);
  const max = Math.max(...codes);
  assert.deepEqual(
    codes,
    Array.from({ length: max + 2 }, (_, i) => i - 1),
  );
});

test('names are unique and upper snake case', () => {
  const names = ERROR_TABLE.map((e) => e.name);
  assert.equal(new Set(names).size, names.length);
  for (const name of names) assert.match(name, /^[A-Z0-9_]+$/);
});

test('ErrorCode agrees with ERROR_TABLE both ways', () => {
  const fromTable = Object.fromEntries(ERROR_TABLE.map((e) => [e.name, e.code]));
  assert.deepEqual({ ...ErrorCode }, fromTable);
  for (const [name, code] of Object.entries(ErrorCode)) {
    const row = ERROR_TABLE.find((e) => e.code === code);
    assert.equal(row?.name, name);
  }
});

test('ErrorCode members have literal types', () => {
  const none: 0 = ErrorCode.NONE;
  const unknown: -1 = ErrorCode.UNKNOWN_SERVER_ERROR;
  assert.equal(none, 0);
  assert.equal(unknown, -1);
});

test('spot checks of codes and retriability', () => {
  const cases: [number, string, boolean][] = [
    [-1, 'UNKNOWN_SERVER_ERROR', false],
    [0, 'NONE', false],
    [1, 'OFFSET_OUT_OF_RANGE', false],
    [2, 'CORRUPT_MESSAGE', true],
    [3, 'UNKNOWN_TOPIC_OR_PARTITION', true],
    [6, 'NOT_LEADER_OR_FOLLOWER', true],
    [7, 'REQUEST_TIMED_OUT', true],
    [14, 'COORDINATOR_LOAD_IN_PROGRESS', true],
    [19, 'NOT_ENOUGH_REPLICAS', true],
    [25, 'UNKNOWN_MEMBER_ID', false],
    [27, 'REBALANCE_IN_PROGRESS', false],
    [35, 'UNSUPPORTED_VERSION', false],
    [36, 'TOPIC_ALREADY_EXISTS', false],
    [42, 'INVALID_REQUEST', false],
    [51, 'CONCURRENT_TRANSACTIONS', true],
    [74, 'FENCED_LEADER_EPOCH', true],
    [79, 'MEMBER_ID_REQUIRED', false],
    [100, 'UNKNOWN_TOPIC_ID', true],
    [103, 'INCONSISTENT_TOPIC_ID', true],
    [110, 'FENCED_MEMBER_EPOCH', false],
    [111, 'UNRELEASED_INSTANCE_ID', false],
    [133, 'SHARE_SESSION_LIMIT_REACHED', true],
    [136, 'CONTROLLER_ID_NOT_REGISTERED', false],
  ];
  for (const [code, name, retriable] of cases) {
    assert.deepEqual(errorInfo(code), { code, name, retriable }, `code ${code}`);
  }
});

test('exactly the codes whose Kafka exception is a RetriableException are retriable', () => {
  const retriable = ERROR_TABLE.filter((e) => e.retriable).map((e) => e.code);
  assert.deepEqual(
    retriable,
    [
      2, 3, 5, 6, 7, 9, 13, 14, 15, 16, 19, 20, 41, 51, 56, 70, 71, 72, 74, 75, 78, 80, 83, 84, 88,
      89, 100, 103, 106, 122, 123, 133,
    ],
  );
});

test('KafkaError carries the name, code and retriability', () => {
  const err = new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'partition 3 moved');
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'KafkaError');
  assert.equal(err.code, 6);
  assert.equal(err.errorName, 'NOT_LEADER_OR_FOLLOWER');
  assert.equal(err.retriable, true);
  assert.ok(err.message.includes('NOT_LEADER_OR_FOLLOWER'));
  assert.ok(err.message.includes('partition 3 moved'));

  const bare = new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS);
  assert.equal(bare.message, 'TOPIC_ALREADY_EXISTS');
  assert.equal(bare.retriable, false);
});

test('an unknown code is reported as such', () => {
  assert.deepEqual(errorInfo(9999), {
    code: 9999,
    name: 'UNKNOWN_ERROR_CODE_9999',
    retriable: false,
  });
  const err = new KafkaError(-42);
  assert.equal(err.code, -42);
  assert.equal(err.errorName, 'UNKNOWN_ERROR_CODE_-42');
  assert.equal(err.retriable, false);
  assert.ok(err.message.includes('UNKNOWN_ERROR_CODE_-42'));
});

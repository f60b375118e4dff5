// The generator's own pieces, on small made-up specs (no need for the real ones).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMessage } from '../../tools/codegen/model.js';
import { apiName, camelCase, kebabCase } from '../../tools/codegen/names.js';
import { parseSpec, parseVersions, stripComments } from '../../tools/codegen/spec.js';
import { condition } from '../../tools/codegen/versions.js';

test('comments are stripped outside strings only', () => {
  const text = '{ "a": "http://x//y", // note "quoted"\n "b": "say \\"//\\"" // end\n}';
  assert.deepStrictEqual(JSON.parse(stripComments(text)), { a: 'http://x//y', b: 'say "//"' });
  assert.throws(() => parseSpec('{ "a": }', 'X.json'), /X\.json/);
});

test('version ranges and the conditions emitted for them', () => {
  assert.deepStrictEqual(parseVersions('3+', ''), { min: 3, max: Number.POSITIVE_INFINITY });
  assert.deepStrictEqual(parseVersions('0-4', ''), { min: 0, max: 4 });
  assert.deepStrictEqual(parseVersions('1', ''), { min: 1, max: 1 });
  assert.equal(parseVersions('none', ''), null);
  assert.throws(() => parseVersions('x', 'F'), /bad version range/);
  const ctx = { min: 0, max: 11 };
  assert.equal(condition(parseVersions('0+', ''), ctx), 'always');
  assert.equal(condition(parseVersions('3+', ''), ctx), 'version >= 3');
  assert.equal(condition(parseVersions('0-4', ''), ctx), 'version <= 4');
  assert.equal(condition(parseVersions('2-4', ''), ctx), 'version >= 2 && version <= 4');
  assert.equal(condition(parseVersions('12+', ''), ctx), 'never');
  assert.equal(condition(parseVersions('3+', ''), { min: 3, max: 11 }), 'always');
});

test('names', () => {
  assert.equal(camelCase('TopicId'), 'topicId');
  assert.equal(kebabCase('OffsetForLeaderEpoch'), 'offset-for-leader-epoch');
  assert.equal(kebabCase('ApiVersions'), 'api-versions');
  assert.equal(kebabCase('KRaftVersionRecord'), 'kraft-version-record');
  assert.equal(apiName('ProduceRequest'), 'Produce');
});

const spec = `{
  "apiKey": 99, "type": "request", "name": "DemoRequest",
  "validVersions": "0-5", "flexibleVersions": "3+",
  "fields": [
    { "name": "Always", "type": "int32", "versions": "0+" },
    { "name": "Later", "type": "string", "versions": "2+", "nullableVersions": "2+", "default": "null" },
    { "name": "Limit", "type": "int32", "versions": "0+", "default": "0x7fffffff" },
    { "name": "Items", "type": "[]Item", "versions": "1+", "fields": [
      { "name": "Id", "type": "uuid", "versions": "1+" },
      { "name": "Extra", "type": "int64", "versions": "4+", "default": -1 }
    ]},
    { "name": "Shared", "type": "Common", "versions": "0+" },
    { "name": "Hint", "type": "bool", "versions": "3+", "taggedVersions": "3+", "tag": 0 }
  ],
  "commonStructs": [ { "name": "Common", "versions": "0+", "fields": [
    { "name": "X", "type": "int8", "versions": "0+" } ] } ]
}`;

test('the model: optionality relative to the enclosing struct, defaults, names, tags', () => {
  const m = buildMessage({ path: 'messages/DemoRequest.json', spec: parseSpec(spec, 'demo') });
  const field = (s: { fields: { name: string }[] }, name: string) =>
    s.fields.find((f) => f.name === name) as (typeof m.root.fields)[number];
  assert.equal(field(m.root, 'always').optional, false);
  assert.equal(field(m.root, 'later').optional, true);
  assert.deepStrictEqual(field(m.root, 'later').default, { kind: 'null' });
  assert.deepStrictEqual(field(m.root, 'limit').default, { kind: 'number', value: 0x7fffffff });
  assert.equal(field(m.root, 'hint').optional, true, 'tagged fields are optional');
  assert.equal(field(m.root, 'hint').tag, 0);
  const item = m.structs.find((s) => s.specName === 'Item')!;
  assert.equal(item.tsName, 'DemoRequestItem');
  assert.deepStrictEqual(item.versions, { min: 1, max: 5 });
  assert.equal(field(item, 'id').optional, false, 'present whenever its struct is');
  assert.equal(field(item, 'extra').optional, true);
  assert.deepStrictEqual(field(item, 'extra').default, { kind: 'bigint', value: -1n });
  assert.equal(m.structs.find((s) => s.specName === 'Common')!.tsName, 'DemoRequestCommon');
});

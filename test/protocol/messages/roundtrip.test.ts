// Every API, header, data spec and coordinator record, every valid version: a seeded random
// message encodes, decodes to an equal object (every field set), and re-encodes to the same bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { moduleMessages } from '../../../tools/codegen/emit-module.js';
import { codecOf, loadModules, randomMessage, seeded, versionsOf } from './random-message.js';

const MESSAGES_PER_VERSION = 4;
const { modules, missing } = loadModules();

test('generated codecs round-trip every message of every version', async (t) => {
  if (modules === undefined) {
    if (process.env.CI) assert.fail(`${missing}: the round-trip test needs the specs in CI`);
    t.skip(missing);
    return;
  }
  let cases = 0;
  for (const mod of modules) {
    for (const m of moduleMessages(mod)) {
      const codec = await codecOf(mod.file, m.name);
      for (const version of versionsOf(m)) {
        const rng = seeded(version * 7919 + m.name.length * 104729 + m.name.charCodeAt(0));
        for (let i = 0; i < MESSAGES_PER_VERSION; i++) {
          const message = randomMessage(m, version, rng);
          const where = `${m.name} v${version} #${i}`;
          const bytes = codec.encode(message, version).toBuffer();
          const r = new Reader(bytes);
          const decoded = codec.decode(r, version);
          assert.equal(r.remaining(), 0, `${where}: decoder left bytes unread`);
          assert.deepStrictEqual(decoded, message, `${where}: decoded message differs`);
          const again = codec.encode(decoded, version).toBuffer();
          assert.ok(again.equals(bytes), `${where}: re-encoding changed the bytes`);
          cases++;
        }
      }
    }
  }
  t.diagnostic(`${cases} messages round-tripped`);
  assert.ok(cases > 1000);
});

test('encoding or decoding a version outside validVersions throws UNSUPPORTED_VERSION', async () => {
  const { encodeProduceRequest, decodeProduceRequest } = await import(
    '../../../src/protocol/messages/produce.js'
  );
  const message = { acks: 1, timeoutMs: 1000, topicData: [] };
  assert.throws(
    () => encodeProduceRequest(message, 12),
    /ProduceRequest version 12 is not supported/,
  );
  assert.throws(() => encodeProduceRequest(message, -1), /UNSUPPORTED_VERSION/);
  assert.throws(
    () => decodeProduceRequest(new Reader(Buffer.alloc(64)), 99),
    /valid versions: 0-11/,
  );
});

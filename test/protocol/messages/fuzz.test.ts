// Hostile input: random bytes and mutated valid encodings fed to every decoder, every version.
// A decoder may accept the bytes or throw MalformedInputError; any other exception (RangeError,
// TypeError, out-of-memory from an unchecked length) would take a broker connection down.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MalformedInputError } from '../../../src/protocol/errors.js';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { moduleMessages } from '../../../tools/codegen/emit-module.js';
import {
  codecOf,
  loadModules,
  type MessageCodec,
  type Rng,
  randomBytes,
  randomMessage,
  seeded,
  versionsOf,
} from './random-message.js';

const RANDOM_INPUTS = 10;
const MUTATIONS = 20;
const { modules, missing } = loadModules();

function mutate(valid: Buffer, rng: Rng): Buffer {
  const b = Buffer.from(valid);
  const pick = () => Math.floor(rng() * b.length);
  switch (Math.floor(rng() * 4)) {
    case 0: // flip a few bytes
      for (let n = 1 + Math.floor(rng() * 3); n > 0 && b.length > 0; n--)
        b[pick()] = Math.floor(rng() * 256);
      return b;
    case 1: // truncate
      return b.subarray(0, pick());
    case 2: // lengths and counts turned huge or negative
      if (b.length > 0) b[pick()] = rng() < 0.5 ? 0xff : 0x7f;
      return b;
    default: // extra bytes in the middle
      return Buffer.concat([b.subarray(0, pick()), randomBytes(rng, 8), b.subarray(pick())]);
  }
}

function tryDecode(codec: MessageCodec, input: Buffer, version: number, where: string): void {
  try {
    codec.decode(new Reader(input), version);
  } catch (err) {
    if (!(err instanceof MalformedInputError)) {
      assert.fail(
        `${where}: ${(err as Error).name}: ${(err as Error).message} on ${input.toString('hex')}`,
      );
    }
  }
}

test('decoders throw only MalformedInputError on random and mutated input', async (t) => {
  if (modules === undefined) {
    if (process.env.CI) assert.fail(`${missing}: the fuzz test needs the specs in CI`);
    t.skip(missing);
    return;
  }
  let inputs = 0;
  for (const mod of modules) {
    for (const m of moduleMessages(mod)) {
      const codec = await codecOf(mod.file, m.name);
      for (const version of versionsOf(m)) {
        const rng = seeded(0xf022 + version * 31 + m.name.length * 131 + m.name.charCodeAt(1));
        for (let i = 0; i < RANDOM_INPUTS; i++) {
          tryDecode(codec, randomBytes(rng, 64), version, `${m.name} v${version} random #${i}`);
        }
        const valid = codec.encode(randomMessage(m, version, rng), version).toBuffer();
        for (let i = 0; i < MUTATIONS; i++) {
          tryDecode(codec, mutate(valid, rng), version, `${m.name} v${version} mutation #${i}`);
        }
        inputs += RANDOM_INPUTS + MUTATIONS;
      }
    }
  }
  t.diagnostic(`${inputs} hostile inputs decoded or refused`);
});

// Builds seeded pseudo-random messages from the spec model, valid for one version: what the
// round-trip and fuzz tests feed the generated codecs. Fields absent in the version hold their
// default, as the decoders fill them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Reader } from '../../../src/protocol/primitives/reader.js';
import type { Module } from '../../../tools/codegen/emit-module.js';
import { buildModules } from '../../../tools/codegen/generate.js';
import { defaultSpecsDir } from '../../../tools/codegen/main.js';
import type {
  DefaultValue,
  ElementType,
  FieldModel,
  MessageModel,
  StructModel,
} from '../../../tools/codegen/model.js';
import { contains } from '../../../tools/codegen/versions.js';

export type Rng = () => number;

/** mulberry32: small, fast, and the same sequence on every run for a seed. */
export function seeded(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));

export function randomBytes(rng: Rng, max: number): Buffer {
  const b = Buffer.alloc(int(rng, 0, max));
  for (let i = 0; i < b.length; i++) b[i] = int(rng, 0, 255);
  return b;
}

const CHARS = ['a', 'Z', '0', '-', '.', '_', ' ', 'é', '✓', '𝄞'];
function randomString(rng: Rng): string {
  let s = '';
  for (let n = int(rng, 0, 6); n > 0; n--) s += CHARS[int(rng, 0, CHARS.length - 1)];
  return s;
}

function randomInt64(rng: Rng): bigint {
  const hi = BigInt(int(rng, 0, 0xffffffff));
  const lo = BigInt(int(rng, 0, 0xffffffff));
  return BigInt.asIntN(64, (hi << 32n) | lo);
}

export function defaultValue(d: DefaultValue): unknown {
  switch (d.kind) {
    case 'null':
      return null;
    case 'number':
    case 'bigint':
    case 'bool':
    case 'string':
      return d.value;
    case 'zeroUuid':
      return 'AAAAAAAAAAAAAAAAAAAAAA';
    case 'emptyBytes':
      return Buffer.alloc(0);
    case 'emptyArray':
      return [];
    case 'struct':
      return Object.fromEntries(d.struct.fields.map((f) => [f.name, defaultValue(f.default)]));
  }
}

function randomElement(e: ElementType, version: number, flexible: boolean, rng: Rng): unknown {
  if (e.kind === 'struct') return randomStruct(e.struct, version, flexible, rng);
  switch (e.name) {
    case 'int8':
      return int(rng, -128, 127);
    case 'int16':
      return int(rng, -32768, 32767);
    case 'uint16':
      return int(rng, 0, 65535);
    case 'int32':
      return int(rng, -2147483648, 2147483647);
    case 'int64':
      return randomInt64(rng);
    case 'float64':
      return (rng() - 0.5) * 2 ** int(rng, 0, 60);
    case 'bool':
      return rng() < 0.5;
    case 'string':
      return randomString(rng);
    case 'uuid':
      return Buffer.from(Array.from({ length: 16 }, () => int(rng, 0, 255))).toString('base64url');
    default:
      return randomBytes(rng, 40);
  }
}

function randomField(f: FieldModel, version: number, flexible: boolean, rng: Rng): unknown {
  if (!contains(f.versions, version)) return defaultValue(f.default);
  if (contains(f.nullableVersions, version) && rng() < 0.2) return null;
  if (f.type.kind === 'array') {
    const out: unknown[] = [];
    for (let n = int(rng, 0, 3); n > 0; n--) {
      out.push(randomElement(f.type.element, version, flexible, rng));
    }
    return out;
  }
  return randomElement(f.type, version, flexible, rng);
}

export function randomStruct(
  s: StructModel,
  version: number,
  flexible: boolean,
  rng: Rng,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of s.fields) out[f.name] = randomField(f, version, flexible, rng);
  if (flexible && rng() < 0.3) {
    // Tags this struct does not know (in any version), ascending as a decoder returns them.
    const known = new Set(s.fields.map((f) => f.tag));
    const tags = new Set<number>();
    for (let n = int(rng, 1, 3); n > 0; n--) tags.add(int(rng, 0, 40));
    const unknown = [...tags]
      .filter((t) => !known.has(t))
      .sort((a, b) => a - b)
      .map((tag) => ({ tag, data: randomBytes(rng, 6) }));
    if (unknown.length > 0) out.unknownTaggedFields = unknown;
  }
  return out;
}

export function randomMessage(m: MessageModel, version: number, rng: Rng): Record<string, unknown> {
  return randomStruct(m.root, version, contains(m.flexibleVersions, version), rng);
}

export function versionsOf(m: MessageModel): number[] {
  const out: number[] = [];
  for (let v = m.validVersions.min; v <= m.validVersions.max; v++) out.push(v);
  return out;
}

/** The spec modules, or undefined (with the reason) when the specs folder is absent. */
export function loadModules(): { modules?: Module[]; missing?: string } {
  const dir = defaultSpecsDir();
  if (!existsSync(join(dir, 'messages'))) return { missing: `no Kafka specs at ${dir}` };
  return { modules: buildModules(dir) };
}

/** Encoder and decoder of one generated message, looked up by the generated names. */
export interface MessageCodec {
  encode(message: unknown, version: number): { toBuffer(): Buffer };
  decode(r: Reader, version: number): unknown;
}

export async function codecOf(file: string, name: string): Promise<MessageCodec> {
  const mod = (await import(
    `../../../src/protocol/messages/${file.replace(/\.ts$/, '.js')}`
  )) as Record<string, unknown>;
  const encode = mod[`encode${name}`];
  const decode = mod[`decode${name}`];
  if (typeof encode !== 'function' || typeof decode !== 'function') {
    throw new Error(`${file} does not export encode${name}/decode${name}`);
  }
  return { encode, decode } as MessageCodec;
}

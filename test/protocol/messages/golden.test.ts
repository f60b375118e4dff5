// Frames captured from real clients and a real Kafka broker (test/fixtures/golden/<client>/
// <scenario>/): each decodes completely with the generated codecs and re-encodes to the very same
// bytes. This is the check that the codecs agree with Kafka, not only with themselves.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { apiCodec } from '../../../src/protocol/messages/index.js';
import {
  decodeRequestHeader,
  encodeRequestHeader,
} from '../../../src/protocol/messages/request-header.js';
import {
  decodeResponseHeader,
  encodeResponseHeader,
} from '../../../src/protocol/messages/response-header.js';
import { Reader } from '../../../src/protocol/primitives/reader.js';

const GOLDEN = fileURLToPath(new URL('../../fixtures/golden/', import.meta.url));

interface FrameEntry {
  dir: 'req' | 'resp';
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  file: string;
}

function frames(): { path: string; entry: FrameEntry }[] {
  const out: { path: string; entry: FrameEntry }[] = [];
  if (!existsSync(GOLDEN)) return out;
  const dirs = (dir: string) =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  for (const client of dirs(GOLDEN)) {
    const clientDir = join(GOLDEN, client);
    for (const scenario of dirs(clientDir)) {
      const index = join(clientDir, scenario, 'index.jsonl');
      if (!existsSync(index)) continue;
      for (const line of readFileSync(index, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const entry = JSON.parse(line) as FrameEntry;
        out.push({ path: join(clientDir, scenario, entry.file), entry });
      }
    }
  }
  return out;
}

/**
 * Frames a real client sends with stale bytes after the body, which Kafka ignores (it answered
 * these requests normally). Only these exact bytes are tolerated; the rest must round-trip.
 */
const TRAILING_BYTES = [
  {
    // librdkafka 2.16 Metadata v12 with a null (all topics) list: the compact array count takes
    // fewer bytes than librdkafka reserved for it, and the frame keeps the 3 bytes left over.
    client: /librdkafka-2\.16\./,
    dir: 'req',
    apiKey: 3,
    apiVersion: 12,
    trailing: '010000',
  },
];

function toleratedTrailing(path: string, e: FrameEntry, rest: Buffer): boolean {
  return TRAILING_BYTES.some(
    (q) =>
      q.client.test(path) &&
      q.dir === e.dir &&
      q.apiKey === e.apiKey &&
      q.apiVersion === e.apiVersion &&
      q.trailing === rest.toString('hex'),
  );
}

/** Decodes header + body, checks every byte was consumed, re-encodes; returns a failure or null. */
function check(frame: Buffer, e: FrameEntry, path: string): string | null {
  const codec = apiCodec(e.apiKey)!;
  const v = e.apiVersion;
  const r = new Reader(frame);
  let again: Buffer;
  if (e.dir === 'req') {
    const hv = codec.requestHeaderVersion(v);
    const header = decodeRequestHeader(r, hv);
    if (header.requestApiKey !== e.apiKey || header.requestApiVersion !== v) {
      return `header says key ${header.requestApiKey} v${header.requestApiVersion}`;
    }
    const body = codec.decodeRequest(r, v);
    again = codec.encodeRequest(body, v, encodeRequestHeader(header, hv)).toBuffer();
  } else {
    const hv = codec.responseHeaderVersion(v);
    const header = decodeResponseHeader(r, hv);
    if (header.correlationId !== e.correlationId) {
      return `correlation id ${header.correlationId}, index says ${e.correlationId}`;
    }
    const body = codec.decodeResponse(r, v);
    again = codec.encodeResponse(body, v, encodeResponseHeader(header, hv)).toBuffer();
  }
  const rest = frame.subarray(r.offset);
  if (rest.length !== 0 && !toleratedTrailing(path, e, rest)) {
    return `${rest.length} bytes left after the body: ${rest.toString('hex').slice(0, 40)}`;
  }
  const used = frame.subarray(0, r.offset);
  if (!again.equals(used)) {
    let at = 0;
    while (at < used.length && again[at] === used[at]) at++;
    return `re-encoded ${again.length} bytes differ from the ${used.length} captured at offset ${at}`;
  }
  return null;
}

test('captured frames decode completely and re-encode byte for byte', (t) => {
  const all = frames();
  assert.ok(all.length > 0, `no captured frames under ${GOLDEN}`);
  const failures: string[] = [];
  let checked = 0;
  let skipped = 0;
  for (const { path, entry } of all) {
    const codec = apiCodec(entry.apiKey);
    if (
      codec === undefined ||
      entry.apiVersion < codec.minVersion ||
      entry.apiVersion > codec.maxVersion
    ) {
      skipped++;
      continue;
    }
    let failure: string | null;
    try {
      failure = check(readFileSync(path), entry, path);
    } catch (err) {
      failure = `threw ${(err as Error).message}`;
    }
    if (failure !== null) failures.push(`${path.slice(GOLDEN.length)}: ${failure}`);
    checked++;
  }
  t.diagnostic(`${checked} frames checked, ${skipped} outside the specs' versions`);
  assert.deepStrictEqual(failures, []);
});

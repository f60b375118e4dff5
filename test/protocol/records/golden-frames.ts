// Test-only: finds the record sets inside captured Produce requests and Fetch responses under
// test/fixtures/golden/<client>/<scenario>/, decoded with the generated message codecs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FetchApi } from '../../../src/protocol/messages/fetch.js';
import { ProduceApi } from '../../../src/protocol/messages/produce.js';
import { decodeRequestHeader } from '../../../src/protocol/messages/request-header.js';
import { decodeResponseHeader } from '../../../src/protocol/messages/response-header.js';
import { Reader } from '../../../src/protocol/primitives/reader.js';

export const GOLDEN_DIR = join(import.meta.dirname, '../../fixtures/golden');

export interface CapturedFrame {
  seq: number;
  conn: number;
  dir: 'req' | 'resp';
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  size: number;
  file: string;
}

export interface CapturedRecordSet {
  /** `<client>/<scenario>/<file>` with the topic and partition, for assertion messages. */
  where: string;
  apiKey: number;
  apiVersion: number;
  records: Buffer;
}

/** Every `<client>/<scenario>` directory holding an index.jsonl. */
export function goldenScenarios(): string[] {
  if (!existsSync(GOLDEN_DIR)) return [];
  const out: string[] = [];
  const dirs = (d: string) =>
    readdirSync(d, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  for (const client of dirs(GOLDEN_DIR)) {
    const clientDir = join(GOLDEN_DIR, client);
    for (const scenario of dirs(clientDir)) {
      if (existsSync(join(clientDir, scenario, 'index.jsonl'))) out.push(`${client}/${scenario}`);
    }
  }
  return out;
}

export function readIndex(scenario: string): CapturedFrame[] {
  const text = readFileSync(join(GOLDEN_DIR, scenario, 'index.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CapturedFrame);
}

function produceRecordSets(buf: Buffer, version: number, where: string): CapturedRecordSet[] {
  if (version > ProduceApi.maxVersion) return produceRecordSetsMinimal(buf, version, where);
  const r = new Reader(buf);
  decodeRequestHeader(r, ProduceApi.requestHeaderVersion(version));
  const request = ProduceApi.decodeRequest(r, version);
  return request.topicData.flatMap((t) =>
    t.partitionData
      .filter((p) => p.records !== null && p.records.length > 0)
      .map((p) => ({
        where: `${where} ${t.name}-${p.index}`,
        apiKey: 0,
        apiVersion: version,
        records: p.records!,
      })),
  );
}

function fetchRecordSets(buf: Buffer, version: number, where: string): CapturedRecordSet[] {
  if (version > FetchApi.maxVersion) return fetchRecordSetsMinimal(buf, version, where);
  const r = new Reader(buf);
  decodeResponseHeader(r, FetchApi.responseHeaderVersion(version));
  const response = FetchApi.decodeResponse(r, version);
  return response.responses.flatMap((t) =>
    t.partitions
      .filter((p) => p.records !== null && p.records.length > 0)
      .map((p) => ({
        where: `${where} ${t.topic ?? t.topicId}-${p.partitionIndex}`,
        apiKey: 1,
        apiVersion: version,
        records: p.records!,
      })),
  );
}

// A minimal parser of just the fields on the way to `records`, for versions newer than the
// specs the codecs were generated from (a capture from a newer client can get ahead of them).
// Produce became flexible at v9, Fetch at v12; their request/response headers follow.
const produceFlexible = (v: number) => v >= 9;
const fetchFlexible = (v: number) => v >= 12;

function skipRequestHeader(r: Reader, flexible: boolean): void {
  r.int16(); // apiKey
  r.int16(); // apiVersion
  r.int32(); // correlationId
  r.nullableString(); // clientId stays a non-compact string even in header v2
  if (flexible) r.taggedFields();
}

function skipResponseHeader(r: Reader, flexible: boolean): void {
  r.int32(); // correlationId
  if (flexible) r.taggedFields();
}

function produceRecordSetsMinimal(
  buf: Buffer,
  version: number,
  where: string,
): CapturedRecordSet[] {
  const flex = produceFlexible(version);
  const r = new Reader(buf);
  skipRequestHeader(r, flex);
  const out: CapturedRecordSet[] = [];
  if (version >= 3) flex ? r.compactNullableString() : r.nullableString(); // transactionalId
  r.int16(); // acks
  r.int32(); // timeoutMs
  const topics = flex ? r.compactArrayLength() : r.arrayLength();
  for (let t = 0; t < topics; t++) {
    const topic = version >= 13 ? r.uuid() : flex ? r.compactString() : r.string();
    const partitions = flex ? r.compactArrayLength() : r.arrayLength();
    for (let p = 0; p < partitions; p++) {
      const index = r.int32();
      const records = flex ? r.compactNullableBytes() : r.nullableBytes();
      if (flex) r.taggedFields();
      if (records && records.length > 0) {
        out.push({ where: `${where} ${topic}-${index}`, apiKey: 0, apiVersion: version, records });
      }
    }
    if (flex) r.taggedFields();
  }
  return out;
}

function fetchRecordSetsMinimal(buf: Buffer, version: number, where: string): CapturedRecordSet[] {
  const flex = fetchFlexible(version);
  const r = new Reader(buf);
  skipResponseHeader(r, flex);
  const out: CapturedRecordSet[] = [];
  if (version >= 1) r.int32(); // throttleTimeMs
  if (version >= 7) {
    r.int16(); // errorCode
    r.int32(); // sessionId
  }
  const topics = flex ? r.compactArrayLength() : r.arrayLength();
  for (let t = 0; t < topics; t++) {
    const topic = version >= 13 ? r.uuid() : flex ? r.compactString() : r.string();
    const partitions = flex ? r.compactArrayLength() : r.arrayLength();
    for (let p = 0; p < partitions; p++) {
      const index = r.int32();
      r.int16(); // errorCode
      r.int64(); // highWatermark
      if (version >= 4) r.int64(); // lastStableOffset
      if (version >= 5) r.int64(); // logStartOffset
      if (version >= 4) {
        const aborted = flex ? r.compactArrayLength() : r.arrayLength();
        for (let a = 0; a < aborted; a++) {
          r.int64(); // producerId
          r.int64(); // firstOffset
          if (flex) r.taggedFields();
        }
      }
      if (version >= 11) r.int32(); // preferredReadReplica
      const records = flex ? r.compactNullableBytes() : r.nullableBytes();
      if (flex) r.taggedFields();
      if (records && records.length > 0) {
        out.push({ where: `${where} ${topic}-${index}`, apiKey: 1, apiVersion: version, records });
      }
    }
    if (flex) r.taggedFields();
  }
  return out;
}

/** The non-empty record sets of every Produce request and Fetch response in a scenario. */
export function capturedRecordSets(scenario: string): CapturedRecordSet[] {
  const out: CapturedRecordSet[] = [];
  for (const f of readIndex(scenario)) {
    const isProduce = f.apiKey === 0 && f.dir === 'req';
    const isFetch = f.apiKey === 1 && f.dir === 'resp';
    if (!isProduce && !isFetch) continue;
    const buf = readFileSync(join(GOLDEN_DIR, scenario, f.file));
    const where = `${scenario}/${f.file}`;
    out.push(
      ...(isProduce
        ? produceRecordSets(buf, f.apiVersion, where)
        : fetchRecordSets(buf, f.apiVersion, where)),
    );
  }
  return out;
}

// What the interop suites (client-interop.test.ts with librdkafka, client-java-interop.test.ts
// with Java kafka-clients) send and compare: records as every side reports them (bytes as hex,
// null as null), the Samsa producer's messages and what a reader should see of them, and a
// Samsa reader that takes a topic from every partition's beginning.
import assert from 'node:assert/strict';
import type { ConsumerMessage, Message, Samsa } from '../../../src/client/index.js';

/** One record as every side reports it: bytes as hex, null as null. */
export interface Rec {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
}

export const hex = (b: Buffer | null | undefined): string | null =>
  b == null ? null : b.toString('hex');
export const byPosition = (a: Rec, b: Rec) => a.partition - b.partition || a.offset - b.offset;
export const withoutPosition = ({ key, value, headers }: Rec) => ({ key, value, headers });

/** Binary (NUL, newline, 0xff) and long enough that each codec really compresses. */
export function binaryValue(tag: string): Buffer {
  return Buffer.concat([Buffer.from([0, 1, 2, 10, 13, 0x80, 0xff]), Buffer.from(tag.repeat(40))]);
}

/**
 * What the Samsa producer sends. Header values avoid NUL, ',', '=' and newline because kcat's
 * %h prints them raw as `k=v,k=v` (a null value as NULL); binary bytes are otherwise allowed.
 */
export function samsaMessages(codec: string): Message[] {
  const messages: Message[] = [
    {
      key: Buffer.from([0xff, 0x00, 0x61]),
      value: binaryValue(`${codec}-first-`),
      headers: [
        { key: 'h', value: 'a' },
        { key: 'h', value: 'b' },
        { key: 'nul', value: null },
        { key: 'bin', value: Buffer.from([0xff, 0x80, 0x01, 0x7f]) },
        { key: 'empty', value: '' },
      ],
    },
    { key: null, value: binaryValue(`${codec}-nullkey-`), headers: { h: ['x', 'y'], u: 'ünï ✓' } },
    { key: '', value: binaryValue(`${codec}-emptykey-`) },
    { key: 'tombstone', value: null, headers: { nul: null } },
    { key: null, value: Buffer.alloc(0) },
  ];
  for (let i = 0; i < 10; i++) {
    messages.push({
      key: `key-${i}`,
      value: binaryValue(`${codec}-${i}-`),
      headers: { i: `${i}` },
    });
  }
  return messages;
}

/** What a reader should see of a message the Samsa producer sent, position aside. */
export function expected(m: Message): Omit<Rec, 'partition' | 'offset'> {
  const bytes = (v: unknown): Buffer | null =>
    v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
  const headers: [string, string | null][] = [];
  const h = m.headers;
  if (Array.isArray(h)) for (const e of h) headers.push([e.key, hex(bytes(e.value))]);
  else if (h) {
    for (const [k, v] of Object.entries(h)) {
      for (const x of Array.isArray(v) ? v : [v]) headers.push([k, hex(bytes(x))]);
    }
  }
  return { key: hex(bytes(m.key)), value: hex(bytes(m.value)), headers };
}

/** Reads `count` records from every partition's beginning with assign(), no group. */
export async function samsaRead(
  samsa: Samsa,
  topic: string,
  partitions: number,
  count: number,
): Promise<Rec[]> {
  const consumer = samsa.consumer();
  const recs: Rec[] = [];
  const timer = setTimeout(() => void consumer.stop(), 20_000);
  try {
    await consumer.assign(
      Array.from({ length: partitions }, (_, partition) => ({
        topic,
        partition,
        offset: 'earliest' as const,
      })),
    );
    for await (const m of consumer as AsyncIterable<ConsumerMessage>) {
      recs.push({
        partition: m.partition,
        offset: m.offset,
        key: hex(m.key),
        value: hex(m.value),
        headers: m.headers.map((h) => [h.key, hex(h.value)]),
      });
      if (recs.length === count) break;
    }
  } finally {
    clearTimeout(timer);
    await consumer.close();
  }
  assert.equal(recs.length, count, `Samsa consumer read ${recs.length} of ${count} records`);
  return recs.sort(byPosition);
}

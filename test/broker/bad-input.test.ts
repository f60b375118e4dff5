// Bad input against a real broker process over TCP: each case gets the answer Apache Kafka
// gives (checked against Kafka 3.9.1 with SAMSA_COMPAT_EXTERNAL_BOOTSTRAP) or a closed
// connection, leaves a line in the broker's log, and the broker keeps serving a connection
// that was open all along.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiVersionsApi } from '../../src/protocol/messages/api-versions.js';
import { CreateTopicsApi } from '../../src/protocol/messages/create-topics.js';
import { MetadataApi } from '../../src/protocol/messages/metadata.js';
import { ProduceApi, type ProduceResponse } from '../../src/protocol/messages/produce.js';
import { ZERO_UUID } from '../../src/protocol/primitives/uuid.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { buildRecordBatch, CRC_OFFSET } from '../../src/protocol/records/index.js';
import {
  type BrokerProcess,
  startBrokerProcess,
  stopAllBrokers,
} from '../helpers/broker-process.js';
import { WireClient } from '../helpers/wire-client.js';

const INVALID_TOPIC_EXCEPTION = 17;
const CORRUPT_MESSAGE = 2;
const MESSAGE_TOO_LARGE = 10;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const UNSUPPORTED_VERSION = 35;
const TOPIC_ALREADY_EXISTS = 36;

const external = process.env.SAMSA_COMPAT_EXTERNAL_BOOTSTRAP;
// Unique names when an external broker keeps topics between runs.
const T = external ? `bad-input-${Date.now()}` : 'bad-input';
let broker: BrokerProcess | undefined;
let port: number;
let dataDir: string;
let healthy: WireClient;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'samsa-bad-input-'));
  if (external) port = Number(external.split(':')[1]);
  else {
    broker = await startBrokerProcess({ dataDir });
    port = broker.port;
  }
  healthy = await WireClient.connect(port);
  await createTopic(T, [{ name: 'max.message.bytes', value: '1000' }]);
});

after(async () => {
  healthy?.close();
  await stopAllBrokers();
  rmSync(dataDir, { recursive: true, force: true });
});

async function createTopic(name: string, configs: { name: string; value: string }[] = []) {
  const res = await healthy.request(CreateTopicsApi, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  return res.topics[0]!;
}

/** What the broker logged since `mark` (its log length before the case). */
const logSince = (mark: number) => broker?.output().slice(mark) ?? '';
const logMark = () => broker?.output().length ?? 0;

/**
 * Waits (briefly) for a log line: the broker's stderr reaches us on another pipe than its
 * answer, so the line can arrive a moment after the response.
 */
async function expectLog(mark: number, pattern: RegExp | string, what: string): Promise<void> {
  const matches = () => {
    const text = logSince(mark);
    return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
  };
  for (let i = 0; i < 100 && !matches(); i++) await new Promise((r) => setTimeout(r, 30));
  if (typeof pattern === 'string') assert.ok(logSince(mark).includes(pattern), what);
  else assert.match(logSince(mark), pattern, what);
}

async function assertStillServing(after: string): Promise<void> {
  const res = await healthy.request(ApiVersionsApi, 3, {
    clientSoftwareName: 'samsa-test',
    clientSoftwareVersion: '1',
  });
  assert.equal(res.errorCode, 0, `broker still serves other connections after: ${after}`);
}

/**
 * Sends raw bytes on a new connection and then a valid ApiVersions: resolves 'closed' when the
 * broker hangs up, 'served' when it answers the follow-up (the bad frame was answered or
 * skipped). Never both, never neither: a hang fails the test by timeout.
 */
async function sendBad(bytes: Buffer): Promise<'closed' | 'served'> {
  const c = await WireClient.connect(port);
  c.writeRaw(bytes);
  const served = c
    .request(ApiVersionsApi, 0, {})
    .then(() => 'served' as const)
    .catch(() => 'closed' as const);
  const outcome = await Promise.race([c.closed.then(() => 'closed' as const), served]);
  c.close();
  return outcome;
}

/** The first response frame (without its size) to raw bytes, or null if the broker hangs up. */
function firstAnswer(bytes: Buffer): Promise<Buffer | null> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
        resolve(got.subarray(4, 4 + got.readInt32BE(0)));
        socket.destroy();
      }
    });
    socket.on('close', () => resolve(null));
  });
}

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function header(apiKey: number, version: number, clientId: string | null = 'bad'): Writer {
  return new Writer().int16(apiKey).int16(version).int32(4242).nullableString(clientId);
}

/** Seeded, so a failure names inputs that can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function closes(what: string, bytes: Buffer, logPattern: RegExp): Promise<void> {
  const mark = logMark();
  assert.equal(await sendBad(bytes), 'closed', what);
  await assertStillServing(what);
  if (broker) await expectLog(mark, logPattern, `a log line for: ${what}`);
}

test('an oversized frame (beyond socket.request.max.bytes) closes the connection', async () => {
  const size = Buffer.alloc(8);
  size.writeInt32BE(200 * 1024 * 1024);
  await closes('200 MiB frame size', size, /socket\.request\.max\.bytes/);
});

test('a negative frame size closes the connection', async () => {
  await closes('frame size -2', Buffer.from([0xff, 0xff, 0xff, 0xfe]), /closing connection/);
});

test('truncated request headers close the connection', async () => {
  await closes('2-byte header', frame(Buffer.from([0, 18])), /closing connection/);
  await closes('header without correlation id', frame(Buffer.from([0, 3, 0, 1, 0])), /closing/);
  // Client id length says 100 bytes, the frame ends after 3.
  const w = new Writer().int16(3).int16(1).int32(1).int16(100).rawBuffer(Buffer.from('abc'));
  await closes('client id cut short', frame(w.toBuffer()), /closing connection/);
});

test('an unknown API key closes the connection', async () => {
  await closes('API key 9999', frame(header(9999, 0).toBuffer()), /unknown API key 9999/);
  await closes('API key -1', frame(header(-1, 0).toBuffer()), /unknown API key -1/);
});

test('an unknown version: ApiVersions gets UNSUPPORTED_VERSION in a v0 body, others are closed', async () => {
  const v99 = await firstAnswer(frame(header(18, 99).emptyTaggedFields().toBuffer()));
  assert.ok(v99, 'ApiVersions v99 is answered, not closed');
  assert.equal(v99.readInt32BE(0), 4242, 'correlation id');
  assert.equal(v99.readInt16BE(4), UNSUPPORTED_VERSION);
  await closes(
    'Metadata v99',
    frame(header(3, 99).emptyTaggedFields().toBuffer()),
    /Metadata v99 is not supported/,
  );
  await closes('Produce v-1', frame(header(0, -1).toBuffer()), /closing connection/);
});

test('random bytes: every frame is answered or the connection is closed; the broker serves on', async () => {
  const rand = prng(20261125);
  const bytesOf = (n: number) => Buffer.from(Array.from({ length: n }, () => (rand() * 256) | 0));
  for (let i = 0; i < 40; i++) {
    const body = bytesOf(1 + ((rand() * 200) | 0));
    // Half the frames start with a real API key and version, so the body decoders see garbage.
    if (i % 2 === 0) {
      body.writeInt16BE((rand() * 70) | 0, 0);
      if (body.length >= 4) body.writeInt16BE((rand() * 13) | 0, 2);
    }
    const outcome = await sendBad(frame(body));
    assert.ok(outcome === 'closed' || outcome === 'served', `frame ${i}: ${body.toString('hex')}`);
  }
  // A stream that is not even framed: its first 4 bytes are a size, nearly always absurd.
  const stream = bytesOf(64 * 1024);
  stream.writeInt32BE(-123456789, 0);
  await closes('64 KiB of unframed random bytes', stream, /closing connection/);
  await assertStillServing('random bytes');
});

function produce(topic: string, records: Buffer): Promise<ProduceResponse> {
  return healthy.request(ProduceApi, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
}

/** Kafka names a partition topic-index in its logs. */
const partitionLine = new RegExp(`${T}-0`);
const errorOf = (res: ProduceResponse) => res.responses[0]!.partitionResponses[0]!.errorCode;
const batchOf = (values: Buffer[]) =>
  buildRecordBatch({ records: values.map((value) => ({ value, timestamp: Date.now() })) }).buf;

test('a record batch with a corrupt CRC gets CORRUPT_MESSAGE and is not stored', async () => {
  const batch = batchOf([Buffer.from('will be corrupted')]);
  batch.writeUInt32BE((batch.readUInt32BE(CRC_OFFSET) ^ 0xdeadbeef) >>> 0, CRC_OFFSET);
  let mark = logMark();
  assert.equal(errorOf(await produce(T, batch)), CORRUPT_MESSAGE);
  if (broker) await expectLog(mark, partitionLine, 'a log line naming the partition');
  // Payload bytes flipped under a correct header CRC field are caught the same way.
  const flipped = batchOf([Buffer.from('payload flipped')]);
  flipped[flipped.length - 3]! ^= 0xff;
  mark = logMark();
  assert.equal(errorOf(await produce(T, flipped)), CORRUPT_MESSAGE);
  if (broker) await expectLog(mark, partitionLine, 'a log line naming the partition');
  // Nothing of either was appended: a good batch still lands at offset 0.
  const ok = await produce(T, batchOf([Buffer.from('fine')]));
  assert.equal(errorOf(ok), 0);
  assert.equal(ok.responses[0]!.partitionResponses[0]!.baseOffset, 0n);
});

test('a batch over max.message.bytes gets MESSAGE_TOO_LARGE', async () => {
  // The topic allows 1000 bytes.
  let mark = logMark();
  const res = await produce(T, batchOf([Buffer.alloc(2000, 7)]));
  assert.equal(errorOf(res), MESSAGE_TOO_LARGE);
  if (broker) await expectLog(mark, partitionLine, 'a log line naming the partition');
  // The broker default message.max.bytes (1048588) applies to other topics.
  assert.equal((await createTopic(`${T}-big`)).errorCode, 0);
  mark = logMark();
  const big = await produce(`${T}-big`, batchOf([Buffer.alloc(1_100_000, 1)]));
  assert.equal(errorOf(big), MESSAGE_TOO_LARGE);
  if (broker) await expectLog(mark, /bad-input-big-0/, 'a log line naming the partition');
  await assertStillServing('oversized batches');
});

test('invalid topic names get INVALID_TOPIC_EXCEPTION from CreateTopics and Metadata', async () => {
  for (const name of ['bad/name', 'white space', '.', '..', 'x'.repeat(250), 'ünï']) {
    const mark = logMark();
    const res = await createTopic(name);
    assert.equal(res.errorCode, INVALID_TOPIC_EXCEPTION, `CreateTopics '${name.slice(0, 20)}'`);
    // Kafka's controller logs every CreateTopics result; the refused name must be findable.
    if (broker) await expectLog(mark, name, `a log line naming '${name.slice(0, 20)}'`);
  }
  assert.equal((await createTopic(T)).errorCode, TOPIC_ALREADY_EXISTS);
  const md = await healthy.request(MetadataApi, 12, {
    topics: [{ topicId: ZERO_UUID, name: 'bad/name' }],
    allowAutoTopicCreation: true,
    includeTopicAuthorizedOperations: false,
  });
  assert.equal(md.topics[0]!.errorCode, INVALID_TOPIC_EXCEPTION);
  // Produce to a name that cannot exist: Kafka answers per partition, the connection stays.
  const res = await produce('bad/name', batchOf([Buffer.from('x')]));
  assert.equal(errorOf(res), UNKNOWN_TOPIC_OR_PARTITION);
  await assertStillServing('invalid topic names');
});

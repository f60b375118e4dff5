// Bytes worked out by hand from the specs (not produced by the code under test), for the
// encodings that are easy to get subtly wrong: header versions, compact vs classic strings,
// nulls, tagged fields and their order, and zero-copy record payloads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  API_CODECS,
  ApiKey,
  ApiVersionsApi,
  apiCodec,
  ControlledShutdownApi,
  decodeApiVersionsRequest,
  decodeProduceRequest,
  decodeRequestHeader,
  encodeApiVersionsRequest,
  encodeApiVersionsResponse,
  encodeFetchRequest,
  encodeMetadataRequest,
  encodeProduceRequest,
  encodeRequestHeader,
  encodeResponseHeader,
  ProduceApi,
} from '../../../src/protocol/messages/index.js';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import type { Writer } from '../../../src/protocol/primitives/writer.js';

const hex = (w: Writer) => w.toBuffer().toString('hex');
const ascii = (s: string) => Buffer.from(s).toString('hex');

test('RequestHeader v2 keeps a classic int16 client id (null here) before its tag section', () => {
  const header = { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: null };
  assert.equal(hex(encodeRequestHeader(header, 2)), '0012' + '0003' + '00000001' + 'ffff' + '00');
  assert.equal(
    hex(encodeRequestHeader({ ...header, clientId: 'ab' }, 2)),
    '001200030000000100026162' + '00',
  );
  // v1 has no tag section; v0 (ControlledShutdown v0 only) has no client id either.
  assert.equal(
    hex(encodeRequestHeader({ ...header, clientId: 'ab' }, 1)),
    '001200030000000100026162',
  );
  assert.equal(hex(encodeRequestHeader(header, 0)), '0012000300000001');
  const decoded = decodeRequestHeader(
    new Reader(Buffer.from('001200030000000100026162', 'hex')),
    1,
  );
  assert.deepStrictEqual(decoded, { ...header, clientId: 'ab' });
});

test('ApiVersions v3 request as the Java client sends it: compact strings, empty tag sections', () => {
  const message = { clientSoftwareName: 'apache-kafka-java', clientSoftwareVersion: '3.9.1' };
  const w = encodeRequestHeader(
    { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'producer-1' },
    ApiVersionsApi.requestHeaderVersion(3),
  );
  encodeApiVersionsRequest(message, 3, w);
  const expected =
    '0012000300000007' +
    '000a' +
    ascii('producer-1') +
    '00' + // header v2
    '12' +
    ascii('apache-kafka-java') + // compact: length 17 + 1
    '06' +
    ascii('3.9.1') +
    '00';
  assert.equal(hex(w), expected);
  const r = new Reader(Buffer.from(expected, 'hex'));
  decodeRequestHeader(r, 2);
  assert.deepStrictEqual(decodeApiVersionsRequest(r, 3), message);
  assert.equal(r.remaining(), 0);
  // v0-v2 have no body at all; the decoder still fills the fields with their defaults.
  assert.equal(hex(encodeApiVersionsRequest(message, 2)), '');
  assert.deepStrictEqual(decodeApiVersionsRequest(new Reader(Buffer.alloc(0)), 0), {
    clientSoftwareName: '',
    clientSoftwareVersion: '',
  });
});

test('ApiVersions responses: classic v0, and v3 with known and unknown tags merged in order', () => {
  const apiKeys = [{ apiKey: 0, minVersion: 0, maxVersion: 11 }];
  assert.equal(
    hex(encodeApiVersionsResponse({ errorCode: 0, apiKeys }, 0)),
    '0000' + '00000001' + '0000' + '0000' + '000b',
  );
  const v3 = encodeApiVersionsResponse(
    {
      errorCode: 0,
      apiKeys,
      throttleTimeMs: 0,
      finalizedFeaturesEpoch: 5n,
      // Given out of order: the encoder sorts them around the known tag 1.
      unknownTaggedFields: [
        { tag: 9, data: Buffer.from('bb', 'hex') },
        { tag: 0x80, data: Buffer.from('', 'hex') },
        { tag: 5, data: Buffer.from('aa', 'hex') },
      ],
    },
    3,
  );
  assert.equal(
    hex(v3),
    '0000' +
      '02' +
      '0000' +
      '0000' +
      '000b' +
      '00' +
      '00000000' +
      '04' + // four tagged fields
      '01' +
      '08' +
      '0000000000000005' + // FinalizedFeaturesEpoch
      '05' +
      '01' +
      'aa' +
      '09' +
      '01' +
      'bb' +
      '8001' +
      '00', // tag 128 as a two-byte varint, empty value
  );
  // Default tagged values are left out entirely.
  assert.equal(
    hex(
      encodeApiVersionsResponse(
        { errorCode: 0, apiKeys: [], finalizedFeaturesEpoch: -1n, zkMigrationReady: false },
        3,
      ),
    ),
    '0000' + '01' + '00000000' + '00',
  );
  assert.equal(
    hex(encodeResponseHeader({ correlationId: 7 }, ApiVersionsApi.responseHeaderVersion(3))),
    '00000007',
  );
});

test('a tagged string in a request: FetchRequest v12 ClusterId', () => {
  const fetch = {
    clusterId: 'c',
    replicaId: -1,
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [],
    forgottenTopicsData: [],
    rackId: '',
  };
  assert.equal(
    hex(encodeFetchRequest(fetch, 12)),
    'ffffffff' +
      '000001f4' +
      '00000001' +
      '00000400' +
      '00' +
      '00000000' +
      'ffffffff' +
      '01' +
      '01' +
      '01' + // empty compact arrays and rack id
      '01' +
      '00' +
      '02' +
      '0263', // one tagged field: tag 0, size 2, compact "c"
  );
});

test('Metadata topics: an empty list, and null (all topics) from v1 on', () => {
  const base = { allowAutoTopicCreation: true };
  assert.equal(hex(encodeMetadataRequest({ ...base, topics: [] }, 0)), '00000000');
  assert.equal(hex(encodeMetadataRequest({ ...base, topics: null }, 1)), 'ffffffff');
  assert.equal(
    hex(encodeMetadataRequest({ ...base, topics: null }, 12)),
    '00' + '01' + '00' + '00',
  );
  assert.throws(() => encodeMetadataRequest({ ...base, topics: null }, 0), /cannot be null/);
});

test('Produce records are views into the frame on decode and referenced on encode', () => {
  const records = Buffer.alloc(2048, 7);
  const message = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: 't', partitionData: [{ index: 0, records }] }],
  };
  const w = encodeProduceRequest(message, 9);
  assert.ok(w.toBuffers().includes(records), 'the records buffer itself is in the output');
  const frame = w.toBuffer();
  const decoded = decodeProduceRequest(new Reader(frame), 9);
  const got = decoded.topicData[0]!.partitionData[0]!.records!;
  assert.equal(got.buffer, frame.buffer, 'records share the frame memory');
  // Three empty tag sections (partition, topic, request) follow the records.
  assert.equal(got.byteOffset, frame.byteOffset + frame.length - 2048 - 3);
  assert.ok(got.equals(records));
});

test('the registry: ApiKey, header versions, lookups', () => {
  assert.equal(ApiKey.Produce, 0);
  assert.equal(ApiKey.ApiVersions, 18);
  assert.equal(apiCodec(0), ProduceApi);
  assert.equal(apiCodec(9999), undefined);
  assert.deepStrictEqual(
    API_CODECS.map((c) => c.apiKey),
    [...API_CODECS.map((c) => c.apiKey)].sort((a, b) => a - b),
  );
  assert.equal(ProduceApi.name, 'Produce');
  assert.equal(ProduceApi.flexibleMinVersion, 9);
  assert.equal(ProduceApi.requestHeaderVersion(8), 1);
  assert.equal(ProduceApi.requestHeaderVersion(9), 2);
  assert.equal(ProduceApi.responseHeaderVersion(9), 1);
  assert.equal(ControlledShutdownApi.requestHeaderVersion(0), 0);
  assert.equal(ControlledShutdownApi.requestHeaderVersion(1), 1);
  assert.equal(ApiVersionsApi.responseHeaderVersion(4), 0);
  for (const c of API_CODECS) {
    assert.equal(apiCodec(c.apiKey), c);
    assert.ok(c.minVersion <= c.maxVersion, c.name);
  }
});

test('coordinator records: the key version picks the record type', async () => {
  const gc = await import('../../../src/protocol/messages/group-coordinator/index.js');
  const tc = await import('../../../src/protocol/messages/transaction-coordinator/index.js');
  assert.equal(gc.groupCoordinatorRecord(0), gc.OffsetCommitRecord);
  assert.equal(gc.groupCoordinatorRecord(1), gc.OffsetCommitRecord);
  assert.equal(gc.groupCoordinatorRecord(2), gc.GroupMetadataRecord);
  assert.equal(gc.groupCoordinatorRecord(3), gc.ConsumerGroupMetadataRecord);
  assert.equal(gc.groupCoordinatorRecord(99), undefined);
  assert.equal(gc.GroupCoordinatorRecordType.OffsetCommit, 1);
  assert.equal(tc.transactionCoordinatorRecord(0), tc.TransactionLogRecord);
  // What follows the int16 key version: group, topic, partition as classic strings and int32.
  const key = { group: 'g', topic: 't', partition: 3 };
  assert.equal(hex(gc.OffsetCommitRecord.encodeKey(key, 1)), '000167' + '000174' + '00000003');
  // OffsetCommitValue v4 is flexible: compact metadata string and a tag section.
  const value = { offset: 10n, leaderEpoch: -1, metadata: '', commitTimestamp: 0n };
  assert.equal(
    hex(gc.encodeOffsetCommitValue(value, 4)),
    '000000000000000a' + 'ffffffff' + '01' + '0000000000000000' + '00',
  );
});

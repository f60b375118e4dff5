// The records of __consumer_offsets, in Kafka's own key/value schemas (generated from
// ../shared/kafka-protocol/group-coordinator): the key starts with an int16 that names the
// record type, the value with its own int16 version, and a null value is a tombstone. Tools
// that read that topic (kafka-console-consumer's offsets formatter, Kafka itself) read ours.
import { MalformedInputError } from '../../protocol/errors.js';
import type { CoordinatorRecordCodec } from '../../protocol/messages/codec.js';
import {
  type ConsumerGroupCurrentMemberAssignmentKey,
  ConsumerGroupCurrentMemberAssignmentRecord,
  type ConsumerGroupCurrentMemberAssignmentValue,
  type ConsumerGroupMemberMetadataKey,
  ConsumerGroupMemberMetadataRecord,
  type ConsumerGroupMemberMetadataValue,
  type ConsumerGroupMetadataKey,
  ConsumerGroupMetadataRecord,
  type ConsumerGroupMetadataValue,
  type ConsumerGroupPartitionMetadataKey,
  ConsumerGroupPartitionMetadataRecord,
  type ConsumerGroupPartitionMetadataValue,
  type ConsumerGroupTargetAssignmentMemberKey,
  ConsumerGroupTargetAssignmentMemberRecord,
  type ConsumerGroupTargetAssignmentMemberValue,
  type ConsumerGroupTargetAssignmentMetadataKey,
  ConsumerGroupTargetAssignmentMetadataRecord,
  type ConsumerGroupTargetAssignmentMetadataValue,
  type GroupMetadataKey,
  GroupMetadataRecord,
  type GroupMetadataValue,
  groupCoordinatorRecord,
  type OffsetCommitKey,
  OffsetCommitRecord,
  type OffsetCommitValue,
} from '../../protocol/messages/group-coordinator/index.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';
import { buildRecordBatch, type RecordInput } from '../../protocol/records/builder.js';

export type GroupRecord =
  | { type: 'OffsetCommit'; key: OffsetCommitKey; value: OffsetCommitValue | null }
  | { type: 'GroupMetadata'; key: GroupMetadataKey; value: GroupMetadataValue | null }
  | {
      type: 'ConsumerGroupMetadata';
      key: ConsumerGroupMetadataKey;
      value: ConsumerGroupMetadataValue | null;
    }
  | {
      type: 'ConsumerGroupPartitionMetadata';
      key: ConsumerGroupPartitionMetadataKey;
      value: ConsumerGroupPartitionMetadataValue | null;
    }
  | {
      type: 'ConsumerGroupMemberMetadata';
      key: ConsumerGroupMemberMetadataKey;
      value: ConsumerGroupMemberMetadataValue | null;
    }
  | {
      type: 'ConsumerGroupTargetAssignmentMetadata';
      key: ConsumerGroupTargetAssignmentMetadataKey;
      value: ConsumerGroupTargetAssignmentMetadataValue | null;
    }
  | {
      type: 'ConsumerGroupTargetAssignmentMember';
      key: ConsumerGroupTargetAssignmentMemberKey;
      value: ConsumerGroupTargetAssignmentMemberValue | null;
    }
  | {
      type: 'ConsumerGroupCurrentMemberAssignment';
      key: ConsumerGroupCurrentMemberAssignmentKey;
      value: ConsumerGroupCurrentMemberAssignmentValue | null;
    };

export type GroupRecordType = GroupRecord['type'];

interface TypeInfo {
  codec: CoordinatorRecordCodec;
  /** The key version Kafka writes for this type (OffsetCommit has two, 0 and 1). */
  keyVersion: number;
  valueVersion(value: unknown): number;
}

// The value versions Kafka 3.x/4.x write: OffsetCommit v3 (v1 only to carry an explicit expire
// timestamp from OffsetCommit v2-4), GroupMetadata v3, the KIP-848 records v0.
const TYPES: Record<GroupRecordType, TypeInfo> = {
  OffsetCommit: {
    codec: OffsetCommitRecord,
    keyVersion: 1,
    valueVersion: (v) => (((v as OffsetCommitValue).expireTimestamp ?? -1n) >= 0n ? 1 : 3),
  },
  GroupMetadata: { codec: GroupMetadataRecord, keyVersion: 2, valueVersion: () => 3 },
  ConsumerGroupMetadata: {
    codec: ConsumerGroupMetadataRecord,
    keyVersion: 3,
    valueVersion: () => 0,
  },
  ConsumerGroupPartitionMetadata: {
    codec: ConsumerGroupPartitionMetadataRecord,
    keyVersion: 4,
    valueVersion: () => 0,
  },
  ConsumerGroupMemberMetadata: {
    codec: ConsumerGroupMemberMetadataRecord,
    keyVersion: 5,
    valueVersion: () => 0,
  },
  ConsumerGroupTargetAssignmentMetadata: {
    codec: ConsumerGroupTargetAssignmentMetadataRecord,
    keyVersion: 6,
    valueVersion: () => 0,
  },
  ConsumerGroupTargetAssignmentMember: {
    codec: ConsumerGroupTargetAssignmentMemberRecord,
    keyVersion: 7,
    valueVersion: () => 0,
  },
  ConsumerGroupCurrentMemberAssignment: {
    codec: ConsumerGroupCurrentMemberAssignmentRecord,
    keyVersion: 8,
    valueVersion: () => 0,
  },
};

const TYPE_BY_CODEC = new Map<CoordinatorRecordCodec, GroupRecordType>(
  Object.entries(TYPES).map(([t, info]) => [info.codec, t as GroupRecordType]),
);

export interface EncodedRecord {
  key: Buffer;
  value: Buffer | null;
}

export function encodeGroupRecord(record: GroupRecord): EncodedRecord {
  const info = TYPES[record.type];
  const k = new Writer(64);
  k.int16(info.keyVersion);
  info.codec.encodeKey(record.key, info.keyVersion, k);
  if (record.value === null) return { key: k.toBuffer(), value: null };
  const version = info.valueVersion(record.value);
  const v = new Writer(128);
  v.int16(version);
  info.codec.encodeValue(record.value, version, v);
  return { key: k.toBuffer(), value: v.toBuffer() };
}

/**
 * Decodes one record of __consumer_offsets; undefined for types this coordinator does not keep
 * (share groups, future types), which are skipped as Kafka skips unknown types it may ignore.
 */
export function decodeGroupRecord(
  key: Buffer | null,
  value: Buffer | null,
): GroupRecord | undefined {
  if (key === null) throw new MalformedInputError('a __consumer_offsets record has no key');
  const kr = new Reader(key);
  const keyVersion = kr.int16();
  const codec = groupCoordinatorRecord(keyVersion);
  const type = codec && TYPE_BY_CODEC.get(codec);
  if (!codec || !type) return undefined;
  const k = codec.decodeKey(kr, keyVersion);
  if (value === null) return { type, key: k, value: null } as GroupRecord;
  const vr = new Reader(value);
  const valueVersion = vr.int16();
  return { type, key: k, value: codec.decodeValue(vr, valueVersion) } as GroupRecord;
}

// Kafka's default max.message.bytes is about 1 MiB; batches stay well under it so a large
// commit (many partitions) is split rather than refused.
const MAX_BATCH_PAYLOAD = 256 * 1024;

/** The records as one or more uncompressed v2 batches, concatenated, ready for log.append. */
export function buildCoordinatorBatches(records: readonly GroupRecord[], now: number): Buffer {
  const batches: Buffer[] = [];
  let current: RecordInput[] = [];
  let size = 0;
  const flush = () => {
    if (current.length === 0) return;
    batches.push(buildRecordBatch({ records: current }).buf);
    current = [];
    size = 0;
  };
  for (const r of records) {
    const { key, value } = encodeGroupRecord(r);
    const s = key.length + (value?.length ?? 0) + 16;
    if (size + s > MAX_BATCH_PAYLOAD) flush();
    current.push({ key, value, timestamp: now });
    size += s;
  }
  flush();
  return batches.length === 1 ? batches[0]! : Buffer.concat(batches);
}

// --- record builders, named after Kafka's GroupCoordinatorRecordHelpers --------------------------

export function offsetCommitRecord(
  group: string,
  topic: string,
  partition: number,
  o: {
    offset: number;
    leaderEpoch: number;
    metadata: string;
    commitTimestamp: number;
    expireTimestamp?: number;
  },
): GroupRecord {
  return {
    type: 'OffsetCommit',
    key: { group, topic, partition },
    value: {
      offset: BigInt(o.offset),
      leaderEpoch: o.leaderEpoch,
      metadata: o.metadata,
      commitTimestamp: BigInt(o.commitTimestamp),
      expireTimestamp: BigInt(o.expireTimestamp ?? -1),
    },
  };
}

export function offsetCommitTombstone(
  group: string,
  topic: string,
  partition: number,
): GroupRecord {
  return { type: 'OffsetCommit', key: { group, topic, partition }, value: null };
}

export function groupMetadataTombstone(group: string): GroupRecord {
  return { type: 'GroupMetadata', key: { group }, value: null };
}

// Control records: the single record of a control batch (attributes bit 5). Their key is
// version int16 + type int16; for end-transaction markers (types 0 abort and 1 commit) the
// value is version int16 + coordinatorEpoch int32. Like Kafka, a newer key or value version is
// parsed as version 0 (fields are only ever appended), and a negative version is corrupt.
import { MalformedInputError } from '../errors.js';
import { NO_PARTITION_LEADER_EPOCH, type RecordBatchHeader } from './batch-header.js';
import { buildRecordBatch } from './builder.js';
import { type Record, readRecords } from './record.js';

const CORRUPT_MESSAGE = 2;

export const ControlRecordType = {
  Abort: 0,
  Commit: 1,
  // KRaft's own control records, listed so they are recognised and skipped.
  LeaderChange: 2,
  SnapshotHeader: 3,
  SnapshotFooter: 4,
  KRaftVersion: 5,
  KRaftVoters: 6,
} as const;
export type ControlRecordType = (typeof ControlRecordType)[keyof typeof ControlRecordType];

const CONTROL_KEY_VERSION = 0;
const CONTROL_KEY_SIZE = 4;
const END_TXN_MARKER_VERSION = 0;
const END_TXN_MARKER_VALUE_SIZE = 6;

export interface ControlRecordKey {
  version: number;
  /** A ControlRecordType, or a type this version of Samsa does not know (to be ignored). */
  type: number;
}

export interface EndTransactionMarker {
  type: typeof ControlRecordType.Abort | typeof ControlRecordType.Commit;
  coordinatorEpoch: number;
}

export function encodeControlRecordKey(type: ControlRecordType): Buffer {
  const key = Buffer.allocUnsafe(CONTROL_KEY_SIZE);
  key.writeInt16BE(CONTROL_KEY_VERSION, 0);
  key.writeInt16BE(type, 2);
  return key;
}

export function decodeControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < CONTROL_KEY_SIZE) {
    throw new MalformedInputError(
      `control record key has ${key?.length ?? 'no'} bytes, needs ${CONTROL_KEY_SIZE}`,
      CORRUPT_MESSAGE,
    );
  }
  const version = key.readInt16BE(0);
  if (version < 0) {
    throw new MalformedInputError(`control record key version ${version}`, CORRUPT_MESSAGE);
  }
  return { version, type: key.readInt16BE(2) };
}

export function encodeEndTransactionMarkerValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.allocUnsafe(END_TXN_MARKER_VALUE_SIZE);
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

/** The marker a control record holds, or null when it is another kind of control record. */
export function decodeEndTransactionMarker(record: Record): EndTransactionMarker | null {
  const { type } = decodeControlRecordKey(record.key);
  if (type !== ControlRecordType.Abort && type !== ControlRecordType.Commit) return null;
  const value = record.value;
  if (value === null || value.length < END_TXN_MARKER_VALUE_SIZE) {
    throw new MalformedInputError(
      `end transaction marker value has ${value?.length ?? 'no'} bytes, needs ${END_TXN_MARKER_VALUE_SIZE}`,
      CORRUPT_MESSAGE,
    );
  }
  const version = value.readInt16BE(0);
  if (version < 0) {
    throw new MalformedInputError(`end transaction marker version ${version}`, CORRUPT_MESSAGE);
  }
  return { type, coordinatorEpoch: value.readInt32BE(2) };
}

/** The end-transaction marker of a control batch, or null for other control batches. */
export function readEndTransactionMarker(batch: RecordBatchHeader): EndTransactionMarker | null {
  if (!batch.isControl) return null;
  const records = readRecords(batch);
  if (records.length !== 1) {
    throw new MalformedInputError(
      `control batch holds ${records.length} records, not 1`,
      CORRUPT_MESSAGE,
    );
  }
  return decodeEndTransactionMarker(records[0]!);
}

export interface BuildEndTransactionMarkerOptions {
  type: EndTransactionMarker['type'];
  coordinatorEpoch: number;
  producerId: number;
  producerEpoch: number;
  /** The append time, used as the record's and the batch's timestamp. */
  timestamp: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
}

/**
 * The batch a transaction coordinator's WriteTxnMarkers makes the partition leader append:
 * transactional, control, uncompressed, no sequence, one record.
 */
export function buildEndTransactionMarker(o: BuildEndTransactionMarkerOptions): RecordBatchHeader {
  return buildRecordBatch({
    baseOffset: o.baseOffset ?? 0,
    partitionLeaderEpoch: o.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
    producerId: o.producerId,
    producerEpoch: o.producerEpoch,
    isTransactional: true,
    isControl: true,
    records: [
      {
        key: encodeControlRecordKey(o.type),
        value: encodeEndTransactionMarkerValue(o.coordinatorEpoch),
        timestamp: o.timestamp,
      },
    ],
  });
}

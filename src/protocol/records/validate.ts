// What the broker checks on produced records before appending them, with the error code Apache
// Kafka answers for each (checked against its source: ProduceRequest.validateRecords,
// UnifiedLog.analyzeAndValidateRecords, LogValidator).
//
// validateProducedRecords: the checks that read only the batch header, in Kafka's order:
//   not exactly one batch, or not magic 2 ................... INVALID_RECORD (87)
//   zstd in Produce v3-v6 .................................... UNSUPPORTED_COMPRESSION_TYPE (76)
//   baseOffset != 0 .......................................... INVALID_RECORD
//   batch larger than max.message.bytes ...................... MESSAGE_TOO_LARGE (10)
//   shorter than a batch header, or CRC32C mismatch .......... CORRUPT_MESSAGE (2)
//   codec id 5-7 ............................................. UNSUPPORTED_COMPRESSION_TYPE (*)
//   lastOffsetDelta + 1 != recordsCount, or count <= 0 ....... INVALID_RECORD
//   control batch from a client .............................. INVALID_RECORD
//   producerId set with a negative baseSequence .............. INVALID_RECORD
// These hold for every codec: Kafka compares lastOffsetDelta with the count from the header, it
// does not need to decompress for it.
//
// validateProducedRecordsDeep: the checks that need every record, hence decompression of a
// compressed batch (Kafka does them on each append; Samsa's log decides when to pay for them):
//   payload that does not decompress or exceeds the limit .... CORRUPT_MESSAGE (*)
//   record structure broken, count not matching .............. INVALID_RECORD
//   compacted topic and a record without key ................. INVALID_RECORD
//   CreateTime timestamp outside message.timestamp.{before,after}.max.ms, or a producer
//   that set the LogAppendTime bit ........................... INVALID_TIMESTAMP (32)
// Producer-state checks (epoch, sequence, transaction state) belong to the producer state
// manager, not here.
//
// (*) Where Kafka's answer is an accident, Samsa picks the code that says what happened: an
// unknown codec id makes Kafka's CompressionType.forId throw IllegalArgumentException, and a
// failed decompression surfaces as a KafkaException; both reach the client as
// UNKNOWN_SERVER_ERROR (-1).
import { MalformedInputError } from '../errors.js';
import {
  CompressionType,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  type RecordBatchHeader,
  splitBatches,
  TimestampType,
} from './batch-header.js';
import { compressionName, isKnownCompression } from './compression/index.js';
import { decodeRecords, recordsPayload } from './record.js';

export const ValidationErrorCode = {
  CORRUPT_MESSAGE: 2,
  MESSAGE_TOO_LARGE: 10,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
} as const;
const E = ValidationErrorCode;

/** Kafka's default max.message.bytes: 1 MiB plus the 12-byte log overhead. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;

/** Per-record detail, as Produce v8+ returns it in record_errors. */
export interface RecordError {
  batchIndex: number;
  message: string;
}

export type ValidationResult =
  | { ok: true; batch: RecordBatchHeader }
  | { ok: false; errorCode: number; errorMessage: string; recordErrors?: RecordError[] };

export interface ProducedRecordsOptions {
  /** The Produce request version (zstd needs v7+). */
  produceVersion: number;
  /** The topic's max.message.bytes. */
  maxMessageBytes?: number;
}

function fail(errorCode: number, errorMessage: string): ValidationResult & { ok: false } {
  return { ok: false, errorCode, errorMessage };
}

/** Header-level checks on one partition's records from a Produce request (v3+). */
export function validateProducedRecords(
  records: Buffer | null,
  options: ProducedRecordsOptions,
): ValidationResult {
  const v = options.produceVersion;
  if (records === null || records.length === 0) {
    return fail(E.INVALID_RECORD, `Produce v${v} must have one record batch per partition`);
  }
  if (records.length > MAGIC_OFFSET && records.readInt8(MAGIC_OFFSET) !== 2) {
    return fail(
      E.INVALID_RECORD,
      `Produce v${v} only takes record batches with magic 2, not magic ${records.readInt8(MAGIC_OFFSET)}`,
    );
  }
  let batches: RecordBatchHeader[];
  try {
    batches = splitBatches(records);
  } catch (err) {
    if (err instanceof MalformedInputError) return fail(E.CORRUPT_MESSAGE, err.message);
    throw err;
  }
  if (batches.length !== 1) {
    return fail(E.INVALID_RECORD, `Produce v${v} takes exactly one record batch per partition`);
  }
  const batch = batches[0]!;
  if (v < 7 && batch.compression === CompressionType.Zstd) {
    return fail(E.UNSUPPORTED_COMPRESSION_TYPE, `Produce v${v} does not allow zstd compression`);
  }
  const failure = validateBatchHeader(batch, options.maxMessageBytes);
  return failure ?? { ok: true, batch };
}

/**
 * The batch-level checks of a client's batch, for one batch already split out. Returns null
 * when the batch passes.
 */
export function validateBatchHeader(
  batch: RecordBatchHeader,
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
): (ValidationResult & { ok: false }) | null {
  if (batch.baseOffset !== 0) {
    return fail(
      E.INVALID_RECORD,
      `a produced batch must have baseOffset 0, not ${batch.baseOffset}`,
    );
  }
  const size = batch.buf.length;
  if (size > maxMessageBytes) {
    return fail(
      E.MESSAGE_TOO_LARGE,
      `the record batch is ${size} bytes, more than max.message.bytes (${maxMessageBytes})`,
    );
  }
  if (size < RECORD_BATCH_OVERHEAD) {
    return fail(E.CORRUPT_MESSAGE, `record batch of ${size} bytes is shorter than its header`);
  }
  if (!batch.isCrcValid()) {
    return fail(
      E.CORRUPT_MESSAGE,
      `record batch is corrupt (stored crc ${batch.crc}, computed ${batch.computeCrc()})`,
    );
  }
  if (!isKnownCompression(batch.compression)) {
    return fail(E.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type id ${batch.compression}`);
  }
  const count = batch.recordsCount;
  if (count <= 0) return fail(E.INVALID_RECORD, `invalid record count ${count}`);
  if (batch.lastOffsetDelta + 1 !== count) {
    return fail(
      E.INVALID_RECORD,
      `lastOffsetDelta ${batch.lastOffsetDelta} does not match the ${count} records of the batch`,
    );
  }
  if (batch.isControl) return fail(E.INVALID_RECORD, 'clients may not write control records');
  if (batch.producerId >= 0 && batch.baseSequence < 0) {
    return fail(
      E.INVALID_RECORD,
      `invalid sequence ${batch.baseSequence} in a batch with producerId ${batch.producerId}`,
    );
  }
  return null;
}

export interface DeepValidationOptions {
  /** The broker's clock, ms. */
  now: number;
  /** The topic's message.timestamp.type. */
  messageTimestampType: TimestampType;
  /** message.timestamp.before.max.ms (default: unbounded, Kafka's default). */
  timestampBeforeMaxMs?: number;
  /** message.timestamp.after.max.ms (default: unbounded). */
  timestampAfterMaxMs?: number;
  /** cleanup.policy includes compact: every record needs a key. */
  compacted?: boolean;
  /** Bound on the decompressed records (default 64 MiB). */
  maxDecompressedBytes?: number;
}

/**
 * The record-level checks, for a batch that passed validateBatchHeader. Decompresses a
 * compressed batch.
 */
export function validateProducedRecordsDeep(
  batch: RecordBatchHeader,
  options: DeepValidationOptions,
): ValidationResult {
  let payload: Buffer;
  try {
    payload = recordsPayload(batch, { maxBytes: options.maxDecompressedBytes });
  } catch (err) {
    if (!(err instanceof MalformedInputError)) throw err;
    return fail(
      E.CORRUPT_MESSAGE,
      `${compressionName(batch.compression)} records payload: ${err.message}`,
    );
  }
  let records: ReturnType<typeof decodeRecords>;
  try {
    records = decodeRecords(payload, batch.recordsCount);
  } catch (err) {
    if (!(err instanceof MalformedInputError)) throw err;
    return fail(E.INVALID_RECORD, err.message);
  }

  const before = options.timestampBeforeMaxMs ?? Number.POSITIVE_INFINITY;
  const after = options.timestampAfterMaxMs ?? Number.POSITIVE_INFINITY;
  const createTime = options.messageTimestampType === TimestampType.CreateTime;
  const recordErrors: RecordError[] = [];
  let timestampError = false;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (options.compacted && r.key === null) {
      recordErrors.push({
        batchIndex: i,
        message: 'compacted topic cannot accept a record without key',
      });
      continue;
    }
    const timestamp = batch.baseTimestamp + r.timestampDelta;
    if (createTime && timestamp !== -1) {
      const diff = options.now - timestamp;
      if (diff > before || -diff > after) {
        timestampError = true;
        recordErrors.push({
          batchIndex: i,
          message: `timestamp ${timestamp} is out of range [${options.now - before}, ${options.now + after}]`,
        });
      }
    } else if (batch.timestampType === TimestampType.LogAppendTime) {
      timestampError = true;
      recordErrors.push({ batchIndex: i, message: 'producers must not set LogAppendTime' });
    }
  }
  if (recordErrors.length === 0) return { ok: true, batch };
  // Kafka answers INVALID_TIMESTAMP if any record's fault is its timestamp.
  return {
    ok: false,
    errorCode: timestampError ? E.INVALID_TIMESTAMP : E.INVALID_RECORD,
    errorMessage: `${recordErrors.length} records rejected, first: ${recordErrors[0]!.message}`,
    recordErrors,
  };
}

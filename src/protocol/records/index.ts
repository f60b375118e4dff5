// The public API of protocol/records: RecordBatch v2 views, records, building, control
// markers, codecs, legacy message sets (read-only) and produce-path validation.
export {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BATCH_LENGTH_OFFSET,
  CompressionType,
  CRC_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  PARTITION_LEADER_EPOCH_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RecordBatchHeader,
  splitBatches,
  TimestampType,
} from './batch-header.js';
export {
  type BuildRecordBatchOptions,
  buildRecordBatch,
  NO_TIMESTAMP,
  type RecordInput,
} from './builder.js';
export {
  type CompressionName,
  type CompressOptions,
  compress,
  compressionName,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  decompress,
  isKnownCompression,
  isXerialFramed,
} from './compression/index.js';
export {
  type BuildEndTransactionMarkerOptions,
  buildEndTransactionMarker,
  type ControlRecordKey,
  ControlRecordType,
  decodeControlRecordKey,
  decodeEndTransactionMarker,
  type EndTransactionMarker,
  encodeControlRecordKey,
  encodeEndTransactionMarkerValue,
  readEndTransactionMarker,
} from './control.js';
export {
  isLegacyMagic,
  LEGACY_PRODUCE_ERROR_CODE,
  type LegacyRecord,
  type ReadLegacyOptions,
  readLegacyMessageSet,
} from './legacy.js';
export {
  decodeRecords,
  iterateRecords,
  MIN_RECORD_SIZE,
  type ReadRecordsOptions,
  type Record,
  type RecordHeader,
  readRecords,
  recordOffset,
  recordsPayload,
  recordTimestamp,
  sizeOfVarint,
  sizeOfVarlong,
} from './record.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  type DeepValidationOptions,
  type ProducedRecordsOptions,
  type RecordError,
  ValidationErrorCode,
  type ValidationResult,
  validateBatchHeader,
  validateProducedRecords,
  validateProducedRecordsDeep,
} from './validate.js';

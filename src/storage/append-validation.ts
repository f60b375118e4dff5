// Checks on the batches of an append, from their headers only (no decompression), with the error
// codes Kafka's broker answers (UnifiedLog.analyzeAndValidateRecords, LogValidator.validateBatch).
//
// A client's batch goes through the same header checks as the Produce path
// (protocol/records/validate.ts `validateBatchHeader`), so the codes and messages have one source;
// only the timestamp bounds, which need the topic's settings and the clock, are checked here.
// Replicated and coordinator batches only need to be intact: their offsets and producer fields
// were set by a broker.
//
// Not checked here, because it needs the records: per-record offset deltas and timestamps,
// keys on compacted topics. Timestamp bounds are checked on the batch's base and max timestamps,
// which bracket the records' timestamps for any producer that writes them in order.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import {
  ATTRIBUTES_OFFSET,
  type RecordBatchHeader,
  TimestampType,
  writeInt64,
} from '../protocol/records/batch-header.js';
import { compressionName, isKnownCompression } from '../protocol/records/compression/index.js';
import { validateBatchHeader } from '../protocol/records/validate.js';
import type { LogConfig } from './log-config.js';
import type { AppendOrigin } from './producer-state.js';

const NO_TIMESTAMP = -1;
const MAX_TIMESTAMP_OFFSET = 35;
const TIMESTAMP_TYPE_BIT = 0x08;

function refuse(code: number, message: string): never {
  throw new KafkaError(code, message);
}

export function validateBatches(
  batches: readonly RecordBatchHeader[],
  origin: AppendOrigin,
  config: LogConfig,
  now: number,
  /** The one client batch already passed validateBatchHeader (the Produce path): timestamps only. */
  headerChecked = false,
): void {
  if (origin === 'client') {
    if (batches.length !== 1) {
      refuse(
        ErrorCode.INVALID_RECORD,
        `a produce request must carry one record batch per partition, not ${batches.length}`,
      );
    }
    const batch = batches[0]!;
    const failure = headerChecked ? null : validateBatchHeader(batch, config.maxMessageBytes);
    if (failure) refuse(failure.errorCode, failure.errorMessage);
    validateTimestamps(batch, config, now);
    return;
  }
  for (const batch of batches) {
    const size = batch.buf.length;
    if (origin !== 'replication' && size > config.maxMessageBytes) {
      refuse(
        ErrorCode.MESSAGE_TOO_LARGE,
        `the record batch is ${size} bytes, more than max.message.bytes (${config.maxMessageBytes})`,
      );
    }
    if (!batch.isCrcValid()) {
      refuse(ErrorCode.CORRUPT_MESSAGE, `record batch CRC ${batch.crc} does not match its content`);
    }
    if (!isKnownCompression(batch.compression)) {
      refuse(
        ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
        `unknown compression type ${compressionName(batch.compression)}`,
      );
    }
    if (batch.lastOffsetDelta < 0 || batch.recordsCount < 0) {
      refuse(
        ErrorCode.CORRUPT_MESSAGE,
        `record batch with lastOffsetDelta ${batch.lastOffsetDelta} and ${batch.recordsCount} records`,
      );
    }
  }
}

function validateTimestamps(batch: RecordBatchHeader, config: LogConfig, now: number): void {
  if (config.messageTimestampType !== 'CreateTime') return;
  if (batch.timestampType === TimestampType.LogAppendTime) {
    refuse(ErrorCode.INVALID_TIMESTAMP, 'a producer may not set the LogAppendTime timestamp type');
  }
  for (const ts of [batch.baseTimestamp, batch.maxTimestamp]) {
    if (ts === NO_TIMESTAMP) continue;
    if (
      now - ts > config.messageTimestampBeforeMaxMs ||
      ts - now > config.messageTimestampAfterMaxMs
    ) {
      refuse(
        ErrorCode.INVALID_TIMESTAMP,
        `timestamp ${ts} is outside [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms] = [${now - config.messageTimestampBeforeMaxMs}, ${now + config.messageTimestampAfterMaxMs}]`,
      );
    }
  }
}

/**
 * Writes offsets from `nextOffset` on (and the leader epoch) into the batch headers, in place;
 * under LogAppendTime also the broker's time as max timestamp, which the CRC covers.
 */
export function assignOffsets(
  batches: readonly RecordBatchHeader[],
  nextOffset: number,
  leaderEpoch: number | undefined,
  logAppendTime: number,
): void {
  let next = nextOffset;
  for (const b of batches) {
    b.baseOffset = next;
    next += b.lastOffsetDelta + 1;
    if (leaderEpoch !== undefined) b.partitionLeaderEpoch = leaderEpoch;
    if (logAppendTime >= 0) {
      b.buf.writeInt16BE(b.attributes | TIMESTAMP_TYPE_BIT, ATTRIBUTES_OFFSET);
      writeInt64(b.buf, logAppendTime, MAX_TIMESTAMP_OFFSET);
      b.updateCrc();
    }
  }
}

/** Replicated batches keep the leader's offsets, which must continue the log and keep rising. */
export function checkReplicatedOffsets(
  batches: readonly RecordBatchHeader[],
  logEndOffset: number,
): void {
  let next = logEndOffset;
  for (const b of batches) {
    if (b.baseOffset < next) {
      refuse(
        ErrorCode.UNKNOWN_SERVER_ERROR,
        `replicated batch at offset ${b.baseOffset} is below the next offset ${next}`,
      );
    }
    next = b.lastOffset + 1;
  }
}

// What a follower does to its own log from what the leader tells it (the log side of Kafka's
// ReplicaFetcherThread.processPartitionData and truncation): append the leader's batches as they
// are, follow the leader's log start offset (DeleteRecords and retention at the leader reach the
// follower), and truncate where the leader's diverging epoch says the two logs part.
import { splitBatches } from '../protocol/records/batch-header.js';
import type { Partition } from './partition.js';

type Logger = { info(m: string): void };

/**
 * Appends a fetch answer's batches. A log just started over at the leader's log start (after
 * OFFSET_OUT_OF_RANGE) may get a first batch that begins below it, because DeleteRecords moves
 * the log start into the middle of a batch and fetches return whole batches: the empty log then
 * starts at that batch instead (Kafka does the same on UnexpectedAppendOffsetException).
 */
export function appendFromLeader(p: Partition, records: Buffer, logger: Logger): void {
  if (p.logEndOffset === p.logStartOffset) {
    const first = splitBatches(records)[0];
    if (first && first.baseOffset < p.logEndOffset && first.lastOffset >= p.logEndOffset) {
      logger.info(
        `${p.topic}-${p.partition}: the leader's first batch starts at ${first.baseOffset}, below this empty log's start ${p.logStartOffset}: starting the log at ${first.baseOffset}`,
      );
      p.log.truncateFullyAndStartAt(first.baseOffset);
    }
  }
  p.log.append(records, { origin: 'replication' });
}

/**
 * Moves the log start offset up to the leader's (never past what is committed here, as Kafka's
 * maybeIncrementLogStartOffset requires), so records deleted at the leader are not served again
 * should this replica lead.
 */
export function followLeaderLogStart(p: Partition, leaderLogStartOffset: number): void {
  const target = Math.min(leaderLogStartOffset, p.highWatermark);
  if (target > p.logStartOffset) p.log.deleteRecordsBefore(target);
}

/**
 * Kafka's truncation on a diverging epoch: to where the leader's and our epoch agree (with no
 * epoch of ours at or below the leader's, to the high watermark: everything below it is
 * committed, so the leader has it).
 */
export function truncateToDivergence(
  p: Partition,
  leaderId: number,
  leaderEpoch: number,
  leaderEndOffset: number,
  logger: Logger,
): void {
  const ours = p.log.endOffsetForEpoch(leaderEpoch);
  const to =
    ours.epoch < 0
      ? Math.min(p.hw, leaderEndOffset)
      : ours.epoch === leaderEpoch
        ? Math.min(leaderEndOffset, ours.endOffset)
        : ours.endOffset;
  const target = Math.max(0, p.logStartOffset, Math.min(to, p.logEndOffset));
  logger.info(
    `${p.topic}-${p.partition}: truncating from ${p.logEndOffset} to ${target} (leader ${leaderId} epoch ${leaderEpoch} ends at ${leaderEndOffset})`,
  );
  p.log.truncateTo(target);
  p.clampHighWatermarkToLog();
}

// The partitions of __consumer_offsets this broker leads, each with its GroupShard.
// Loading a shard replays the partition's log from its start to its end (yielding to the event
// loop between reads, answering COORDINATOR_LOAD_IN_PROGRESS meanwhile). An active shard appends
// its records as the leader with acks=all: min.insync.replicas is checked first, and the write
// completes once the high watermark passes it. Losing the partition unloads the shard and its
// timers.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Partition, ReplicaManager } from '../../cluster/replica-manager.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { splitBatches } from '../../protocol/records/batch-header.js';
import { iterateRecords, recordOffset } from '../../protocol/records/record.js';
import { ClassicGroup } from './classic-group.js';
import { onClassicGroupLoaded, onClassicGroupUnloaded } from './classic-ops.js';
import type { GroupCoordinatorConfig } from './config.js';
import { onConsumerGroupLoaded } from './consumer-member.js';
import { cleanupGroupMetadata } from './offset-ops.js';
import { buildCoordinatorBatches, decodeGroupRecord, type GroupRecord } from './records.js';
import { result } from './result.js';
import type { Scheduler } from './scheduler.js';
import { type CoordinatorLogger, GroupShard, type TopicsView } from './shard.js';

export const GROUP_METADATA_TOPIC = '__consumer_offsets';
const LOAD_READ_BYTES = 5 * 1024 * 1024;
const EXPIRATION_KEY = 'group-metadata-expiration';

interface ShardState {
  status: 'loading' | 'active';
  shard: GroupShard;
  /** Bumped by every load and unload, so a load that lost its partition meanwhile stops. */
  token: number;
  /** Settles when the load ends (whatever its outcome). */
  loaded?: Promise<void>;
}

export interface RuntimeOptions {
  config: GroupCoordinatorConfig;
  replicaManager: ReplicaManager;
  topics: TopicsView;
  scheduler: Scheduler;
  log: CoordinatorLogger;
}

export class CoordinatorRuntime {
  private readonly shards = new Map<number, ShardState>();
  private nextToken = 1;
  private closed = false;

  constructor(private readonly o: RuntimeOptions) {}

  /** The active shard of a partition, or the error a group client should get. */
  shard(partition: number): GroupShard {
    const state = this.shards.get(partition);
    if (!state) {
      throw new KafkaError(
        ErrorCode.NOT_COORDINATOR,
        `this broker does not lead ${GROUP_METADATA_TOPIC}-${partition}`,
      );
    }
    if (state.status === 'loading') {
      throw new KafkaError(
        ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
        `${GROUP_METADATA_TOPIC}-${partition} is loading`,
      );
    }
    return state.shard;
  }

  activeShards(): GroupShard[] {
    return [...this.shards.values()].filter((s) => s.status === 'active').map((s) => s.shard);
  }

  get loadingCount(): number {
    return [...this.shards.values()].filter((s) => s.status === 'loading').length;
  }

  isLoaded(partition: number): boolean {
    return this.shards.get(partition)?.status === 'active';
  }

  /**
   * Loads the partitions this broker now leads and unloads the ones it no longer does; returns
   * the loads still under way (started now or earlier).
   */
  sync(ledPartitions: readonly number[]): Promise<void>[] {
    if (this.closed) return [];
    const led = new Set(ledPartitions);
    for (const p of [...this.shards.keys()]) if (!led.has(p)) this.unload(p);
    for (const p of led) {
      if (this.shards.has(p)) continue;
      const loaded = this.load(p);
      const state = this.shards.get(p);
      if (state?.status === 'loading') state.loaded = loaded;
    }
    return [...this.shards.values()].flatMap((s) =>
      s.status === 'loading' && s.loaded ? [s.loaded] : [],
    );
  }

  private async load(partition: number): Promise<void> {
    const token = this.nextToken++;
    const shard = new GroupShard({
      partition,
      config: this.o.config,
      topics: this.o.topics,
      scheduler: this.o.scheduler,
      log: this.o.log,
      appender: (records) => this.append(partition, records),
    });
    this.shards.set(partition, { status: 'loading', shard, token });
    const started = this.o.scheduler.now();
    let count = 0;
    try {
      count = await this.replayLog(partition, shard, token);
    } catch (err) {
      this.o.log.error(
        `loading ${GROUP_METADATA_TOPIC}-${partition} failed: ${(err as Error).stack ?? err}`,
      );
      if (this.shards.get(partition)?.token === token) this.shards.delete(partition);
      return;
    }
    const state = this.shards.get(partition);
    if (!state || state.token !== token || this.closed) return;
    state.status = 'active';
    for (const group of shard.groups.values()) {
      if (group instanceof ClassicGroup) onClassicGroupLoaded(shard, group);
      else onConsumerGroupLoaded(shard, group);
    }
    this.scheduleExpiration(shard);
    if (count > 0 || shard.groups.size > 0) {
      this.o.log.info(
        `loaded ${GROUP_METADATA_TOPIC}-${partition}: ${count} records, ${shard.groups.size} groups in ${this.o.scheduler.now() - started} ms`,
      );
    }
  }

  private async replayLog(partition: number, shard: GroupShard, token: number): Promise<number> {
    const p = this.o.replicaManager.partition(GROUP_METADATA_TOPIC, partition);
    if (!p) throw new Error(`no log for ${GROUP_METADATA_TOPIC}-${partition}`);
    let offset = p.logStartOffset;
    // To the log end, not the high watermark: a new leader's log is the partition's truth, and
    // its tail is committed as soon as the followers have it (answers wait for that, below).
    const end = p.logEndOffset;
    if (p.highWatermark < end) shard.awaitCommit(this.commit(p, end));
    let count = 0;
    let warnedTransactional = false;
    while (offset < end) {
      const read = p.log.read(offset, LOAD_READ_BYTES, { maxOffset: end });
      if (read.records.length === 0) break;
      for (const batch of splitBatches(read.records)) {
        if (batch.nextOffset <= offset || batch.isControl) continue;
        if (batch.isTransactional) {
          // Transactional offset commits (TxnOffsetCommit) are not written by this coordinator yet.
          if (!warnedTransactional)
            this.o.log.warn(
              `skipping transactional batches in ${GROUP_METADATA_TOPIC}-${partition}`,
            );
          warnedTransactional = true;
          continue;
        }
        for (const rec of iterateRecords(batch)) {
          if (recordOffset(batch, rec) < offset) continue;
          let record: GroupRecord | undefined;
          try {
            record = decodeGroupRecord(rec.key, rec.value);
          } catch (err) {
            this.o.log.warn(
              `skipping an undecodable record at ${recordOffset(batch, rec)}: ${(err as Error).message}`,
            );
            continue;
          }
          if (record) {
            shard.replay(record);
            count++;
          }
        }
      }
      offset = Math.max(read.nextOffset, offset + 1);
      await yieldToEventLoop();
      if (this.shards.get(partition)?.token !== token) return count;
    }
    return count;
  }

  private append(partition: number, records: readonly GroupRecord[]): Promise<void> | undefined {
    const rm = this.o.replicaManager;
    const p: Partition = rm.leaderPartition(GROUP_METADATA_TOPIC, partition);
    const batches = buildCoordinatorBatches(records, this.o.scheduler.now());
    const appended = rm.appendRecordsToLeader(p, batches, -1, 'coordinator');
    if (p.highWatermark > appended.lastOffset) return undefined;
    return this.commit(p, appended.lastOffset + 1);
  }

  /** Settles once the high watermark reaches `offset` (offsets.commit.timeout.ms at most). */
  private async commit(p: Partition, offset: number): Promise<void> {
    const code = await this.o.replicaManager.waitForCommit(
      p,
      offset,
      this.o.config.offsetsCommitTimeoutMs,
    );
    if (code !== ErrorCode.NONE) {
      throw new KafkaError(
        code,
        `${GROUP_METADATA_TOPIC}-${p.partition}: records below offset ${offset} not replicated to the ISR`,
      );
    }
  }

  private scheduleExpiration(shard: GroupShard): void {
    shard.schedule(EXPIRATION_KEY, this.o.config.offsetsRetentionCheckIntervalMs, () => {
      const records = cleanupGroupMetadata(shard);
      if (records.length > 0)
        this.o.log.info(
          `expired ${records.length} offsets and groups in partition ${shard.partition}`,
        );
      this.scheduleExpiration(shard);
      return result(undefined, records);
    });
  }

  private unload(partition: number): void {
    const state = this.shards.get(partition);
    if (!state) return;
    this.shards.delete(partition);
    state.shard.closeTimers();
    for (const group of state.shard.groups.values()) {
      if (group instanceof ClassicGroup) onClassicGroupUnloaded(group);
    }
    this.o.log.info(`unloaded ${GROUP_METADATA_TOPIC}-${partition}`);
  }

  close(): void {
    this.closed = true;
    for (const p of [...this.shards.keys()]) this.unload(p);
  }
}

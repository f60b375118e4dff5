// The consuming side of the null broker (null-broker.ts): topics it was told to retain keep
// their batches in memory, and Fetch answers with views of them (no file, no copy), so a
// consumer's ceiling can be measured as well as a producer's. Consumer groups are the least a
// single member needs (Kafka's own ConsumerPerformance, KafkaJS and @platformatic/kafka always
// join one): every join makes the joiner the leader of a group of one, and offsets are not kept.
import { FetchApi, type FetchRequest } from '../../src/protocol/messages/fetch.js';
import {
  FindCoordinatorApi,
  type FindCoordinatorRequest,
} from '../../src/protocol/messages/find-coordinator.js';
import { HeartbeatApi } from '../../src/protocol/messages/heartbeat.js';
import { JoinGroupApi, type JoinGroupRequest } from '../../src/protocol/messages/join-group.js';
import { LeaveGroupApi, type LeaveGroupRequest } from '../../src/protocol/messages/leave-group.js';
import {
  ListOffsetsApi,
  type ListOffsetsRequest,
} from '../../src/protocol/messages/list-offsets.js';
import {
  OffsetCommitApi,
  type OffsetCommitRequest,
} from '../../src/protocol/messages/offset-commit.js';
import {
  OffsetFetchApi,
  type OffsetFetchRequest,
} from '../../src/protocol/messages/offset-fetch.js';
import { SyncGroupApi, type SyncGroupRequest } from '../../src/protocol/messages/sync-group.js';

const ARENA_BYTES = 16 << 20;
const NO_RECORDS = Buffer.alloc(0);
const BATCH_LENGTH_AT = 8;
const LAST_OFFSET_DELTA_AT = 23;
const EARLIEST = -2n;
const NONE = 0;
const OFFSET_OUT_OF_RANGE = 1;
const UNKNOWN_TOPIC_OR_PARTITION = 3;

/** One partition's batches, copied into large arenas so a Fetch answer is a single view. */
export class RetainedLog {
  private readonly arenas: Buffer[] = [];
  private used = ARENA_BYTES;
  /** Per batch: base offset, arena index, start and end within the arena. */
  private readonly bases: number[] = [];
  private readonly where: { arena: number; start: number; end: number }[] = [];
  endOffset = 0;

  /** Keeps `records` (v2 batches, as produced) at `base`, writing each batch's base offset. */
  append(records: Buffer, base: number): void {
    let at = 0;
    let offset = base;
    while (at + 61 <= records.length) {
      const size = 12 + records.readInt32BE(at + BATCH_LENGTH_AT);
      const count = records.readInt32BE(at + LAST_OFFSET_DELTA_AT) + 1;
      if (this.used + size > (this.arenas.at(-1)?.length ?? 0)) {
        this.arenas.push(Buffer.allocUnsafe(Math.max(ARENA_BYTES, size)));
        this.used = 0;
      }
      const arena = this.arenas.length - 1;
      const start = this.used;
      records.copy(this.arenas[arena]!, start, at, at + size);
      this.arenas[arena]!.writeBigInt64BE(BigInt(offset), start);
      this.used += size;
      this.bases.push(offset);
      this.where.push({ arena, start, end: start + size });
      offset += count;
      at += size;
    }
    this.endOffset = offset;
  }

  /** Whole batches from the one holding `offset`, up to `maxBytes` (at least one batch). */
  read(offset: number, maxBytes: number): Buffer | null {
    if (offset >= this.endOffset || this.bases.length === 0) return null;
    let lo = 0;
    let hi = this.bases.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.bases[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const first = this.where[lo]!;
    let end = first.end;
    for (let i = lo + 1; i < this.where.length; i++) {
      const w = this.where[i]!;
      if (w.arena !== first.arena || w.end - first.start > maxBytes) break;
      end = w.end;
    }
    return this.arenas[first.arena]!.subarray(first.start, end);
  }
}

export interface FetchSide {
  /** The retained log of a partition, or undefined when the topic is not retained. */
  log(topic: string, partition: number): RetainedLog | undefined;
  /** Topic name of a topic id (Fetch v13+ names topics by id). */
  topicName(id: string): string | undefined;
  node: { nodeId: number; host: string; port: number };
}

// biome-ignore lint/suspicious/noExplicitAny: handlers of different APIs in one table
type Add = (api: any, fn: (req: any, version: number) => unknown | Promise<unknown>) => void;

export function addFetchHandlers(side: FetchSide, add: Add): void {
  let generation = 0;
  let members = 0;
  add(FetchApi, async (req: FetchRequest) => {
    const answer = () =>
      req.topics.map((t) => {
        const name = t.topic || side.topicName(t.topicId ?? '') || '';
        return {
          topic: name,
          topicId: t.topicId,
          partitions: t.partitions.map((p) => {
            const log = side.log(name, p.partition);
            if (!log) {
              return {
                partitionIndex: p.partition,
                errorCode: UNKNOWN_TOPIC_OR_PARTITION,
                highWatermark: -1n,
                records: null,
              };
            }
            const offset = Number(p.fetchOffset);
            const hw = BigInt(log.endOffset);
            return {
              partitionIndex: p.partition,
              errorCode: offset > log.endOffset ? OFFSET_OUT_OF_RANGE : NONE,
              highWatermark: hw,
              lastStableOffset: hw,
              logStartOffset: 0n,
              abortedTransactions: null,
              preferredReadReplica: -1,
              // No batches is an empty record set, not null: librdkafka (v2.0) takes a null
              // one as a malformed answer and backs off instead of seeing the end of the log.
              records: log.read(offset, p.partitionMaxBytes) ?? NO_RECORDS,
            };
          }),
        };
      });
    let responses = answer();
    const empty = responses.every((t) => t.partitions.every((p) => !p.records?.length));
    if (empty && req.maxWaitMs > 0) {
      // Nothing is ever appended while consumers read, so waiting only paces a consumer at
      // the end of the log, as a real broker's long poll would.
      await new Promise((r) => setTimeout(r, Math.min(req.maxWaitMs, 500)));
      responses = answer();
    }
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
  });
  add(ListOffsetsApi, (req: ListOffsetsRequest) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const log = side.log(t.name, p.partitionIndex);
        const offset = !log || p.timestamp === EARLIEST ? 0n : BigInt(log.endOffset);
        return {
          partitionIndex: p.partitionIndex,
          errorCode: log ? NONE : UNKNOWN_TOPIC_OR_PARTITION,
          oldStyleOffsets: [offset],
          timestamp: -1n,
          offset,
          leaderEpoch: 0,
        };
      }),
    })),
  }));
  add(FindCoordinatorApi, (req: FindCoordinatorRequest) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    ...side.node,
    coordinators: (req.coordinatorKeys ?? [req.key ?? '']).map((key) => ({
      key,
      ...side.node,
      errorCode: 0,
      errorMessage: null,
    })),
  }));
  add(JoinGroupApi, (req: JoinGroupRequest) => {
    const memberId = req.memberId || `member-${++members}`;
    const protocol = req.protocols[0]!;
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: ++generation,
      protocolType: req.protocolType,
      protocolName: protocol.name,
      leader: memberId,
      skipAssignment: false,
      memberId,
      members: [
        { memberId, groupInstanceId: req.groupInstanceId ?? null, metadata: protocol.metadata },
      ],
    };
  });
  add(SyncGroupApi, (req: SyncGroupRequest) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    protocolType: req.protocolType ?? null,
    protocolName: req.protocolName ?? null,
    assignment:
      req.assignments.find((a) => a.memberId === req.memberId)?.assignment ?? Buffer.alloc(0),
  }));
  add(HeartbeatApi, () => ({ throttleTimeMs: 0, errorCode: 0 }));
  add(LeaveGroupApi, (req: LeaveGroupRequest) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    members: (req.members ?? []).map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode: 0,
    })),
  }));
  add(OffsetCommitApi, (req: OffsetCommitRequest) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })),
    })),
  }));
  add(OffsetFetchApi, (req: OffsetFetchRequest) => {
    // No committed offsets: every partition asked for answers -1 (start by auto.offset.reset).
    const topics = (ts: { name: string; partitionIndexes: number[] }[] | null | undefined) =>
      (ts ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: null,
          errorCode: 0,
        })),
      }));
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      topics: topics(req.topics),
      groups: (req.groups ?? []).map((g) => ({
        groupId: g.groupId,
        topics: topics(g.topics),
        errorCode: 0,
      })),
    };
  });
}

// A group coordinator shard without sockets or disks: a manual clock, an in-memory "log" of the
// records it appends, and a fixed set of topics. The records are kept encoded, as on disk, so
// tests can rebuild a fresh shard from them and compare (state = replay of the log).
import { ClassicGroup } from '../../../src/coordinator/group/classic-group.js';
import * as classic from '../../../src/coordinator/group/classic-ops.js';
import {
  DEFAULT_GROUP_COORDINATOR_CONFIG,
  type GroupCoordinatorConfig,
} from '../../../src/coordinator/group/config.js';
import { ConsumerGroup } from '../../../src/coordinator/group/consumer-group.js';
import {
  decodeGroupRecord,
  type EncodedRecord,
  encodeGroupRecord,
  type GroupRecord,
} from '../../../src/coordinator/group/records.js';
import { ManualScheduler } from '../../../src/coordinator/group/scheduler.js';
import {
  GroupShard,
  type TopicInfo,
  type TopicsView,
} from '../../../src/coordinator/group/shard.js';
import type {
  JoinGroupInput,
  JoinGroupResult,
  RequestOrigin,
  SyncGroupResult,
} from '../../../src/coordinator/group/types.js';
import { KafkaError } from '../../../src/protocol/errors.js';
import { randomUuid } from '../../../src/protocol/primitives/uuid.js';

export const silentLog = { debug() {}, info() {}, warn() {}, error() {} };

export class FakeTopics implements TopicsView {
  private readonly topics = new Map<string, TopicInfo>();
  add(name: string, numPartitions: number): TopicInfo {
    const topicId = this.topics.get(name)?.topicId ?? randomUuid();
    const t = { name, topicId, numPartitions };
    this.topics.set(name, t);
    return t;
  }
  remove(name: string): void {
    this.topics.delete(name);
  }
  byName(name: string) {
    return this.topics.get(name);
  }
  byId(id: string) {
    return [...this.topics.values()].find((t) => t.topicId === id);
  }
  names() {
    return [...this.topics.keys()].sort();
  }
}

export interface Harness {
  shard: GroupShard;
  clock: ManualScheduler;
  topics: FakeTopics;
  /** Every record appended, encoded as it would be on disk. */
  log: EncodedRecord[];
  config: GroupCoordinatorConfig;
  /** Make the next appends fail with this error (undefined: succeed again). */
  failAppends(error: KafkaError | undefined): void;
  /**
   * Appends from now on are not committed until settled here, as on a replicated partition
   * waiting for its followers: settle(undefined) commits them, settle(err) fails them.
   */
  holdCommits(): { settle(error?: KafkaError): void; readonly held: number };
  /** A new shard built only by replaying `log`. */
  rebuild(): GroupShard;
}

export function harness(config: Partial<GroupCoordinatorConfig> = {}): Harness {
  const clock = new ManualScheduler();
  const topics = new FakeTopics();
  const log: EncodedRecord[] = [];
  const cfg = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, groupInitialRebalanceDelayMs: 0, ...config };
  let failure: KafkaError | undefined;
  let held: { resolve(): void; reject(e: KafkaError): void }[] | undefined;
  const make = () =>
    new GroupShard({
      partition: 0,
      config: cfg,
      topics,
      scheduler: clock,
      log: silentLog,
      appender: (records) => {
        if (failure) throw failure;
        for (const r of records) log.push(encodeGroupRecord(r));
        if (!held) return undefined;
        const waiting = held;
        return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
      },
    });
  const shard = make();
  return {
    shard,
    clock,
    topics,
    log,
    config: cfg,
    failAppends: (e) => {
      failure = e;
    },
    holdCommits() {
      held = [];
      const waiting = held;
      return {
        settle(error?: KafkaError) {
          for (const w of waiting.splice(0)) {
            if (error) w.reject(error);
            else w.resolve();
          }
        },
        get held() {
          return waiting.length;
        },
      };
    },
    rebuild() {
      const fresh = make();
      for (const e of log) {
        const r = decodeGroupRecord(e.key, e.value);
        if (r) fresh.replay(r);
      }
      return fresh;
    },
  };
}

export const decoded = (h: Harness): GroupRecord[] =>
  h.log.map((e) => decodeGroupRecord(e.key, e.value)!).filter(Boolean);

export const origin = (clientId = 'client', apiVersion = 9): RequestOrigin => ({
  clientId,
  clientHost: '/127.0.0.1',
  apiVersion,
});

export function joinInput(groupId: string, over: Partial<JoinGroupInput> = {}): JoinGroupInput {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('meta') }],
    reason: null,
    ...over,
  };
}

/** Sends a JoinGroup; the promise settles when the group answers (maybe after clock moves). */
export function join(h: Harness, input: JoinGroupInput, o = origin()): Promise<JoinGroupResult> {
  return h.shard.run(() => classic.joinGroup(h.shard, input, o));
}

/** Lets parked promises settle (they resolve in microtasks). */
export const settle = () => new Promise<void>((r) => setImmediate(r));

/** Resolves the promise's value if it settled, else 'pending'. */
export async function peek<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, settle().then(() => 'pending' as const)]);
}

/** A dynamic member joins with JoinGroup v4+ (MEMBER_ID_REQUIRED, then with its id). */
export async function joinDynamic(
  h: Harness,
  groupId: string,
  clientId = 'client',
  over: Partial<JoinGroupInput> = {},
): Promise<{ memberId: string; result: Promise<JoinGroupResult> }> {
  const first = await join(h, joinInput(groupId, over), origin(clientId));
  if (first.errorCode !== 79)
    throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`);
  return {
    memberId: first.memberId,
    result: join(h, joinInput(groupId, { ...over, memberId: first.memberId }), origin(clientId)),
  };
}

export function sync(
  h: Harness,
  groupId: string,
  memberId: string,
  generationId: number,
  assignments: { memberId: string; assignment: Buffer }[] = [],
  groupInstanceId: string | null = null,
): Promise<SyncGroupResult> {
  return h.shard.run(() =>
    classic.syncGroup(h.shard, {
      groupId,
      generationId,
      memberId,
      groupInstanceId,
      protocolType: null,
      protocolName: null,
      assignments,
    }),
  );
}

export function heartbeat(
  h: Harness,
  groupId: string,
  memberId: string,
  generationId: number,
  groupInstanceId: string | null = null,
): number {
  return h.shard.run(() =>
    classic.heartbeat(h.shard, { groupId, memberId, generationId, groupInstanceId }),
  );
}

export function classicGroup(h: Harness, groupId: string): ClassicGroup {
  const g = h.shard.groups.get(groupId);
  if (!(g instanceof ClassicGroup)) throw new Error(`${groupId} is not a classic group`);
  return g;
}

export function consumerGroup(shard: GroupShard, groupId: string): ConsumerGroup {
  const g = shard.groups.get(groupId);
  if (!(g instanceof ConsumerGroup)) throw new Error(`${groupId} is not a consumer group`);
  return g;
}

/** The error code an operation threw (KafkaError), for ops that validate by throwing. */
export function thrownCode(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof KafkaError) return err.code;
    throw err;
  }
  return 0;
}

// Membership in a consumer group, classic protocol: FindCoordinator, JoinGroup, SyncGroup
// (the leader computes the assignment), Heartbeat, LeaveGroup, and the group's offsets
// (OffsetCommit / OffsetFetch).
//
// Eager assignors (range, roundrobin): everything is revoked before rejoining. Cooperative
// (cooperative-sticky): members keep their partitions through the rebalance and only revoke
// what the new assignment takes away, then rejoin once so the withheld partitions can move.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { HeartbeatApi } from '../protocol/messages/heartbeat.js';
import { JoinGroupApi, type JoinGroupResponse } from '../protocol/messages/join-group.js';
import { LeaveGroupApi } from '../protocol/messages/leave-group.js';
import { SyncGroupApi } from '../protocol/messages/sync-group.js';
import {
  type Assignor,
  BUILT_IN_ASSIGNORS,
  decodeAssignment,
  type TopicPartition,
} from './assignors.js';
import type { Cluster } from './cluster.js';
import type { Connection } from './connection.js';
import { brokerError, isRetriable } from './errors.js';
import { commitOffsets, fetchCommittedOffsets, findGroupCoordinator } from './group-offsets.js';
import {
  type GroupHooks,
  type GroupOptions,
  leaderAssign,
  subscriptionMetadata,
} from './group-protocol.js';
import { backoffMs, sleep, withRetry } from './retry.js';

export type { TopicPartition } from './assignors.js';
export type { GroupHooks, GroupOptions } from './group-protocol.js';

const REJOIN_CODES = new Set<number>([
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
]);
const COORDINATOR_CODES = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
]);

export class GroupMember {
  memberId = '';
  generationId = -1;
  subscribed = false;
  fatal: Error | undefined;
  private topics: string[] = [];
  private readonly assignors: Assignor[];
  private protocol: Assignor | undefined;
  private owned: TopicPartition[] = [];
  private coordinator: number | undefined;
  private needsRejoin = true;
  private leaving = false;
  private loop: Promise<void> | undefined;
  private wakeLoop: (() => void) | undefined;
  private nextAutoCommit = 0;
  private nextMetadataCheck = 0;
  private partitionCounts = new Map<string, number>();
  private autoCommitting: Promise<void> | undefined;
  private readonly o: Required<
    Pick<
      GroupOptions,
      | 'sessionTimeoutMs'
      | 'rebalanceTimeoutMs'
      | 'heartbeatIntervalMs'
      | 'autoCommit'
      | 'autoCommitIntervalMs'
    >
  >;

  constructor(
    private readonly cluster: Cluster,
    readonly groupId: string,
    private readonly options: GroupOptions,
    private readonly hooks: GroupHooks,
  ) {
    this.assignors = (options.assignors ?? ['range', 'cooperative-sticky']).map((a) => {
      if (typeof a !== 'string') return a;
      const found = BUILT_IN_ASSIGNORS[a];
      if (!found)
        throw new TypeError(
          `unknown assignor '${a}' (built in: ${Object.keys(BUILT_IN_ASSIGNORS).join(', ')})`,
        );
      return found;
    });
    this.o = {
      sessionTimeoutMs: options.sessionTimeoutMs ?? 45_000,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 60_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3_000,
      autoCommit: options.autoCommit ?? true,
      autoCommitIntervalMs: options.autoCommitIntervalMs ?? 5_000,
    };
  }

  /** Sets the topics and (re)joins the group in the background. */
  subscribe(topics: string[]): void {
    if (topics.length === 0) throw new TypeError('subscribe: give at least one topic');
    this.topics = [...new Set(topics)];
    this.subscribed = true;
    this.needsRejoin = true;
    this.loop ??= this.run();
    this.wakeLoop?.();
  }

  /** Commits offsets (the next offset to read per partition) for this group. */
  async commit(
    offsets: readonly (TopicPartition & { offset: number; metadata?: string | null })[],
  ): Promise<void> {
    if (offsets.length === 0) return;
    await withRetry(this.cluster.retry, async () => {
      const c = await this.coordinatorConnection();
      try {
        await commitOffsets(
          c,
          this.groupId,
          this.generationId,
          this.memberId,
          this.options.groupInstanceId ?? null,
          offsets,
        );
      } catch (err) {
        this.onCoordinatorError(err);
        throw err;
      }
    });
  }

  /** The group's committed offsets (absent where none was committed). */
  async fetchCommitted(partitions: readonly TopicPartition[]): Promise<Map<string, number>> {
    return withRetry(this.cluster.retry, async () => {
      const c = await this.coordinatorConnection();
      try {
        return await fetchCommittedOffsets(c, this.groupId, partitions);
      } catch (err) {
        this.onCoordinatorError(err);
        throw err;
      }
    });
  }

  /** Commits consumed positions in the background when the interval has passed. */
  maybeAutoCommit(): void {
    if (!this.o.autoCommit || this.autoCommitting || Date.now() < this.nextAutoCommit) return;
    if (this.subscribed && this.generationId < 0) return;
    this.nextAutoCommit = Date.now() + this.o.autoCommitIntervalMs;
    const positions = this.hooks.positions();
    this.autoCommitting = this.commit(positions)
      .catch((err) =>
        this.cluster.logger.warn(
          `auto-commit for group ${this.groupId} failed: ${(err as Error).message}`,
        ),
      )
      .finally(() => {
        this.autoCommitting = undefined;
      });
  }

  /** Commits (auto-commit), revokes and leaves the group. */
  async leave(): Promise<void> {
    this.leaving = true;
    this.wakeLoop?.();
    await this.autoCommitting;
    if (this.o.autoCommit) {
      await this.commit(this.hooks.positions()).catch((err) =>
        this.cluster.logger.warn(
          `final commit for group ${this.groupId} failed: ${(err as Error).message}`,
        ),
      );
    }
    // A JoinGroup in flight may wait up to rebalanceTimeoutMs: do not hold close() for it.
    await Promise.race([this.loop?.catch(() => undefined), sleep(1_000)]);
    if (this.subscribed && this.memberId !== '' && !this.options.groupInstanceId) {
      try {
        const c = await this.coordinatorConnection();
        const response = await c.send(LeaveGroupApi, {
          groupId: this.groupId,
          memberId: this.memberId,
          members: [
            { memberId: this.memberId, groupInstanceId: null, reason: 'the consumer is closing' },
          ],
        });
        if (response.errorCode !== ErrorCode.NONE)
          throw brokerError(response.errorCode, `LeaveGroup ${this.groupId}`);
      } catch (err) {
        this.cluster.logger.warn(`leaving group ${this.groupId} failed: ${(err as Error).message}`);
      }
    }
    this.memberId = '';
    this.generationId = -1;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.leaving) {
      try {
        if (this.needsRejoin) await this.joinAndSync();
        else await this.heartbeat();
        failures = 0;
      } catch (err) {
        if (this.leaving) break;
        if (!isRetriable(err) && !(err instanceof KafkaError && REJOIN_CODES.has(err.code))) {
          this.fatal = err instanceof Error ? err : new Error(String(err));
          this.hooks.wake();
        }
        this.cluster.logger.warn(`group ${this.groupId}: ${(err as Error).message}`);
        await this.pause(backoffMs(this.cluster.retry, Math.min(failures++, 8)));
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeLoop = done;
    });
  }

  private async heartbeat(): Promise<void> {
    await this.pause(this.o.heartbeatIntervalMs);
    if (this.leaving || this.needsRejoin) return;
    if (Date.now() >= this.nextMetadataCheck) await this.checkPartitionCounts();
    if (this.needsRejoin) return;
    const c = await this.coordinatorConnection();
    const response = await c
      .send(HeartbeatApi, {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.options.groupInstanceId ?? null,
      })
      .catch((err) => {
        this.onCoordinatorError(err);
        throw err;
      });
    if (response.errorCode === ErrorCode.NONE) return;
    this.onGroupError(response.errorCode, 'Heartbeat');
  }

  /**
   * Partitions added to a subscribed topic (or a topic created) call for a new assignment, as
   * in Kafka's consumer: checked every metadataMaxAgeMs.
   */
  private async checkPartitionCounts(): Promise<void> {
    this.nextMetadataCheck = Date.now() + (this.cluster.options.metadataMaxAgeMs ?? 300_000);
    await this.cluster.refreshMetadata(this.topics).catch(() => undefined);
    for (const t of this.topics) {
      const count = this.cluster.topic(t)?.partitions.length ?? 0;
      if (count !== (this.partitionCounts.get(t) ?? 0)) {
        this.cluster.logger.info(
          `group ${this.groupId}: topic '${t}' now has ${count} partition(s); rejoining`,
        );
        this.needsRejoin = true;
      }
    }
  }

  private rememberPartitionCounts(): void {
    this.partitionCounts = new Map(
      this.topics.map((t) => [t, this.cluster.topic(t)?.partitions.length ?? 0]),
    );
    this.nextMetadataCheck = Date.now() + (this.cluster.options.metadataMaxAgeMs ?? 300_000);
  }

  /** Reacts to a group-level error code and throws it. */
  private onGroupError(code: number, what: string): never {
    const err = brokerError(code, `${what} for group ${this.groupId}`);
    if (code === ErrorCode.REBALANCE_IN_PROGRESS) this.needsRejoin = true;
    else if (code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.UNKNOWN_MEMBER_ID) {
      this.lose();
      if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
      this.needsRejoin = true;
    } else this.onCoordinatorError(err);
    throw err;
  }

  private onCoordinatorError(err: unknown): void {
    if (err instanceof KafkaError && COORDINATOR_CODES.has(err.code)) this.coordinator = undefined;
    if (err instanceof KafkaError && REJOIN_CODES.has(err.code)) this.needsRejoin = true;
  }

  /** The partitions are gone without a chance to commit (the generation is over). */
  private lose(): void {
    if (this.owned.length > 0) this.hooks.revoked(this.owned);
    this.owned = [];
    this.generationId = -1;
  }

  private async revoke(partitions: TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return;
    if (this.o.autoCommit) {
      const gone = new Set(partitions.map((p) => `${p.topic}\u0000${p.partition}`));
      const positions = this.hooks
        .positions()
        .filter((p) => gone.has(`${p.topic}\u0000${p.partition}`));
      await this.commit(positions).catch((err) =>
        this.cluster.logger.warn(`commit before revoking failed: ${(err as Error).message}`),
      );
    }
    await this.options.onPartitionsRevoked?.(partitions);
    this.hooks.revoked(partitions);
  }

  private async joinAndSync(): Promise<void> {
    if (this.protocol?.rebalanceProtocol !== 'cooperative') {
      await this.revoke(this.owned);
      this.owned = [];
    }
    await this.cluster.refreshMetadata(this.topics).catch(() => undefined);
    this.rememberPartitionCounts();
    const c = await this.coordinatorConnection();
    const join = await this.join(c);
    this.generationId = join.generationId;
    this.memberId = join.memberId;
    const protocol = this.assignors.find((a) => a.name === join.protocolName);
    if (!protocol)
      throw new KafkaError(
        ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
        `the group chose unknown assignor '${join.protocolName}'`,
      );
    this.protocol = protocol;
    const assignments =
      join.leader === join.memberId
        ? await leaderAssign(this.cluster, this.groupId, protocol, join.members)
        : [];
    const sync = await c
      .send(SyncGroupApi, {
        groupId: this.groupId,
        generationId: join.generationId,
        memberId: join.memberId,
        groupInstanceId: this.options.groupInstanceId ?? null,
        protocolType: 'consumer',
        protocolName: protocol.name,
        assignments,
      })
      .catch((err) => {
        this.onCoordinatorError(err);
        throw err;
      });
    if (sync.errorCode !== ErrorCode.NONE) this.onGroupError(sync.errorCode, 'SyncGroup');
    this.needsRejoin = false;
    const assigned = decodeAssignment(sync.assignment).filter((tp) =>
      this.topics.includes(tp.topic),
    );
    const key = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;
    const now = new Set(assigned.map(key));
    const before = new Set(this.owned.map(key));
    const revoked = this.owned.filter((tp) => !now.has(key(tp)));
    const added = assigned.filter((tp) => !before.has(key(tp)));
    if (revoked.length > 0) {
      await this.revoke(revoked);
      // Let the withheld partitions reach their new owners.
      this.needsRejoin = true;
    }
    this.owned = assigned;
    const committed =
      added.length > 0 ? await this.fetchCommitted(added) : new Map<string, number>();
    await this.hooks.assigned(added, committed);
    this.cluster.logger.info(
      `group ${this.groupId} generation ${this.generationId}: ${assigned.length} partition(s) assigned`,
    );
    if (added.length > 0) await this.options.onPartitionsAssigned?.(added);
    this.nextAutoCommit = Date.now() + this.o.autoCommitIntervalMs;
  }

  private async join(c: Connection): Promise<JoinGroupResponse> {
    for (;;) {
      const response = await c
        .send(
          JoinGroupApi,
          {
            groupId: this.groupId,
            sessionTimeoutMs: this.o.sessionTimeoutMs,
            rebalanceTimeoutMs: this.o.rebalanceTimeoutMs,
            memberId: this.memberId,
            groupInstanceId: this.options.groupInstanceId ?? null,
            protocolType: 'consumer',
            protocols: this.assignors.map((a) => ({
              name: a.name,
              metadata: subscriptionMetadata(this.topics, this.owned, this.generationId),
            })),
            reason: null,
          },
          { timeoutMs: this.o.rebalanceTimeoutMs + 5_000 },
        )
        .catch((err) => {
          this.onCoordinatorError(err);
          throw err;
        });
      if (response.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = response.memberId;
        continue;
      }
      if (response.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (response.errorCode !== ErrorCode.NONE) this.onGroupError(response.errorCode, 'JoinGroup');
      return response;
    }
  }

  private async coordinatorConnection(): Promise<Connection> {
    if (this.coordinator === undefined) {
      this.coordinator = await withRetry(this.cluster.retry, () =>
        findGroupCoordinator(this.cluster, this.groupId),
      );
    }
    return this.cluster.connection(this.coordinator, 'group');
  }
}

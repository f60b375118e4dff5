// Followers copy their leaders' logs the way Kafka's replica fetcher threads do: one loop per
// leader broker sends Fetch (v12: topic names, lastFetchedEpoch, diverging epochs) with
// replicaId = this broker's id, appends what comes back as stored by the leader (origin
// 'replication': offsets and epochs kept), and takes the leader's high watermark and log start
// offset (follower-log.ts). The fetch offset is the follower's log end offset, which is how the
// leader learns the follower's position. When the leader answers with a diverging epoch (the
// follower's last epoch ends earlier on the leader, e.g. a returning old leader holding records
// nobody acknowledged), the follower truncates to where the two logs agree and fetches again.
// When the leader answers OFFSET_OUT_OF_RANGE, the follower asks it for its log end and start
// offsets (ListOffsets with its replica id) and resets its own log as Kafka's fetcher does:
// truncated to the leader's end (or its own high watermark, if lower) when it ends beyond it (no
// epoch in common to find the divergence by), or emptied and restarted at the leader's log start
// when it ends below it (retention or DeleteRecords at the leader).
//
// The fetcher talks to brokers through the client's Connection: a replica is a client of its
// leader, and the wire format lives in protocol/ either way.
import { Connection } from '../client/connection.js';
import { ErrorCode } from '../protocol/errors.js';
import { FetchApi, type FetchRequest } from '../protocol/messages/fetch.js';
import { ListOffsetsApi } from '../protocol/messages/list-offsets.js';
import { appendFromLeader, followLeaderLogStart, truncateToDivergence } from './follower-log.js';
import type { StoreLogger } from './metadata-store.js';
import type { Partition, ReplicaManager } from './replica-manager.js';

const FETCH_VERSION = 12;
/** v4+ carries currentLeaderEpoch, so a leader that moved on answers FENCED_LEADER_EPOCH. */
const LIST_OFFSETS_VERSION = 7;
const LATEST_TIMESTAMP = -1n;
const EARLIEST_TIMESTAMP = -2n;

export interface ReplicaFetcherOptions {
  nodeId: number;
  replicaManager: ReplicaManager;
  /** Where a broker is reached now (from its registration), if it is registered. */
  endpointOf: (brokerId: number) => { host: string; port: number } | undefined;
  logger: StoreLogger;
  /** replica.fetch.wait.max.ms */
  maxWaitMs: number;
  /** replica.fetch.max.bytes */
  partitionMaxBytes: number;
  backoffMs?: number;
}

export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, LeaderFetcher>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly o: ReplicaFetcherOptions) {
    this.unsubscribe = o.replicaManager.onLeadershipChange(() => this.update());
    this.update();
  }

  /** Fetches for every partition held here whose leader is another broker. */
  update(): void {
    if (this.closed) return;
    const byLeader = new Map<number, Partition[]>();
    for (const p of this.o.replicaManager.allPartitions()) {
      const leader = p.assignment.leader;
      if (!p.isFollower || leader < 0) continue;
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(p);
    }
    for (const [leader, fetcher] of this.fetchers) {
      if (!byLeader.has(leader)) {
        fetcher.close();
        this.fetchers.delete(leader);
      }
    }
    for (const [leader, partitions] of byLeader) {
      let fetcher = this.fetchers.get(leader);
      if (!fetcher) {
        fetcher = new LeaderFetcher(leader, this.o);
        this.fetchers.set(leader, fetcher);
      }
      fetcher.partitions = partitions;
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const f of this.fetchers.values()) f.close();
    this.fetchers.clear();
  }
}

class LeaderFetcher {
  partitions: Partition[] = [];
  private connection: Connection | undefined;
  private connectedTo = '';
  private closed = false;
  private warned = '';
  private lastRangeMessage = '';

  constructor(
    private readonly leaderId: number,
    private readonly o: ReplicaFetcherOptions,
  ) {
    void this.run();
  }

  close(): void {
    this.closed = true;
    this.connection?.close();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        const backoff = await this.fetchOnce();
        if (backoff) await sleep(this.o.backoffMs ?? 200);
      } catch (err) {
        if (this.closed) return;
        const message = `replica fetcher for leader ${this.leaderId}: ${(err as Error).message}`;
        // A dead leader fails every round until the controller moves leadership: say it once.
        if (message !== this.warned) this.o.logger.warn(message);
        this.warned = message;
        this.connection?.close();
        this.connection = undefined;
        await sleep(this.o.backoffMs ?? 200);
      }
    }
  }

  /** One fetch round; true when the caller should pause before the next. */
  private async fetchOnce(): Promise<boolean> {
    const parts = this.partitions.filter(
      (p) => p.isFollower && p.assignment.leader === this.leaderId,
    );
    if (parts.length === 0) return true;
    const endpoint = this.o.endpointOf(this.leaderId);
    if (!endpoint) return true;
    const where = `${endpoint.host}:${endpoint.port}`;
    if (this.connection && (this.connection.closed || this.connectedTo !== where)) {
      this.connection.close();
      this.connection = undefined;
    }
    if (!this.connection) {
      this.connection = await Connection.connect({
        host: endpoint.host,
        port: endpoint.port,
        clientId: `samsa-replica-fetcher-${this.o.nodeId}`,
        connectTimeoutMs: 5000,
        requestTimeoutMs: this.o.maxWaitMs + 10_000,
      });
      this.connectedTo = where;
      if (this.closed) {
        this.connection.close();
        return false;
      }
    }
    const sent = parts.map((p) => ({ p, epoch: p.leaderEpoch, offset: p.logEndOffset }));
    const byTopic = new Map<string, FetchRequest['topics'][number]>();
    for (const { p, epoch, offset } of sent) {
      let t = byTopic.get(p.topic);
      if (!t) byTopic.set(p.topic, (t = { topic: p.topic, partitions: [] }));
      t.partitions.push({
        partition: p.partition,
        currentLeaderEpoch: epoch,
        fetchOffset: BigInt(offset),
        lastFetchedEpoch: p.log.latestEpoch ?? -1,
        logStartOffset: BigInt(p.logStartOffset),
        partitionMaxBytes: this.o.partitionMaxBytes,
      });
    }
    const response = await this.connection.send(
      FetchApi,
      {
        replicaId: this.o.nodeId,
        maxWaitMs: this.o.maxWaitMs,
        minBytes: 1,
        maxBytes: 0x7fffffff,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic.values()],
        forgottenTopicsData: [],
        rackId: '',
      },
      { version: FETCH_VERSION, timeoutMs: this.o.maxWaitMs + 10_000 },
    );
    this.warned = '';
    let backoff = false;
    const outOfRange: typeof sent = [];
    for (const t of response.responses) {
      for (const d of t.partitions) {
        const s = sent.find((x) => x.p.topic === t.topic && x.p.partition === d.partitionIndex);
        if (!s) continue;
        const { p } = s;
        // Leadership or the log moved while the fetch was out: its answer no longer applies.
        if (p.leaderEpoch !== s.epoch || p.logEndOffset !== s.offset || !p.isFollower) continue;
        if (p !== this.o.replicaManager.partition(p.topic, p.partition)) continue;
        if (d.errorCode !== ErrorCode.NONE) {
          backoff = true;
          if (d.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) outOfRange.push(s);
          continue;
        }
        // The field's default (-1/-1) means "not diverging".
        if (d.divergingEpoch && d.divergingEpoch.epoch >= 0 && d.divergingEpoch.endOffset >= 0n) {
          const { epoch, endOffset } = d.divergingEpoch;
          truncateToDivergence(p, this.leaderId, epoch, Number(endOffset), this.o.logger);
          continue;
        }
        if (d.records && d.records.length > 0) appendFromLeader(p, d.records, this.o.logger);
        this.o.replicaManager.updateFollowerHighWatermark(p, Number(d.highWatermark));
        followLeaderLogStart(p, Number(d.logStartOffset ?? -1));
      }
    }
    for (const s of outOfRange) await this.handleOutOfRange(s.p, s.epoch, s.offset);
    return backoff;
  }

  /**
   * Kafka's AbstractFetcherThread.handleOutOfRangeError: the leader has no records at our fetch
   * offset. Ending beyond the leader's log end (with no epoch in common, the divergence cannot be
   * found by epochs) we truncate to that end; ending below its log start we start over there;
   * otherwise the leader's log changed since it answered and the next fetch will tell.
   */
  private async handleOutOfRange(p: Partition, epoch: number, fetchOffset: number): Promise<void> {
    const where = `${p.topic}-${p.partition}`;
    const unchanged = () =>
      p.leaderEpoch === epoch &&
      p.logEndOffset === fetchOffset &&
      p.isFollower &&
      p === this.o.replicaManager.partition(p.topic, p.partition);
    const leaderEnd = await this.leaderOffset(p, epoch, LATEST_TIMESTAMP);
    if (leaderEnd === undefined || !unchanged()) return;
    if (leaderEnd < fetchOffset) {
      // Below our high watermark every record is committed, so the leader holds the same ones;
      // above it the two logs may hold different records at the same offsets, which nothing
      // tells apart without an epoch in common: those go too.
      const target = Math.min(leaderEnd, Math.max(p.hw, p.logStartOffset));
      this.o.logger.warn(
        `${where}: leader ${this.leaderId} answered OFFSET_OUT_OF_RANGE at ${fetchOffset} and its log ends at ${leaderEnd}: truncating from ${fetchOffset} to ${target}`,
      );
      p.log.truncateTo(target);
      p.clampHighWatermarkToLog();
      return;
    }
    const leaderStart = await this.leaderOffset(p, epoch, EARLIEST_TIMESTAMP);
    if (leaderStart === undefined || !unchanged()) return;
    if (leaderStart > fetchOffset) {
      this.o.logger.warn(
        `${where}: leader ${this.leaderId} answered OFFSET_OUT_OF_RANGE at ${fetchOffset} and its log starts at ${leaderStart}: emptying the log and starting over at ${leaderStart}`,
      );
      p.log.truncateFullyAndStartAt(leaderStart);
      p.clampHighWatermarkToLog();
      return;
    }
    const message = `${where}: leader ${this.leaderId} answered OFFSET_OUT_OF_RANGE at ${fetchOffset}, but its log spans ${leaderStart} to ${leaderEnd}; fetching again`;
    // Said once: a leader that keeps answering so would otherwise fill the log every backoff.
    if (message !== this.lastRangeMessage) this.o.logger.info(message);
    this.lastRangeMessage = message;
  }

  /** The leader's log end (LATEST) or start (EARLIEST) offset, or undefined when it refuses. */
  private async leaderOffset(
    p: Partition,
    epoch: number,
    timestamp: bigint,
  ): Promise<number | undefined> {
    const response = await this.connection!.send(
      ListOffsetsApi,
      {
        // A replica id gets the log end offset for LATEST, not the high watermark.
        replicaId: this.o.nodeId,
        isolationLevel: 0,
        topics: [
          {
            name: p.topic,
            partitions: [{ partitionIndex: p.partition, currentLeaderEpoch: epoch, timestamp }],
          },
        ],
      },
      { version: LIST_OFFSETS_VERSION },
    );
    const answer = response.topics[0]?.partitions[0];
    if (!answer || answer.errorCode !== ErrorCode.NONE || answer.offset === undefined) {
      this.o.logger.warn(
        `${p.topic}-${p.partition}: leader ${this.leaderId} refused ListOffsets after OFFSET_OUT_OF_RANGE (error ${answer?.errorCode})`,
      );
      return undefined;
    }
    return Number(answer.offset);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

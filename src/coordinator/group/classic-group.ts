// A classic (JoinGroup/SyncGroup) group: Kafka's ClassicGroup. The coordinator is
// protocol-agnostic: member metadata and assignments are opaque bytes chosen by the clients'
// assignor; it only picks the protocol every member supports and relays bytes. It reads the
// consumer protocol's subscription only to know which topics the group uses (offset deletion
// and retention), as Kafka does.

import { ErrorCode } from '../../protocol/errors.js';
import { decodeConsumerProtocolSubscription } from '../../protocol/messages/consumer-protocol-subscription.js';
import type { GroupMetadataValue } from '../../protocol/messages/group-coordinator/index.js';
import { Reader } from '../../protocol/primitives/reader.js';
import type { Deferred } from './result.js';
import type { JoinGroupResult, Protocol, SyncGroupResult } from './types.js';

export const ClassicGroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type ClassicGroupState = (typeof ClassicGroupState)[keyof typeof ClassicGroupState];

const VALID_PREVIOUS: Record<ClassicGroupState, readonly ClassicGroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
export const EMPTY_ASSIGNMENT: Buffer = Buffer.alloc(0);

export class ClassicGroupMember {
  awaitingJoin: Deferred<JoinGroupResult> | null = null;
  awaitingSync: Deferred<SyncGroupResult> | null = null;
  /** Added in the current rebalance: expires on the new-member join timeout, not the session. */
  isNew = false;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public supportedProtocols: Protocol[],
    public assignment: Buffer = EMPTY_ASSIGNMENT,
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  /** Members waiting on a rebalance count as alive; others must have heartbeated. */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.awaitingJoin !== null || this.awaitingSync !== null;
  }

  metadata(protocolName: string | null): Buffer {
    return (
      this.supportedProtocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_ASSIGNMENT
    );
  }

  /** Same protocols, same order, same bytes: a rejoin that changes nothing. */
  matches(protocols: readonly Protocol[]): boolean {
    const mine = this.supportedProtocols;
    return (
      mine.length === protocols.length &&
      mine.every(
        (p, i) => p.name === protocols[i]!.name && p.metadata.equals(protocols[i]!.metadata),
      )
    );
  }

  vote(candidates: ReadonlySet<string>): string {
    const p = this.supportedProtocols.find((p) => candidates.has(p.name));
    if (!p) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return p.name;
  }
}

export class ClassicGroup {
  readonly type = 'classic' as const;
  state: ClassicGroupState = ClassicGroupState.Empty;
  previousState: ClassicGroupState | null = null;
  currentStateTimestamp: number | null = null;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, ClassicGroupMember>();
  private readonly staticMembers = new Map<string, string>();
  private readonly pendingJoinMembers = new Set<string>();
  readonly pendingSyncMembers = new Set<string>();
  private readonly supportedProtocols = new Map<string, number>();
  private numMembersAwaitingJoin = 0;
  /** A member joined during the initial delay: extend the delay once more. */
  newMemberAdded = false;
  /** Topics the consumer-protocol members subscribe to; null when unknown. */
  subscribedTopics: Set<string> | null = null;

  constructor(
    readonly groupId: string,
    private readonly now: () => number,
  ) {}

  is(state: ClassicGroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: ClassicGroupState): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId} cannot move from ${this.state} to ${state}`);
    }
    this.previousState = this.state;
    this.state = state;
    this.currentStateTimestamp = this.now();
  }

  get isEmpty(): boolean {
    return this.state === ClassicGroupState.Empty;
  }
  get numMembers(): number {
    return this.members.size;
  }
  get numAwaitingJoin(): number {
    return this.numMembersAwaitingJoin;
  }
  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }
  member(memberId: string): ClassicGroupMember | undefined {
    return this.members.get(memberId);
  }
  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }
  staticMemberId(groupInstanceId: string | null): string | undefined {
    return groupInstanceId === null ? undefined : this.staticMembers.get(groupInstanceId);
  }
  usesConsumerProtocol(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }
  canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  /** The longest rebalance timeout of the members: how long a join phase may last. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  add(member: ClassicGroupMember, future: Deferred<JoinGroupResult> | null): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) {
        throw new Error(`static member ${member.groupInstanceId} is already in ${this.groupId}`);
      }
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.leaderId ??= member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member, 1);
    member.awaitingJoin = future;
    if (future) this.numMembersAwaitingJoin++;
    this.pendingJoinMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const removed = this.members.get(memberId);
    if (removed) {
      this.members.delete(memberId);
      this.countProtocols(removed, -1);
      if (removed.awaitingJoin) this.numMembersAwaitingJoin--;
      if (removed.groupInstanceId !== null) this.staticMembers.delete(removed.groupInstanceId);
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /** A static member rejoined with a new member id: the old id is fenced, its assignment kept. */
  replaceStaticMember(
    groupInstanceId: string,
    oldMemberId: string,
    newMemberId: string,
  ): ClassicGroupMember {
    const old = this.members.get(oldMemberId);
    if (!old) throw new Error(`cannot replace unknown member ${oldMemberId}`);
    this.members.delete(oldMemberId);
    this.completeJoin(old, {
      ...emptyJoinResult(oldMemberId, FENCED_INSTANCE_ID),
      leader: '',
    });
    this.completeSync(old, {
      errorCode: FENCED_INSTANCE_ID,
      protocolType: null,
      protocolName: null,
      assignment: EMPTY_ASSIGNMENT,
    });
    const replacement = new ClassicGroupMember(
      newMemberId,
      old.groupInstanceId,
      old.clientId,
      old.clientHost,
      old.rebalanceTimeoutMs,
      old.sessionTimeoutMs,
      old.protocolType,
      old.supportedProtocols,
      old.assignment,
    );
    this.members.set(newMemberId, replacement);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    return replacement;
  }

  updateMember(
    member: ClassicGroupMember,
    protocols: Protocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    future: Deferred<JoinGroupResult> | null,
  ): void {
    this.countProtocols(member, -1);
    member.supportedProtocols = protocols;
    this.countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (future && !member.awaitingJoin) this.numMembersAwaitingJoin++;
    else if (!future && member.awaitingJoin) this.numMembersAwaitingJoin--;
    member.awaitingJoin = future;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingJoinMembers.has(memberId);
  }
  addPendingMember(memberId: string): void {
    this.pendingJoinMembers.add(memberId);
  }
  hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingJoinMembers.size === 0;
  }

  /** Answers a parked JoinGroup; false when the member was not waiting. */
  completeJoin(member: ClassicGroupMember, response: JoinGroupResult): boolean {
    if (!member.awaitingJoin) return false;
    member.awaitingJoin.resolve(response);
    member.awaitingJoin = null;
    this.numMembersAwaitingJoin--;
    return true;
  }

  completeSync(member: ClassicGroupMember, response: SyncGroupResult): boolean {
    if (!member.awaitingSync) return false;
    member.awaitingSync.resolve(response);
    member.awaitingSync = null;
    return true;
  }

  /** The leader did not rejoin in time: hand leadership to a member that did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.awaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** Validation shared by SyncGroup, Heartbeat, LeaveGroup, OffsetCommit: Kafka's validateMember. */
  memberError(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined) return UNKNOWN_MEMBER_ID;
      if (existing !== memberId) return FENCED_INSTANCE_ID;
    }
    return this.members.has(memberId) ? 0 : UNKNOWN_MEMBER_ID;
  }

  /** A joining member's protocols fit the group: same type, one protocol every member has. */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.isEmpty) return protocolType !== '' && protocols.length > 0;
    return (
      this.protocolType === protocolType &&
      protocols.some((p) => (this.supportedProtocols.get(p.name) ?? 0) === this.members.size)
    );
  }

  /** Each member votes for its most preferred protocol among those all support. */
  selectProtocol(): string {
    const candidates = new Set<string>();
    for (const [name, count] of this.supportedProtocols)
      if (count === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | undefined;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best!;
  }

  initNextGeneration(): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo(ClassicGroupState.CompletingRebalance);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo(ClassicGroupState.Empty);
    }
    this.pendingSyncMembers.clear();
  }

  /** What the leader receives to run its assignor: every member's metadata for the protocol. */
  currentMembersForLeader(): JoinGroupResult['members'] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(this.protocolName),
    }));
  }

  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        const r = new Reader(m.metadata(this.protocolName));
        r.int16();
        // Version 0 is a prefix of every version: enough to read the topics.
        for (const t of decodeConsumerProtocolSubscription(r, 0).topics) topics.add(t);
      }
    } catch {
      return null;
    }
    return topics;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics ? this.subscribedTopics.has(topic) : this.usesConsumerProtocol();
  }

  /** The record that persists this generation (assignments by member id). */
  toRecordValue(assignments: ReadonlyMap<string, Buffer>): GroupMetadataValue {
    return {
      protocolType: this.protocolType ?? '',
      generation: this.generationId,
      protocol: this.protocolName,
      leader: this.leaderId,
      currentStateTimestamp: BigInt(this.currentStateTimestamp ?? -1),
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadata(this.protocolName),
        assignment: assignments.get(m.memberId) ?? EMPTY_ASSIGNMENT,
      })),
    };
  }

  /** Rebuilds a group from its last GroupMetadata record (load after restart or failover). */
  static fromRecord(groupId: string, value: GroupMetadataValue, now: () => number): ClassicGroup {
    const g = new ClassicGroup(groupId, now);
    g.generationId = value.generation;
    g.protocolType = value.protocolType === '' ? null : value.protocolType;
    g.protocolName = value.protocol;
    g.leaderId = value.leader;
    const ts = Number(value.currentStateTimestamp ?? -1n);
    g.currentStateTimestamp = ts >= 0 ? ts : null;
    for (const m of value.members) {
      const member = new ClassicGroupMember(
        m.memberId,
        m.groupInstanceId ?? null,
        m.clientId,
        m.clientHost,
        m.rebalanceTimeout === undefined || m.rebalanceTimeout === -1
          ? m.sessionTimeout
          : m.rebalanceTimeout,
        m.sessionTimeout,
        value.protocolType,
        [{ name: value.protocol ?? '', metadata: m.subscription }],
        m.assignment,
      );
      g.add(member, null);
    }
    g.leaderId = value.leader;
    g.state = value.members.length === 0 ? ClassicGroupState.Empty : ClassicGroupState.Stable;
    g.subscribedTopics = g.computeSubscribedTopics();
    return g;
  }

  private countProtocols(member: ClassicGroupMember, delta: number): void {
    for (const p of member.supportedProtocols) {
      this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + delta);
    }
  }
}

const { UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID } = ErrorCode;

export function emptyJoinResult(memberId: string, errorCode: number): JoinGroupResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

// A KIP-848 consumer group: Kafka's ConsumerGroup. Its state is exactly what the records say:
// the group epoch, the subscribed topics' metadata, each member's subscription and current
// assignment, and the target assignment the server-side assignor computed. Every change is
// made by replaying one of those records (replay* below), at load time and after each write.
import type {
  ConsumerGroupCurrentMemberAssignmentValue,
  ConsumerGroupMemberMetadataValue,
  ConsumerGroupPartitionMetadataValue,
} from '../../protocol/messages/group-coordinator/index.js';
import type { GroupRecord } from './records.js';

/** topicId -> partitions. */
export type Assignment = ReadonlyMap<string, ReadonlySet<number>>;
export const EMPTY: Assignment = new Map();

export const MemberState = {
  Stable: 0,
  UnrevokedPartitions: 1,
  UnreleasedPartitions: 2,
  Unknown: 127,
} as const;
export type MemberState = (typeof MemberState)[keyof typeof MemberState];

export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

export interface ConsumerGroupMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly serverAssignor: string | null;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: MemberState;
  readonly assignedPartitions: Assignment;
  readonly partitionsPendingRevocation: Assignment;
}

export function newMember(memberId: string): ConsumerGroupMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    rebalanceTimeoutMs: -1,
    serverAssignor: null,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: MemberState.Stable,
    assignedPartitions: EMPTY,
    partitionsPendingRevocation: EMPTY,
  };
}

export function isReconciledTo(member: ConsumerGroupMember, epoch: number): boolean {
  return member.state === MemberState.Stable && member.memberEpoch === epoch;
}

export interface SubscribedTopic {
  topicId: string;
  name: string;
  numPartitions: number;
}

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

export class ConsumerGroup {
  readonly type = 'consumer' as const;
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerGroupMember>();
  readonly staticMembers = new Map<string, string>();
  readonly targetAssignment = new Map<string, Assignment>();
  /** By topic name: what the last assignment was computed against. */
  subscriptionMetadata = new Map<string, SubscribedTopic>();
  /** topicId -> partition -> epoch of the member owning it (assigned or pending revocation). */
  private readonly partitionEpochs = new Map<string, Map<number, number>>();

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) {
      if (!isReconciledTo(m, this.assignmentEpoch)) return 'Reconciling';
    }
    return 'Stable';
  }

  get isEmpty(): boolean {
    return this.members.size === 0;
  }

  staticMember(instanceId: string | null): ConsumerGroupMember | undefined {
    if (instanceId === null) return undefined;
    const id = this.staticMembers.get(instanceId);
    return id === undefined ? undefined : this.members.get(id);
  }

  /** -1 when no member owns the partition: it may be given to its new owner. */
  currentPartitionEpoch(topicId: string, partition: number): number {
    return this.partitionEpochs.get(topicId)?.get(partition) ?? -1;
  }

  /** How many members subscribe to each topic name (regex matches excluded). */
  subscribedTopicNames(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.members.values()) {
      for (const t of m.subscribedTopicNames) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    return counts;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscriptionMetadata.has(topic);
  }

  updateMember(member: ConsumerGroupMember): void {
    const old = this.members.get(member.memberId);
    if (old) this.removePartitionEpochs(old);
    this.members.set(member.memberId, member);
    if (member.instanceId !== null) this.staticMembers.set(member.instanceId, member.memberId);
    this.addPartitionEpochs(member);
  }

  removeMember(memberId: string): void {
    const old = this.members.get(memberId);
    if (!old) return;
    this.removePartitionEpochs(old);
    this.members.delete(memberId);
    if (old.instanceId !== null && this.staticMembers.get(old.instanceId) === memberId) {
      this.staticMembers.delete(old.instanceId);
    }
  }

  private addPartitionEpochs(m: ConsumerGroupMember): void {
    for (const a of [m.assignedPartitions, m.partitionsPendingRevocation]) {
      for (const [topicId, partitions] of a) {
        let epochs = this.partitionEpochs.get(topicId);
        if (!epochs) this.partitionEpochs.set(topicId, (epochs = new Map()));
        for (const p of partitions) epochs.set(p, m.memberEpoch);
      }
    }
  }

  private removePartitionEpochs(m: ConsumerGroupMember): void {
    for (const a of [m.assignedPartitions, m.partitionsPendingRevocation]) {
      for (const [topicId, partitions] of a) {
        const epochs = this.partitionEpochs.get(topicId);
        if (!epochs) continue;
        for (const p of partitions) if (epochs.get(p) === m.memberEpoch) epochs.delete(p);
        if (epochs.size === 0) this.partitionEpochs.delete(topicId);
      }
    }
  }

  // --- replay ------------------------------------------------------------------------------------

  replayMemberMetadata(memberId: string, value: ConsumerGroupMemberMetadataValue | null): void {
    if (value === null) {
      const m = this.members.get(memberId);
      if (m) this.removeMember(memberId);
      return;
    }
    const old = this.members.get(memberId) ?? newMember(memberId);
    this.updateMember({
      ...old,
      instanceId: value.instanceId,
      rackId: value.rackId,
      clientId: value.clientId,
      clientHost: value.clientHost,
      subscribedTopicNames: value.subscribedTopicNames,
      subscribedTopicRegex: value.subscribedTopicRegex,
      rebalanceTimeoutMs: value.rebalanceTimeoutMs,
      serverAssignor: value.serverAssignor,
    });
  }

  replayCurrentAssignment(
    memberId: string,
    value: ConsumerGroupCurrentMemberAssignmentValue | null,
  ): void {
    const old = this.members.get(memberId);
    if (value === null) {
      if (!old) return;
      this.updateMember({
        ...old,
        memberEpoch: LEAVE_GROUP_MEMBER_EPOCH,
        previousMemberEpoch: LEAVE_GROUP_MEMBER_EPOCH,
        assignedPartitions: EMPTY,
        partitionsPendingRevocation: EMPTY,
      });
      return;
    }
    this.updateMember({
      ...(old ?? newMember(memberId)),
      memberEpoch: value.memberEpoch,
      previousMemberEpoch: value.previousMemberEpoch,
      state: knownState(value.state),
      assignedPartitions: fromTopicPartitions(value.assignedPartitions),
      partitionsPendingRevocation: fromTopicPartitions(value.partitionsPendingRevocation),
    });
  }

  replayPartitionMetadata(value: ConsumerGroupPartitionMetadataValue | null): void {
    this.subscriptionMetadata = new Map(
      (value?.topics ?? []).map((t) => [
        t.topicName,
        { topicId: t.topicId, name: t.topicName, numPartitions: t.numPartitions },
      ]),
    );
  }

  replayTargetAssignmentMember(memberId: string, partitions: Assignment | null): void {
    if (partitions === null) this.targetAssignment.delete(memberId);
    else this.targetAssignment.set(memberId, partitions);
  }

  /** The tombstones that delete this group (members first, then group-level records). */
  tombstones(): GroupRecord[] {
    const groupId = this.groupId;
    const out: GroupRecord[] = [];
    for (const memberId of this.members.keys()) {
      out.push({
        type: 'ConsumerGroupCurrentMemberAssignment',
        key: { groupId, memberId },
        value: null,
      });
    }
    for (const memberId of this.members.keys()) {
      out.push({
        type: 'ConsumerGroupTargetAssignmentMember',
        key: { groupId, memberId },
        value: null,
      });
    }
    out.push({ type: 'ConsumerGroupTargetAssignmentMetadata', key: { groupId }, value: null });
    for (const memberId of this.members.keys()) {
      out.push({ type: 'ConsumerGroupMemberMetadata', key: { groupId, memberId }, value: null });
    }
    out.push({ type: 'ConsumerGroupPartitionMetadata', key: { groupId }, value: null });
    out.push({ type: 'ConsumerGroupMetadata', key: { groupId }, value: null });
    return out;
  }
}

function knownState(state: number): MemberState {
  return state === 0 || state === 1 || state === 2 ? state : MemberState.Unknown;
}

export function fromTopicPartitions(
  list: readonly { topicId: string; partitions: readonly number[] }[],
): Assignment {
  const out = new Map<string, Set<number>>();
  for (const t of list) {
    if (t.partitions.length === 0) continue;
    let s = out.get(t.topicId);
    if (!s) out.set(t.topicId, (s = new Set()));
    for (const p of t.partitions) s.add(p);
  }
  return out;
}

export function toTopicPartitions(a: Assignment): { topicId: string; partitions: number[] }[] {
  return [...a]
    .filter(([, ps]) => ps.size > 0)
    .map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }));
}

export function assignmentsEqual(a: Assignment, b: Assignment): boolean {
  const nonEmpty = (x: Assignment) => [...x].filter(([, ps]) => ps.size > 0);
  const ea = nonEmpty(a);
  if (ea.length !== nonEmpty(b).length) return false;
  for (const [t, ps] of ea) {
    const other = b.get(t);
    if (!other || other.size !== ps.size) return false;
    for (const p of ps) if (!other.has(p)) return false;
  }
  return true;
}

export function memberMetadataRecord(groupId: string, m: ConsumerGroupMember): GroupRecord {
  return {
    type: 'ConsumerGroupMemberMetadata',
    key: { groupId, memberId: m.memberId },
    value: {
      instanceId: m.instanceId,
      rackId: m.rackId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: [...m.subscribedTopicNames],
      subscribedTopicRegex: m.subscribedTopicRegex,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      serverAssignor: m.serverAssignor,
    },
  };
}

export function currentAssignmentRecord(groupId: string, m: ConsumerGroupMember): GroupRecord {
  return {
    type: 'ConsumerGroupCurrentMemberAssignment',
    key: { groupId, memberId: m.memberId },
    value: {
      memberEpoch: m.memberEpoch,
      previousMemberEpoch: m.previousMemberEpoch,
      state: m.state,
      assignedPartitions: toTopicPartitions(m.assignedPartitions),
      partitionsPendingRevocation: toTopicPartitions(m.partitionsPendingRevocation),
    },
  };
}

export function targetAssignmentRecord(
  groupId: string,
  memberId: string,
  a: Assignment,
): GroupRecord {
  return {
    type: 'ConsumerGroupTargetAssignmentMember',
    key: { groupId, memberId },
    value: { topicPartitions: toTopicPartitions(a) },
  };
}

export function groupEpochRecord(groupId: string, epoch: number): GroupRecord {
  return { type: 'ConsumerGroupMetadata', key: { groupId }, value: { epoch } };
}

export function targetAssignmentEpochRecord(groupId: string, epoch: number): GroupRecord {
  return {
    type: 'ConsumerGroupTargetAssignmentMetadata',
    key: { groupId },
    value: { assignmentEpoch: epoch },
  };
}

export function subscriptionMetadataRecord(
  groupId: string,
  metadata: ReadonlyMap<string, SubscribedTopic>,
): GroupRecord {
  return {
    type: 'ConsumerGroupPartitionMetadata',
    key: { groupId },
    value: {
      topics: [...metadata.values()]
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((t) => ({
          topicId: t.topicId,
          topicName: t.name,
          numPartitions: t.numPartitions,
          partitionMetadata: [],
        })),
    },
  };
}

export function memberTombstones(groupId: string, memberId: string): GroupRecord[] {
  return [
    { type: 'ConsumerGroupCurrentMemberAssignment', key: { groupId, memberId }, value: null },
    { type: 'ConsumerGroupTargetAssignmentMember', key: { groupId, memberId }, value: null },
    { type: 'ConsumerGroupMemberMetadata', key: { groupId, memberId }, value: null },
  ];
}

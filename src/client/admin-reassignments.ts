// The admin client's replica placement calls: move partitions to other brokers
// (AlterPartitionReassignments), see the moves under way (ListPartitionReassignments), and
// elect leaders (ElectLeaders: the preferred replica, or an unclean election for a partition
// without a leader). Each request goes to the controller; any Samsa broker would take it.
import { ErrorCode, errorInfo } from '../protocol/errors.js';
import { AlterPartitionReassignmentsApi } from '../protocol/messages/alter-partition-reassignments.js';
import { ElectLeadersApi } from '../protocol/messages/elect-leaders.js';
import { ListPartitionReassignmentsApi } from '../protocol/messages/list-partition-reassignments.js';
import type { Connection } from './connection.js';
import { brokerError } from './errors.js';

export interface PartitionReassignment {
  topic: string;
  partition: number;
  /** The replicas the partition should end up on (the first is the preferred leader); null cancels a move. */
  replicas: number[] | null;
}

export interface OngoingReassignment {
  topic: string;
  partition: number;
  /** Every replica the partition has while it moves: the target ones and those being removed. */
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export interface ElectionResult {
  topic: string;
  partition: number;
  /** 'NONE' when a leader was elected; otherwise why not (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ...). */
  error: string;
  message: string | null;
}

/** Groups (topic, partition, x) entries by topic, keeping the first-seen order. */
function byTopic<T extends { topic: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of items) {
    let list = out.get(i.topic);
    if (!list) out.set(i.topic, (list = []));
    list.push(i);
  }
  return out;
}

export async function alterPartitionReassignments(
  c: Connection,
  reassignments: readonly PartitionReassignment[],
  timeoutMs: number,
): Promise<void> {
  const r = await c.send(
    AlterPartitionReassignmentsApi,
    {
      timeoutMs,
      topics: [...byTopic(reassignments)].map(([name, list]) => ({
        name,
        partitions: list.map((p) => ({ partitionIndex: p.partition, replicas: p.replicas })),
      })),
    },
    { timeoutMs: timeoutMs + 5_000 },
  );
  if (r.errorCode !== ErrorCode.NONE) {
    throw brokerError(r.errorCode, 'reassigning partitions', r.errorMessage);
  }
  for (const t of r.responses) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) {
        throw brokerError(p.errorCode, `reassigning ${t.name}/${p.partitionIndex}`, p.errorMessage);
      }
    }
  }
}

export async function listPartitionReassignments(
  c: Connection,
  partitions: readonly { topic: string; partition: number }[] | undefined,
  timeoutMs: number,
): Promise<OngoingReassignment[]> {
  const r = await c.send(ListPartitionReassignmentsApi, {
    timeoutMs,
    topics:
      partitions === undefined
        ? null
        : [...byTopic(partitions)].map(([name, list]) => ({
            name,
            partitionIndexes: list.map((p) => p.partition),
          })),
  });
  if (r.errorCode !== ErrorCode.NONE) {
    throw brokerError(r.errorCode, 'listing partition reassignments', r.errorMessage);
  }
  return r.topics
    .flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        replicas: p.replicas,
        addingReplicas: p.addingReplicas,
        removingReplicas: p.removingReplicas,
      })),
    )
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

export async function electLeaders(
  c: Connection,
  type: 'preferred' | 'unclean',
  partitions: readonly { topic: string; partition: number }[] | undefined,
  timeoutMs: number,
): Promise<ElectionResult[]> {
  const r = await c.send(
    ElectLeadersApi,
    {
      electionType: type === 'preferred' ? 0 : 1,
      topicPartitions:
        partitions === undefined
          ? null
          : [...byTopic(partitions)].map(([topic, list]) => ({
              topic,
              partitions: list.map((p) => p.partition),
            })),
      timeoutMs,
    },
    { timeoutMs: timeoutMs + 5_000 },
  );
  if ((r.errorCode ?? 0) !== ErrorCode.NONE) {
    throw brokerError(r.errorCode!, `electing leaders (${type})`);
  }
  return r.replicaElectionResults.flatMap((t) =>
    t.partitionResult.map((p) => ({
      topic: t.topic,
      partition: p.partitionId,
      error: p.errorCode === ErrorCode.NONE ? 'NONE' : errorInfo(p.errorCode).name,
      message: p.errorMessage,
    })),
  );
}

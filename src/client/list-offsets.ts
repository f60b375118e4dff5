// ListOffsets for a set of partitions, each asked of its leader: the consumer's position
// resets (earliest/latest) and the admin's offset lookups share it.
import { ErrorCode } from '../protocol/errors.js';
import {
  ListOffsetsApi,
  type ListOffsetsRequestListOffsetsTopic,
} from '../protocol/messages/list-offsets.js';
import { type Cluster, isStaleMetadataError } from './cluster.js';
import { brokerError, type KafkaError } from './errors.js';
import { withRetry } from './retry.js';

/** Special timestamps of ListOffsets, as Kafka defines them. */
export const OffsetSpec = {
  /** The log start offset. */
  earliest: -2,
  /** The log end offset (high watermark; last stable offset with read_committed). */
  latest: -1,
  /** The offset of the record with the largest timestamp. */
  maxTimestamp: -3,
} as const;

export interface OffsetQuery {
  topic: string;
  partition: number;
  /** A timestamp in ms (first offset at or after it), or one of OffsetSpec. */
  timestamp: number;
}

export interface OffsetAnswer {
  topic: string;
  partition: number;
  /** -1 when no record has a timestamp at or after the one asked for. */
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Looks the offsets up at each partition's leader, retrying leadership changes. */
export async function listOffsets(
  cluster: Cluster,
  queries: readonly OffsetQuery[],
  isolationLevel = 0,
): Promise<OffsetAnswer[]> {
  const answers = new Map<string, OffsetAnswer>();
  let todo = [...queries];
  await withRetry(
    cluster.retry,
    async () => {
      const topics = [...new Set(todo.map((q) => q.topic))];
      const info = await cluster.topicMetadata(topics);
      const byLeader = new Map<number, OffsetQuery[]>();
      for (const q of todo) {
        const p = info.get(q.topic)!.partitions[q.partition];
        if (!p)
          throw brokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${q.topic}/${q.partition}`);
        let list = byLeader.get(p.leader);
        if (!list) byLeader.set(p.leader, (list = []));
        list.push(q);
      }
      const failed: OffsetQuery[] = [];
      let firstError: KafkaError | undefined;
      await Promise.all(
        [...byLeader].map(async ([leader, list]) => {
          const grouped = new Map<string, ListOffsetsRequestListOffsetsTopic>();
          for (const q of list) {
            let t = grouped.get(q.topic);
            if (!t) grouped.set(q.topic, (t = { name: q.topic, partitions: [] }));
            t.partitions.push({
              partitionIndex: q.partition,
              currentLeaderEpoch: -1,
              timestamp: BigInt(q.timestamp),
              maxNumOffsets: 1,
            });
          }
          const connection = await cluster.connection(leader);
          const response = await connection.send(ListOffsetsApi, {
            replicaId: -1,
            isolationLevel,
            topics: [...grouped.values()],
            timeoutMs: cluster.options.requestTimeoutMs ?? 30_000,
          });
          for (const t of response.topics) {
            for (const p of t.partitions) {
              if (p.errorCode !== ErrorCode.NONE) {
                const err = brokerError(
                  p.errorCode,
                  `ListOffsets for ${t.name}/${p.partitionIndex}`,
                );
                firstError ??= err;
                if (isStaleMetadataError(err)) cluster.invalidate(t.name);
                failed.push({ topic: t.name, partition: p.partitionIndex, timestamp: 0 });
                continue;
              }
              answers.set(key(t.name, p.partitionIndex), {
                topic: t.name,
                partition: p.partitionIndex,
                offset: Number(p.offset ?? p.oldStyleOffsets?.[0] ?? -1n),
                timestamp: Number(p.timestamp ?? -1n),
                leaderEpoch: p.leaderEpoch ?? -1,
              });
            }
          }
        }),
      );
      if (failed.length > 0) {
        const failedKeys = new Set(failed.map((f) => key(f.topic, f.partition)));
        todo = todo.filter((q) => failedKeys.has(key(q.topic, q.partition)));
        throw firstError;
      }
    },
    (err) => {
      if (isStaleMetadataError(err)) cluster.invalidate();
    },
  );
  return queries.map((q) => answers.get(key(q.topic, q.partition))!);
}

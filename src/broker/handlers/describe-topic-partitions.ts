// DescribeTopicPartitions v0 (KIP-966; the Java admin 3.9+ uses it for describeTopics): topics
// in name order, their partitions paged by responsePartitionLimit (at most 2000, Kafka's
// max.request.partition.size.limit default) and a cursor to resume from. An empty topic list
// means every topic; then unknown names cannot occur and the cursor's topic need not exist.
import { INTERNAL_TOPICS, validateTopicName } from '../../cluster/topic-registry.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeTopicPartitionsApi,
  type DescribeTopicPartitionsResponse,
  type DescribeTopicPartitionsResponseTopic,
} from '../../protocol/messages/describe-topic-partitions.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import { AUTHORIZED_OPERATIONS_OMITTED, TOPIC_AUTHORIZED_OPERATIONS } from '../admin-support.js';
import { defineHandler } from '../handler.js';

const MAX_PARTITIONS_PER_RESPONSE = 2000;

export default defineHandler({
  api: DescribeTopicPartitionsApi,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx): DescribeTopicPartitionsResponse {
    const { broker } = ctx;
    const { cursor } = request;
    const fetchAll = request.topics.length === 0;
    const from = cursor?.topicName ?? '';
    const names = [
      ...new Set(
        fetchAll ? broker.topics.topics().map((t) => t.name) : request.topics.map((t) => t.name),
      ),
    ]
      .filter((n) => n >= from)
      .sort();
    // The cursor must point into the request, at a real partition index.
    if (cursor && ((!fetchAll && !names.includes(cursor.topicName)) || cursor.partitionIndex < 0)) {
      return {
        throttleTimeMs: 0,
        topics: request.topics.map((t) => ({
          errorCode: ErrorCode.INVALID_REQUEST,
          name: t.name,
          topicId: ZERO_UUID,
          isInternal: false,
          partitions: [],
          topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
        })),
        nextCursor: null,
      };
    }

    const live = new Set(broker.liveBrokerIds());
    let remaining = Math.max(
      Math.min(MAX_PARTITIONS_PER_RESPONSE, request.responsePartitionLimit),
      1,
    );
    const topics: DescribeTopicPartitionsResponseTopic[] = [];
    let nextCursor: DescribeTopicPartitionsResponse['nextCursor'] = null;
    for (const name of names) {
      if (remaining === 0) {
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      const topic = broker.topics.topic(name);
      if (!topic) {
        let errorCode: number = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        try {
          validateTopicName(name);
        } catch {
          errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
        }
        topics.push({
          errorCode,
          name,
          topicId: ZERO_UUID,
          isInternal: INTERNAL_TOPICS.has(name),
          partitions: [],
          topicAuthorizedOperations: TOPIC_AUTHORIZED_OPERATIONS,
        });
        continue;
      }
      const all = [...topic.partitions].sort((a, b) => a.partition - b.partition);
      const start = cursor && name === cursor.topicName ? cursor.partitionIndex : 0;
      const page = all.slice(start, start + remaining);
      topics.push({
        errorCode: 0,
        name,
        topicId: topic.topicId,
        isInternal: INTERNAL_TOPICS.has(name),
        partitions: page.map((p) => {
          const leaderAlive = live.has(p.leader);
          return {
            errorCode: 0,
            partitionIndex: p.partition,
            leaderId: leaderAlive ? p.leader : -1,
            leaderEpoch: p.leaderEpoch,
            replicaNodes: [...p.replicas],
            isrNodes: [...p.isr],
            eligibleLeaderReplicas: [],
            lastKnownElr: [],
            offlineReplicas: p.replicas.filter((r) => !live.has(r)),
          };
        }),
        topicAuthorizedOperations: TOPIC_AUTHORIZED_OPERATIONS,
      });
      if (start + page.length < all.length) {
        nextCursor = { topicName: name, partitionIndex: start + page.length };
        break;
      }
      remaining -= page.length;
    }
    return { throttleTimeMs: 0, topics, nextCursor };
  },
});

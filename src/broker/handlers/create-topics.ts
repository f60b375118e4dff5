// CreateTopics v0-7: every topic of the request is created (or only checked, validateOnly) on
// its own and answered with its own error, in the order and with the rules of Kafka's
// controller: the name, then existence, then the configs, then partitions and replicas (-1 takes
// num.partitions / default.replication.factor; a manual assignment needs both at -1).
// v5+ answers the topic's resulting settings, v7 its id.
import { validateTopicName } from '../../cluster/topic-registry.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import {
  CreateTopicsApi,
  type CreateTopicsRequestCreatableTopic,
  type CreateTopicsResponse,
  type CreateTopicsResponseCreatableTopicResult,
} from '../../protocol/messages/create-topics.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import { apiError, duplicates, expiredTimeout, logOutcomes } from '../admin-support.js';
import { describeTopicConfigs } from '../config-describer.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { validateTopicConfigs } from '../topic-config.js';

/** Kafka's own metadata log; no client may create it. */
const CLUSTER_METADATA_TOPIC = '__cluster_metadata';

export default defineHandler({
  api: CreateTopicsApi,
  minVersion: 0,
  maxVersion: 7,
  async handle(request, ctx): Promise<CreateTopicsResponse> {
    const names = request.topics.map((t) => t.name);
    const duplicated = duplicates(names);
    const answered = new Set<string>();
    const topics: CreateTopicsResponseCreatableTopicResult[] = [];
    for (const topic of request.topics) {
      if (answered.has(topic.name)) continue;
      answered.add(topic.name);
      if (expiredTimeout(request.timeoutMs)) {
        topics.push(failed(topic.name, ErrorCode.REQUEST_TIMED_OUT, null));
      } else if (duplicated.has(topic.name)) {
        topics.push(
          failed(topic.name, ErrorCode.INVALID_REQUEST, 'the topic is named more than once'),
        );
      } else if (topic.name === CLUSTER_METADATA_TOPIC) {
        topics.push(
          failed(topic.name, ErrorCode.INVALID_REQUEST, `${topic.name} cannot be created`),
        );
      } else {
        topics.push(await createTopic(topic, request.validateOnly ?? false, ctx));
      }
    }
    logOutcomes(
      ctx.log,
      request.validateOnly ? 'CreateTopics (validate only)' : 'CreateTopics',
      ctx.header.clientId,
      topics.map((t) => ({ name: t.name, code: t.errorCode, message: t.errorMessage ?? null })),
    );
    return { throttleTimeMs: 0, topics };
  },
});

async function createTopic(
  topic: CreateTopicsRequestCreatableTopic,
  validateOnly: boolean,
  ctx: RequestContext,
): Promise<CreateTopicsResponseCreatableTopicResult> {
  const { broker } = ctx;
  try {
    validateTopicName(topic.name);
    if (broker.topics.topic(topic.name)) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${topic.name}' already exists`);
    }
    const configs = topicConfigs(topic);
    const created = await broker.topics.createTopic({
      name: topic.name,
      ...partitionsAndReplicas(topic, broker.config.int.bind(broker.config)),
      brokers: broker.liveBrokerIds(),
      configs,
      validateOnly,
    });
    return {
      name: created.name,
      topicId: created.topicId,
      errorCode: 0,
      errorMessage: null,
      topicConfigErrorCode: 0,
      numPartitions: created.partitions.length,
      replicationFactor: created.partitions[0]!.replicas.length,
      configs: describeTopicConfigs(broker.config, configs).map((c) => ({
        name: c.name,
        value: c.isSensitive ? null : c.value,
        readOnly: c.readOnly,
        configSource: c.source,
        isSensitive: c.isSensitive,
      })),
    };
  } catch (err) {
    const { code, message } = apiError(err);
    return failed(topic.name, code, message);
  }
}

/** The topic's overrides; null values are refused as Kafka does, then every value is checked. */
function topicConfigs(topic: CreateTopicsRequestCreatableTopic): Record<string, string> {
  const nulls = topic.configs.filter((c) => c.value === null).map((c) => c.name);
  if (nulls.length > 0) {
    throw new KafkaError(
      ErrorCode.INVALID_CONFIG,
      `null values are not allowed for topic settings: ${nulls.join(', ')}`,
    );
  }
  const configs = Object.fromEntries(topic.configs.map((c) => [c.name, c.value!]));
  validateTopicConfigs(configs);
  return configs;
}

/** Counts (with -1 meaning the broker default), or the manual assignment, checked for shape. */
function partitionsAndReplicas(
  topic: CreateTopicsRequestCreatableTopic,
  setting: (name: string) => number,
): { numPartitions: number; replicationFactor: number; assignments?: number[][] } {
  if (topic.assignments.length > 0) {
    if (topic.replicationFactor !== -1 || topic.numPartitions !== -1) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        'a manual partition assignment needs numPartitions and replicationFactor set to -1',
      );
    }
    const byIndex = new Map<number, number[]>();
    for (const a of topic.assignments) {
      if (byIndex.has(a.partitionIndex)) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `partition ${a.partitionIndex} is assigned more than once`,
        );
      }
      byIndex.set(a.partitionIndex, a.brokerIds);
    }
    const assignments: number[][] = [];
    for (let p = 0; p < byIndex.size; p++) {
      const replicas = byIndex.get(p);
      if (!replicas) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'assigned partitions must be numbered 0, 1, 2, ... without gaps',
        );
      }
      assignments.push(replicas);
    }
    return { numPartitions: assignments.length, replicationFactor: -1, assignments };
  }
  const { numPartitions, replicationFactor } = topic;
  if (replicationFactor === 0 || replicationFactor < -1) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `replication factor must be at least 1, or -1 for default.replication.factor; got ${replicationFactor}`,
    );
  }
  if (numPartitions === 0 || numPartitions < -1) {
    throw new KafkaError(
      ErrorCode.INVALID_PARTITIONS,
      `number of partitions must be at least 1, or -1 for num.partitions; got ${numPartitions}`,
    );
  }
  return {
    numPartitions: numPartitions === -1 ? setting('num.partitions') : numPartitions,
    replicationFactor:
      replicationFactor === -1 ? setting('default.replication.factor') : replicationFactor,
  };
}

function failed(
  name: string,
  errorCode: number,
  errorMessage: string | null,
): CreateTopicsResponseCreatableTopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    topicConfigErrorCode: 0,
    numPartitions: -1,
    replicationFactor: -1,
    configs: [],
  };
}

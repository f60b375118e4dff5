// Metadata: the brokers, the cluster id and controller, and the topics a client asks for (all
// of them for a null list, or an empty list in v0), with their partitions' leaders, epochs,
// replicas and ISR.
//
// Unknown topics are created when both auto.create.topics.enable and the request allow it
// (v0-3 always allow it). Like Kafka 3.9/4.0 in KRaft mode (see the kcat produce captures under
// test/fixtures/golden), the answer that creates a topic still says UNKNOWN_TOPIC_OR_PARTITION
// with no partitions: clients retry, and the next answer has the topic.

import {
  INTERNAL_TOPICS,
  type TopicMetadata,
  validateTopicName,
} from '../../cluster/topic-registry.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  MetadataApi,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponsePartition,
  type MetadataResponseTopic,
} from '../../protocol/messages/metadata.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  apiError,
  CLUSTER_AUTHORIZED_OPERATIONS,
  liveBrokers,
  TOPIC_AUTHORIZED_OPERATIONS,
} from '../admin-support.js';
import type { Broker } from '../broker.js';
import { defineHandler, type RequestContext } from '../handler.js';

export default defineHandler({
  api: MetadataApi,
  minVersion: 0,
  maxVersion: 12,
  async handle(request, ctx): Promise<MetadataResponse> {
    const { broker } = ctx;
    const version = ctx.header.apiVersion;
    const allTopics = request.topics === null || (version === 0 && request.topics.length === 0);
    const requested = request.topics ?? [];

    // Topic ids in requests only work from v12 (Kafka refuses them in v10-11, where the field
    // already exists); a topic with neither name nor id means nothing at all.
    const malformed = requested.some((t) =>
      version < 12
        ? t.name === null || (t.topicId !== undefined && t.topicId !== ZERO_UUID)
        : t.name === null && (t.topicId === undefined || t.topicId === ZERO_UUID),
    );
    if (!allTopics && malformed) return errorResponse(request, ErrorCode.INVALID_REQUEST);

    const topics: MetadataResponseTopic[] = [];
    const includeOps = version >= 8 && request.includeTopicAuthorizedOperations === true;
    const describe = (t: TopicMetadata) => describeTopic(broker, t, version, includeOps);

    if (allTopics) {
      for (const t of broker.topics.topics()) topics.push(describe(t));
    } else {
      const ids = unique(requested.map((t) => t.topicId ?? ZERO_UUID)).filter(
        (id) => id !== ZERO_UUID,
      );
      if (ids.length > 0) {
        // As in Kafka, a request that names any topic by id is answered by id only.
        for (const id of ids) {
          const t = broker.topics.topicById(id);
          topics.push(t ? describe(t) : unknownTopic(null, id, ErrorCode.UNKNOWN_TOPIC_ID, false));
        }
      } else {
        const autoCreate =
          broker.config.bool('auto.create.topics.enable') &&
          (request.allowAutoTopicCreation ?? true);
        for (const name of unique(requested.map((t) => t.name!))) {
          const t = broker.topics.topic(name);
          if (t) topics.push(describe(t));
          else topics.push(await missingTopic(ctx, name, autoCreate));
        }
      }
    }

    if (includeOps) {
      for (const t of topics) t.topicAuthorizedOperations = TOPIC_AUTHORIZED_OPERATIONS;
    }
    const clusterOps =
      version >= 8 && version <= 10 && request.includeClusterAuthorizedOperations === true;
    return {
      throttleTimeMs: 0,
      brokers: liveBrokers(broker, ctx.listenerName).map((b) => ({
        nodeId: b.nodeId,
        host: b.host,
        port: b.port,
        rack: b.rack,
      })),
      clusterId: broker.clusterId,
      controllerId: broker.controllerId,
      topics,
      clusterAuthorizedOperations: clusterOps
        ? CLUSTER_AUTHORIZED_OPERATIONS
        : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});

function describeTopic(
  broker: Broker,
  topic: TopicMetadata,
  version: number,
  includeOps: boolean,
): MetadataResponseTopic {
  const live = new Set(broker.liveBrokerIds());
  const partitions = [...topic.partitions]
    .sort((a, b) => a.partition - b.partition)
    .map((p): MetadataResponsePartition => {
      const leaderAlive = live.has(p.leader);
      return {
        errorCode: leaderAlive ? 0 : ErrorCode.LEADER_NOT_AVAILABLE,
        partitionIndex: p.partition,
        leaderId: leaderAlive ? p.leader : -1,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: [...p.replicas],
        isrNodes: [...p.isr],
        offlineReplicas: p.replicas.filter((r) => !live.has(r)),
      };
    });
  return {
    errorCode: 0,
    name: topic.name,
    topicId: version >= 10 ? topic.topicId : ZERO_UUID,
    isInternal: INTERNAL_TOPICS.has(topic.name),
    partitions,
    topicAuthorizedOperations: includeOps
      ? TOPIC_AUTHORIZED_OPERATIONS
      : AUTHORIZED_OPERATIONS_OMITTED,
  };
}

/**
 * A topic that does not exist: created when allowed (and answered as "not there yet"), else
 * UNKNOWN_TOPIC_OR_PARTITION, or INVALID_TOPIC_EXCEPTION for a name Kafka would never accept.
 * Internal topics are left to their coordinators, which create them with their own settings.
 */
async function missingTopic(
  ctx: RequestContext,
  name: string,
  autoCreate: boolean,
): Promise<MetadataResponseTopic> {
  const isInternal = INTERNAL_TOPICS.has(name);
  try {
    validateTopicName(name);
  } catch {
    return unknownTopic(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION, isInternal);
  }
  if (!autoCreate || isInternal) {
    return unknownTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, isInternal);
  }
  const { broker } = ctx;
  try {
    await broker.topics.createTopic({
      name,
      numPartitions: broker.config.int('num.partitions'),
      replicationFactor: broker.config.int('default.replication.factor'),
      brokers: broker.liveBrokerIds(),
    });
    ctx.log.info(`auto-created topic '${name}' (client ${ctx.header.clientId})`);
  } catch (err) {
    // A concurrent creation is as good as ours; anything else (a replication factor larger
    // than the cluster, a name colliding with another) is what the client needs to hear.
    const { code, message } = apiError(err);
    if (code !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      ctx.log.warn(`cannot auto-create topic '${name}': ${message}`);
      return unknownTopic(name, ZERO_UUID, code, isInternal);
    }
  }
  return unknownTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, isInternal);
}

function unknownTopic(
  name: string | null,
  topicId: string,
  errorCode: number,
  isInternal: boolean,
): MetadataResponseTopic {
  return {
    errorCode,
    name,
    topicId,
    isInternal,
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

/** Kafka's answer to a request it refuses as a whole: the error on every topic asked for. */
function errorResponse(request: MetadataRequest, errorCode: number): MetadataResponse {
  return {
    throttleTimeMs: 0,
    brokers: [],
    clusterId: null,
    controllerId: -1,
    topics: (request.topics ?? []).map((t) =>
      unknownTopic(t.name ?? '', t.topicId ?? ZERO_UUID, errorCode, false),
    ),
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

// DeleteTopics v0-6: by name (v0-5 topicNames, v6 topics with a name) or by id (v6). Each
// topic is answered on its own, with the rules of Kafka's controller (duplicates, a name and an
// id together, neither). The replica manager follows the registry and removes the logs.
//
// Internal topics are refused. Kafka 3.9's broker would delete __consumer_offsets (only its
// kafka-topics tool refuses), which silently drops every committed offset; Samsa refuses it at
// the broker so no client can do that by listing and deleting "all" topics.
import { INTERNAL_TOPICS } from '../../cluster/topic-registry.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import {
  DeleteTopicsApi,
  type DeleteTopicsResponse,
  type DeleteTopicsResponseDeletableTopicResult,
} from '../../protocol/messages/delete-topics.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import { apiError, duplicates, expiredTimeout, logOutcomes } from '../admin-support.js';
import { defineHandler, type RequestContext } from '../handler.js';

type Result = DeleteTopicsResponseDeletableTopicResult;

export default defineHandler({
  api: DeleteTopicsApi,
  minVersion: 0,
  maxVersion: 6,
  async handle(request, ctx): Promise<DeleteTopicsResponse> {
    const version = ctx.header.apiVersion;
    const asked =
      version >= 6
        ? (request.topics ?? [])
        : (request.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }));

    // Refusals of the whole request carry just the error, like Kafka's error response.
    const refuse = (errorCode: number): DeleteTopicsResponse => ({
      throttleTimeMs: 0,
      responses: asked.map((t) => ({
        name: t.name,
        topicId: t.topicId,
        errorCode,
        errorMessage: null,
      })),
    });
    if (!ctx.broker.config.bool('delete.topic.enable')) {
      // TOPIC_DELETION_DISABLED came with v3; older clients get INVALID_REQUEST.
      return refuse(version >= 3 ? ErrorCode.TOPIC_DELETION_DISABLED : ErrorCode.INVALID_REQUEST);
    }
    if (expiredTimeout(request.timeoutMs)) return refuse(ErrorCode.REQUEST_TIMED_OUT);

    const byName = asked.filter((t) => t.name !== null && t.topicId === ZERO_UUID);
    const byId = asked.filter((t) => t.name === null && t.topicId !== ZERO_UUID);
    const dupNames = duplicates(byName.map((t) => t.name!));
    const dupIds = duplicates(byId.map((t) => t.topicId));
    // A topic given both by name and by id (in two entries) is deleted by neither, as in Kafka.
    const idsGiven = new Set(byId.map((t) => t.topicId));
    for (const t of byName) {
      const id = ctx.broker.topics.topic(t.name!)?.topicId;
      if (id !== undefined && idsGiven.has(id)) {
        dupNames.add(t.name!);
        dupIds.add(id);
      }
    }
    const answered = new Set<string>();
    const responses: Result[] = [];
    for (const t of asked) {
      const key = `${t.name}\0${t.topicId}`;
      if (answered.has(key)) continue;
      answered.add(key);
      if (t.name === null && t.topicId === ZERO_UUID) {
        responses.push(
          error(
            null,
            ZERO_UUID,
            ErrorCode.INVALID_REQUEST,
            'neither a topic name nor a topic id was given',
          ),
        );
      } else if (t.name !== null && t.topicId !== ZERO_UUID) {
        responses.push(
          error(
            t.name,
            t.topicId,
            ErrorCode.INVALID_REQUEST,
            'give a topic name or a topic id, not both',
          ),
        );
      } else if (t.name !== null && dupNames.has(t.name)) {
        responses.push(
          error(
            t.name,
            ZERO_UUID,
            ErrorCode.INVALID_REQUEST,
            'the topic is named more than once, or also given by its id',
          ),
        );
      } else if (t.name === null && dupIds.has(t.topicId)) {
        responses.push(
          error(
            null,
            t.topicId,
            ErrorCode.INVALID_REQUEST,
            'the topic id is given more than once, or the topic also by name',
          ),
        );
      } else {
        responses.push(await deleteTopic(t.name, t.topicId, ctx));
      }
    }
    logOutcomes(
      ctx.log,
      'DeleteTopics',
      ctx.header.clientId,
      responses.map((r) => ({
        name: r.name ?? r.topicId ?? null,
        code: r.errorCode,
        message: r.errorMessage ?? null,
      })),
    );
    return { throttleTimeMs: 0, responses };
  },
});

async function deleteTopic(
  name: string | null,
  topicId: string,
  ctx: RequestContext,
): Promise<Result> {
  const { topics } = ctx.broker;
  const topic = name !== null ? topics.topic(name) : topics.topicById(topicId);
  if (!topic) {
    return name !== null
      ? error(
          name,
          ZERO_UUID,
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `topic '${name}' does not exist`,
        )
      : error(null, topicId, ErrorCode.UNKNOWN_TOPIC_ID, `no topic has id ${topicId}`);
  }
  try {
    if (INTERNAL_TOPICS.has(topic.name)) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `${topic.name} is an internal topic and cannot be deleted`,
      );
    }
    await topics.deleteTopic(topic.name);
    return { name: topic.name, topicId: topic.topicId, errorCode: 0, errorMessage: null };
  } catch (err) {
    const { code, message } = apiError(err);
    return error(topic.name, topic.topicId, code, message);
  }
}

function error(
  name: string | null,
  topicId: string,
  errorCode: number,
  errorMessage: string | null,
): Result {
  return { name, topicId, errorCode, errorMessage };
}

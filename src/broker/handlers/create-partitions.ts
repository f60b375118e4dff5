// CreatePartitions v0-3: grows topics to a new partition count (never shrinks them), with
// replicas placed by the broker or given per new partition. validateOnly checks without
// changing anything. The replica manager follows the registry and opens the new logs.
import { ErrorCode } from '../../protocol/errors.js';
import {
  CreatePartitionsApi,
  type CreatePartitionsRequestCreatePartitionsTopic,
  type CreatePartitionsResponse,
  type CreatePartitionsResponseCreatePartitionsTopicResult,
} from '../../protocol/messages/create-partitions.js';
import { apiError, duplicates, expiredTimeout, logOutcomes } from '../admin-support.js';
import { defineHandler, type RequestContext } from '../handler.js';

type Result = CreatePartitionsResponseCreatePartitionsTopicResult;

export default defineHandler({
  api: CreatePartitionsApi,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx): Promise<CreatePartitionsResponse> {
    const duplicated = duplicates(request.topics.map((t) => t.name));
    const answered = new Set<string>();
    const results: Result[] = [];
    for (const topic of request.topics) {
      if (answered.has(topic.name)) continue;
      answered.add(topic.name);
      if (expiredTimeout(request.timeoutMs)) {
        results.push({
          name: topic.name,
          errorCode: ErrorCode.REQUEST_TIMED_OUT,
          errorMessage: null,
        });
      } else if (duplicated.has(topic.name)) {
        results.push({
          name: topic.name,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: 'the topic is named more than once',
        });
      } else {
        results.push(await grow(topic, request.validateOnly, ctx));
      }
    }
    logOutcomes(
      ctx.log,
      request.validateOnly ? 'CreatePartitions (validate only)' : 'CreatePartitions',
      ctx.header.clientId,
      results.map((r) => ({ name: r.name, code: r.errorCode, message: r.errorMessage })),
    );
    return { throttleTimeMs: 0, results };
  },
});

async function grow(
  topic: CreatePartitionsRequestCreatePartitionsTopic,
  validateOnly: boolean,
  ctx: RequestContext,
): Promise<Result> {
  const { broker } = ctx;
  try {
    await broker.topics.createPartitions(
      topic.name,
      topic.count,
      broker.liveBrokerIds(),
      validateOnly,
      topic.assignments?.map((a) => a.brokerIds),
    );
    return { name: topic.name, errorCode: 0, errorMessage: null };
  } catch (err) {
    const { code, message } = apiError(err);
    return { name: topic.name, errorCode: code, errorMessage: message };
  }
}

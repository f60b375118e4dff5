// DescribeConfigs v0-4: the settings of topics (every topic setting, with where its value comes
// from) and of this broker (resource name = its node id; '' is the cluster-wide dynamic
// default, which Samsa never has). Synonyms from v1 when asked, type and documentation from v3.
// configurationKeys narrows the answer; null or empty means every setting.
import { validateTopicName } from '../../cluster/topic-registry.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import {
  DescribeConfigsApi,
  type DescribeConfigsRequest,
  type DescribeConfigsRequestDescribeConfigsResource,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResult,
} from '../../protocol/messages/describe-configs.js';
import {
  apiError,
  ConfigResourceType,
  checkBrokerResourceName,
  resourceTypeName,
} from '../admin-support.js';
import type { Broker } from '../broker.js';
import {
  ConfigSource,
  type DescribedConfig,
  describeBrokerConfigs,
  describeTopicConfigs,
} from '../config-describer.js';
import { defineHandler } from '../handler.js';

type Result = DescribeConfigsResponseDescribeConfigsResult;

export default defineHandler({
  api: DescribeConfigsApi,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx): DescribeConfigsResponse {
    // A resource type Kafka does not know makes it refuse the whole request.
    const unknownType = request.resources.find((r) => !resourceTypeName(r.resourceType));
    if (unknownType) {
      const errorMessage = `unknown config resource type ${unknownType.resourceType}`;
      return {
        throttleTimeMs: 0,
        results: request.resources.map((r) => ({
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: [],
        })),
      };
    }
    return {
      throttleTimeMs: 0,
      results: request.resources.map((r) => describe(ctx.broker, r, request)),
    };
  },
});

function describe(
  broker: Broker,
  resource: DescribeConfigsRequestDescribeConfigsResource,
  request: DescribeConfigsRequest,
): Result {
  const { resourceType, resourceName } = resource;
  try {
    let entries: DescribedConfig[];
    if (resourceType === ConfigResourceType.TOPIC) {
      validateTopicName(resourceName);
      const topic = broker.topics.topic(resourceName);
      if (!topic) {
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `topic '${resourceName}' does not exist`,
        );
      }
      entries = describeTopicConfigs(broker.config, topic.configs);
    } else if (resourceType === ConfigResourceType.BROKER) {
      entries = describeBrokerConfigs(
        broker.config,
        checkBrokerResourceName(resourceName, broker.nodeId),
      );
    } else {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `Samsa has no ${resourceTypeName(resourceType)} configs to describe`,
      );
    }
    const keys = resource.configurationKeys;
    if (keys && keys.length > 0) entries = entries.filter((e) => keys.includes(e.name));
    const synonyms = request.includeSynonyms === true;
    const documentation = request.includeDocumentation === true;
    return {
      errorCode: 0,
      errorMessage: null,
      resourceType,
      resourceName,
      configs: entries.map((e) => ({
        name: e.name,
        value: e.isSensitive ? null : e.value,
        readOnly: e.readOnly,
        // v0 only says whether the value is the built-in default.
        isDefault: e.source === ConfigSource.DEFAULT_CONFIG,
        configSource: e.source,
        isSensitive: e.isSensitive,
        synonyms: synonyms ? e.synonyms.map((s) => ({ ...s })) : [],
        configType: e.type,
        documentation: documentation ? e.documentation : null,
      })),
    };
  } catch (err) {
    const { code, message } = apiError(err);
    return { errorCode: code, errorMessage: message, resourceType, resourceName, configs: [] };
  }
}

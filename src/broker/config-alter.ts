// What AlterConfigs and IncrementalAlterConfigs share: the checks of a config resource and the
// write of a topic's new overrides. The registry stores them; the replica manager follows the
// registry and hands the new settings to the topic's logs at once.
//
// Broker settings are all static in Samsa (given at start-up), so changing one is refused with
// INVALID_REQUEST, the error Kafka gives for its own static settings.
import { validateTopicName } from '../cluster/topic-registry.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { logConfigToProps } from '../storage/log-config.js';
import {
  type ApiError,
  apiError,
  ConfigResourceType,
  checkBrokerResourceName,
  duplicates,
  logOutcomes,
  resourceTypeName,
} from './admin-support.js';
import type { Broker } from './broker.js';
import { ConfigType, describeTopicConfigs } from './config-describer.js';
import type { RequestContext } from './handler.js';
import type { Logger } from './logger.js';
import { brokerDefaultLogConfig, topicLogConfig, validateTopicConfigs } from './topic-config.js';

export interface ConfigResourceChange {
  resourceType: number;
  resourceName: string;
  /** The setting names the request touches, for duplicate and broker checks. */
  names: string[];
  /** The topic's new overrides from its current ones; throws KafkaError to refuse. */
  apply(current: Readonly<Record<string, string>>, broker: Broker): Record<string, string>;
}

/** Changes each resource on its own; the answers are in request order (and logged). */
export async function alterConfigResources(
  what: string,
  changes: ConfigResourceChange[],
  validateOnly: boolean,
  ctx: RequestContext,
): Promise<ApiError[]> {
  const { broker, log } = ctx;
  const keyOf = (c: ConfigResourceChange) => `${c.resourceType}\0${c.resourceName}`;
  const duplicated = duplicates(changes.map(keyOf));
  const out: ApiError[] = [];
  for (const change of changes) {
    try {
      if (duplicated.has(keyOf(change))) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'each resource may appear only once');
      }
      if (duplicates(change.names).size > 0) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          `a setting appears more than once: ${[...duplicates(change.names)].join(', ')}`,
        );
      }
      await alterOne(broker, change, validateOnly, log);
      out.push({ code: 0, message: null });
    } catch (err) {
      out.push(apiError(err));
    }
  }
  logOutcomes(
    log,
    validateOnly ? `${what} (validate only)` : what,
    ctx.header.clientId,
    changes.map((c, i) => ({
      name: `${resourceTypeName(c.resourceType) ?? c.resourceType} ${c.resourceName}`,
      ...out[i]!,
    })),
  );
  return out;
}

async function alterOne(
  broker: Broker,
  change: ConfigResourceChange,
  validateOnly: boolean,
  log: Logger,
): Promise<void> {
  const { resourceType, resourceName } = change;
  switch (resourceType) {
    case ConfigResourceType.TOPIC: {
      validateTopicName(resourceName);
      const topic = broker.topics.topic(resourceName);
      if (!topic) {
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `topic '${resourceName}' does not exist`,
        );
      }
      const next = change.apply(topic.configs, broker);
      validateTopicConfigs(next);
      if (validateOnly) return;
      await broker.topics.setConfigs(resourceName, next);
      log.info(`topic '${resourceName}' settings are now ${JSON.stringify(next)}`);
      return;
    }
    case ConfigResourceType.BROKER: {
      checkBrokerResourceName(resourceName, broker.nodeId);
      if (change.names.length === 0) return;
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `Samsa cannot change broker settings while running (${change.names.join(', ')}): set them in server.properties, as SAMSA_* environment variables or with --override, and restart`,
      );
    }
    default: {
      const type = resourceTypeName(resourceType);
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        type
          ? `Samsa has no ${type} configs to alter`
          : `unknown config resource type ${resourceType}`,
      );
    }
  }
}

/** Topic settings whose values are comma-separated lists (APPEND and SUBTRACT apply). */
export function isListTopicSetting(broker: Broker, name: string): boolean {
  return describeTopicConfigs(broker.config, {}).some(
    (c) => c.name === name && c.type === ConfigType.LIST,
  );
}

/** The value a topic setting has now: its override, else the broker's default for it. */
export function currentTopicValue(
  broker: Broker,
  overrides: Readonly<Record<string, string>>,
  name: string,
): string | undefined {
  if (Object.hasOwn(overrides, name)) return overrides[name];
  return logConfigToProps(topicLogConfig(brokerDefaultLogConfig(broker.config), {}))[name];
}

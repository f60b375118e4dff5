// IncrementalAlterConfigs v0-1: SET or DELETE one topic setting, APPEND to or SUBTRACT from a
// list setting (cleanup.policy, the throttled-replica lists), leaving the others as they are.
// APPEND and SUBTRACT start from the setting's current value, the broker default when the topic
// has no override (so appending compact to a default cleanup.policy gives delete,compact).
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import {
  IncrementalAlterConfigsApi,
  type IncrementalAlterConfigsRequestAlterableConfig,
  type IncrementalAlterConfigsResponse,
} from '../../protocol/messages/incremental-alter-configs.js';
import type { Broker } from '../broker.js';
import { alterConfigResources, currentTopicValue, isListTopicSetting } from '../config-alter.js';
import { defineHandler } from '../handler.js';

const SET = 0;
const DELETE = 1;
const APPEND = 2;

const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];

export default defineHandler({
  api: IncrementalAlterConfigsApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx): Promise<IncrementalAlterConfigsResponse> {
    const outcomes = await alterConfigResources(
      'IncrementalAlterConfigs',
      request.resources.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        names: r.configs.map((c) => c.name),
        apply: (current, broker) => applyOperations(current, r.configs, broker),
      })),
      request.validateOnly,
      ctx,
    );
    return {
      throttleTimeMs: 0,
      responses: request.resources.map((r, i) => ({
        errorCode: outcomes[i]!.code,
        errorMessage: outcomes[i]!.message,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
      })),
    };
  },
});

function applyOperations(
  current: Readonly<Record<string, string>>,
  operations: IncrementalAlterConfigsRequestAlterableConfig[],
  broker: Broker,
): Record<string, string> {
  const next: Record<string, string> = { ...current };
  for (const { name, configOperation, value } of operations) {
    const op = OP_NAMES[configOperation];
    if (op === undefined) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `unknown config operation ${configOperation} for ${name}`,
      );
    }
    if (configOperation === DELETE) {
      delete next[name];
      continue;
    }
    if (configOperation !== SET && !isListTopicSetting(broker, name)) {
      throw new KafkaError(
        ErrorCode.INVALID_CONFIG,
        `cannot ${op} to ${name}: it is not a list setting`,
      );
    }
    if (value === null) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `${op} of ${name} needs a value, not null`);
    }
    if (configOperation === SET) {
      next[name] = value;
      continue;
    }
    const items = splitList(currentTopicValue(broker, next, name));
    const given = splitList(value);
    next[name] = (
      configOperation === APPEND
        ? [...items, ...given.filter((v, i) => !items.includes(v) && given.indexOf(v) === i)]
        : items.filter((v) => !given.includes(v))
    ).join(',');
  }
  return next;
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

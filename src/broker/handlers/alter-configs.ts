// AlterConfigs v0-2 (the legacy form): a topic's overrides are replaced wholesale by the ones in
// the request (settings left out go back to their defaults). Null values are refused, as Kafka
// does; IncrementalAlterConfigs is the way to remove one setting.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import {
  AlterConfigsApi,
  type AlterConfigsResponse,
} from '../../protocol/messages/alter-configs.js';
import { alterConfigResources } from '../config-alter.js';
import { defineHandler } from '../handler.js';

export default defineHandler({
  api: AlterConfigsApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx): Promise<AlterConfigsResponse> {
    const outcomes = await alterConfigResources(
      'AlterConfigs',
      request.resources.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        names: r.configs.map((c) => c.name),
        apply() {
          const nulls = r.configs.filter((c) => c.value === null).map((c) => c.name);
          if (nulls.length > 0) {
            throw new KafkaError(
              ErrorCode.INVALID_REQUEST,
              `null values are not allowed: ${nulls.join(', ')}`,
            );
          }
          return Object.fromEntries(r.configs.map((c) => [c.name, c.value!]));
        },
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

// ApiVersions: the versions advertised are computed from the handler files that exist
// (invariant 7), never written by hand.
import { ApiVersionsApi, type ApiVersionsResponse } from '../../protocol/messages/api-versions.js';
import type { Broker } from '../broker.js';
import { defineHandler } from '../handler.js';

const UNSUPPORTED_VERSION = 35;

function apiKeys(broker: Broker): ApiVersionsResponse['apiKeys'] {
  return broker.router
    .handlers()
    .map((h) => ({ apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
}

/** The v0 answer to an ApiVersions request of a version this broker does not speak. */
export function unsupportedApiVersionsResponse(broker: Broker): ApiVersionsResponse {
  return { errorCode: UNSUPPORTED_VERSION, apiKeys: apiKeys(broker), throttleTimeMs: 0 };
}

export default defineHandler({
  api: ApiVersionsApi,
  minVersion: 0,
  maxVersion: 4,
  handle(_request, ctx): ApiVersionsResponse {
    return {
      errorCode: 0,
      apiKeys: apiKeys(ctx.broker),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
  },
});

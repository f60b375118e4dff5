// FindCoordinator: which broker coordinates a group (key type 0). v4+ batches keys. The first
// group lookup creates __consumer_offsets, answering COORDINATOR_NOT_AVAILABLE until it exists,
// as Kafka does. Transaction coordinators (key type 1) are not served yet.
import { ErrorCode } from '../../protocol/errors.js';
import {
  FindCoordinatorApi,
  type FindCoordinatorResponse,
} from '../../protocol/messages/find-coordinator.js';
import { liveBrokers } from '../admin-support.js';
import type { Broker } from '../broker.js';
import { defineHandler } from '../handler.js';

const GROUP = 0;
const TRANSACTION = 1;

// Kafka's default messages for the errors v1-3 carry in errorMessage.
const MESSAGES: Record<number, string> = {
  [ErrorCode.NONE]: 'NONE',
  [ErrorCode.COORDINATOR_NOT_AVAILABLE]: 'The coordinator is not available.',
  [ErrorCode.INVALID_REQUEST]:
    'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.',
};

interface Lookup {
  errorCode: number;
  nodeId: number;
  host: string;
  port: number;
}

function lookup(broker: Broker, listenerName: string, keyType: number, key: string): Lookup {
  const none = (errorCode: number): Lookup => ({ errorCode, nodeId: -1, host: '', port: -1 });
  if (keyType === TRANSACTION) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (keyType !== GROUP) return none(ErrorCode.INVALID_REQUEST);
  const found = broker.groupCoordinator.findGroupCoordinator(key);
  if (found.errorCode !== 0) return none(found.errorCode);
  // The leader of the group's partition, as Metadata shows it; not live: not available.
  const endpoint = liveBrokers(broker, listenerName).find((b) => b.nodeId === found.nodeId);
  if (!endpoint) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  return { errorCode: 0, nodeId: found.nodeId, host: endpoint.host, port: endpoint.port };
}

export default defineHandler({
  api: FindCoordinatorApi,
  minVersion: 0,
  maxVersion: 6,
  handle(request, ctx): FindCoordinatorResponse {
    const version = ctx.header.apiVersion;
    const keyType = request.keyType ?? GROUP;
    if (version >= 4) {
      return {
        throttleTimeMs: 0,
        coordinators: (request.coordinatorKeys ?? []).map((key) => {
          const r = lookup(ctx.broker, ctx.listenerName, keyType, key);
          return {
            key,
            ...r,
            errorMessage: r.errorCode === 0 ? null : (MESSAGES[r.errorCode] ?? null),
          };
        }),
      };
    }
    const r = lookup(ctx.broker, ctx.listenerName, keyType, request.key ?? '');
    return { throttleTimeMs: 0, ...r, errorMessage: MESSAGES[r.errorCode] ?? null };
  },
});

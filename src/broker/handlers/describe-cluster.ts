// DescribeCluster v0-1 (the Java admin's describeCluster): brokers, controller and cluster id.
// v1 lets a client say which kind of endpoint it meant to reach; Samsa brokers are BROKER
// endpoints only (the controller runs inside them), so CONTROLLER is a mismatch, as on Kafka.
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeClusterApi,
  type DescribeClusterResponse,
} from '../../protocol/messages/describe-cluster.js';
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  CLUSTER_AUTHORIZED_OPERATIONS,
  liveBrokers,
} from '../admin-support.js';
import { defineHandler } from '../handler.js';

const BROKER_ENDPOINT = 1;
const CONTROLLER_ENDPOINT = 2;

export default defineHandler({
  api: DescribeClusterApi,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx): DescribeClusterResponse {
    const version = ctx.header.apiVersion;
    const endpointType = request.endpointType ?? BROKER_ENDPOINT;
    if (endpointType !== BROKER_ENDPOINT) {
      const known = endpointType === CONTROLLER_ENDPOINT;
      return {
        throttleTimeMs: 0,
        // v0 clients only know INVALID_REQUEST.
        errorCode:
          version === 0
            ? ErrorCode.INVALID_REQUEST
            : known
              ? ErrorCode.MISMATCHED_ENDPOINT_TYPE
              : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: known
          ? 'this is a broker endpoint; Samsa has no separate controller endpoints'
          : `unknown endpoint type ${endpointType}`,
        endpointType: BROKER_ENDPOINT,
        clusterId: '',
        controllerId: -1,
        brokers: [],
        clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      };
    }
    const { broker } = ctx;
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: BROKER_ENDPOINT,
      clusterId: broker.clusterId,
      controllerId: broker.controllerId,
      brokers: liveBrokers(broker, ctx.listenerName).map((b) => ({
        brokerId: b.nodeId,
        host: b.host,
        port: b.port,
        rack: b.rack,
      })),
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
        ? CLUSTER_AUTHORIZED_OPERATIONS
        : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});

// The etcd3 client as the store wants it: no circuit breakers or hidden retries (the store
// decides what to retry), and gRPC settings that notice a dead connection and reconnect fast.
import { Etcd3, type IOptions } from 'etcd3';
import type { EtcdSecurity } from './metadata-store.js';

type FaultHandling = NonNullable<IOptions['faultHandling']>;
type Policy = NonNullable<FaultHandling['global']>;

/**
 * A policy that just runs the call. The library's defaults put a circuit breaker on each
 * endpoint that refuses all calls for 5 s after three failures: after a short etcd blip that
 * would also block lease keep-alives long enough to lose every lease. Retries are done here.
 */
function passThrough(): Policy {
  const none = () => ({ dispose() {} });
  return {
    onSuccess: none,
    onFailure: none,
    execute: async (fn: (context: { signal: AbortSignal }) => unknown, signal?: AbortSignal) =>
      fn({ signal: signal ?? new AbortController().signal }),
  } as unknown as Policy;
}

/** The end of etcd's key range holding every key that starts with `start`. */
export function prefixEnd(start: Buffer): Buffer {
  const end = Buffer.from(start);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

export function createEtcdClient(endpoints: string[], extra: Partial<IOptions> = {}): Etcd3 {
  return new Etcd3({
    ...extra,
    hosts: endpoints,
    faultHandling: { host: () => passThrough(), global: passThrough() },
    grpcOptions: {
      // Notice a silently dead connection (a partition, a frozen etcd) within seconds; etcd
      // answers pings more often than every 5 s with GOAWAY, so no shorter than that.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
      ...extra.grpcOptions,
    },
  });
}

/** The etcd3 client options for TLS and etcd users. */
export function securityOptions(security: EtcdSecurity): Partial<IOptions> {
  const out: Partial<IOptions> = {};
  const { tls, auth } = security;
  if (tls && (tls.ca || tls.cert)) {
    out.credentials = {
      // gRPC takes null for "the system's CAs".
      rootCertificate: tls.ca ?? (null as unknown as Buffer),
      privateKey: tls.key,
      certChain: tls.cert,
    };
  }
  if (auth) out.auth = { username: auth.username, password: auth.password };
  return out;
}

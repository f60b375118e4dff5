// The versions of each API this client implements, and the choice made against a broker's
// ApiVersions answer: the highest version both sides support. Lower bounds are where the
// client's request shape starts to make sense (record batch v2 needs Produce 3 / Fetch 4,
// auto-creation flags need Metadata 4), not the lowest the codecs could write.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { ApiVersionsResponseApiVersion } from '../protocol/messages/api-versions.js';
import { ApiKey, apiCodec } from '../protocol/messages/index.js';

export interface VersionRange {
  min: number;
  max: number;
}

export const CLIENT_VERSIONS: ReadonlyMap<number, VersionRange> = new Map([
  [ApiKey.Produce, { min: 3, max: 11 }],
  [ApiKey.Fetch, { min: 4, max: 17 }],
  [ApiKey.ListOffsets, { min: 1, max: 10 }],
  [ApiKey.Metadata, { min: 4, max: 12 }],
  [ApiKey.OffsetCommit, { min: 2, max: 9 }],
  [ApiKey.OffsetFetch, { min: 1, max: 9 }],
  [ApiKey.FindCoordinator, { min: 0, max: 6 }],
  [ApiKey.JoinGroup, { min: 0, max: 9 }],
  [ApiKey.Heartbeat, { min: 0, max: 4 }],
  [ApiKey.LeaveGroup, { min: 0, max: 5 }],
  [ApiKey.SyncGroup, { min: 0, max: 5 }],
  [ApiKey.DescribeGroups, { min: 0, max: 5 }],
  [ApiKey.ListGroups, { min: 0, max: 5 }],
  [ApiKey.SaslHandshake, { min: 0, max: 1 }],
  [ApiKey.ApiVersions, { min: 0, max: 4 }],
  [ApiKey.CreateTopics, { min: 2, max: 7 }],
  [ApiKey.DeleteTopics, { min: 1, max: 6 }],
  [ApiKey.DeleteRecords, { min: 0, max: 2 }],
  [ApiKey.InitProducerId, { min: 0, max: 5 }],
  [ApiKey.DescribeConfigs, { min: 1, max: 4 }],
  [ApiKey.SaslAuthenticate, { min: 0, max: 2 }],
  [ApiKey.CreatePartitions, { min: 0, max: 3 }],
  [ApiKey.DeleteGroups, { min: 0, max: 2 }],
  [ApiKey.IncrementalAlterConfigs, { min: 0, max: 1 }],
  [ApiKey.DescribeCluster, { min: 0, max: 1 }],
  [ApiKey.ElectLeaders, { min: 1, max: 2 }],
  [ApiKey.AlterPartitionReassignments, { min: 0, max: 0 }],
  [ApiKey.ListPartitionReassignments, { min: 0, max: 0 }],
]);

/** Broker ranges by API key, as the broker advertised them. */
export type BrokerVersions = ReadonlyMap<number, VersionRange>;

/** The ranges of an ApiVersions answer, by API key. */
export function brokerVersionsFrom(
  apiKeys: readonly ApiVersionsResponseApiVersion[],
): BrokerVersions {
  const out = new Map<number, VersionRange>();
  for (const k of apiKeys) out.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  return out;
}

/**
 * The version to speak for `apiKey`, or an UNSUPPORTED_VERSION error naming both ranges when
 * the broker and this client have none in common.
 */
export function pickVersion(apiKey: number, broker: BrokerVersions, where: string): number {
  const ours = CLIENT_VERSIONS.get(apiKey);
  const name = apiCodec(apiKey)?.name ?? `API ${apiKey}`;
  if (ours === undefined) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `the client does not implement ${name}`);
  }
  const theirs = broker.get(apiKey);
  if (theirs === undefined) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_VERSION,
      `broker ${where} does not support ${name} (it is missing from its ApiVersions answer)`,
    );
  }
  const version = Math.min(ours.max, theirs.max);
  if (version < Math.max(ours.min, theirs.min)) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_VERSION,
      `broker ${where} supports ${name} v${theirs.min}-${theirs.max}, this client v${ours.min}-${ours.max}`,
    );
  }
  return version;
}

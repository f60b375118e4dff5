// The group coordinator's settings, by Kafka's names. The broker's config module knows only some
// of them (offsets.topic.*, group.initial.rebalance.delay.ms); the others are read from the
// settings it passes through unknown, with Kafka's defaults, so an operator can set any of them.

export interface GroupCoordinatorConfig {
  /** Partitions of __consumer_offsets; groups map to one by Kafka's hash. */
  offsetsTopicNumPartitions: number;
  offsetsTopicReplicationFactor: number;
  offsetsTopicSegmentBytes: number;
  /** How long a write to __consumer_offsets may wait for the ISR before the client is told to retry. */
  offsetsCommitTimeoutMs: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  offsetMetadataMaxBytes: number;
  groupInitialRebalanceDelayMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  groupMaxSize: number;
  /** How long a JoinGroup of a brand-new member may wait (Kafka's fixed 5 minutes). */
  classicNewMemberJoinTimeoutMs: number;
  consumerSessionTimeoutMs: number;
  consumerHeartbeatIntervalMs: number;
  consumerMaxSize: number;
  /** Server-side assignors, the first one being the default. */
  consumerAssignors: string[];
  /** Which group protocols are served: 'classic' and/or 'consumer'. */
  rebalanceProtocols: string[];
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicNumPartitions: 50,
  offsetsTopicReplicationFactor: 3,
  offsetsTopicSegmentBytes: 100 * 1024 * 1024,
  offsetsCommitTimeoutMs: 5000,
  offsetsRetentionMs: 7 * 24 * 60 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  groupInitialRebalanceDelayMs: 3000,
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupMaxSize: 2 ** 31 - 1,
  classicNewMemberJoinTimeoutMs: 5 * 60_000,
  consumerSessionTimeoutMs: 45_000,
  consumerHeartbeatIntervalMs: 5000,
  consumerMaxSize: 2 ** 31 - 1,
  consumerAssignors: ['uniform', 'range'],
  rebalanceProtocols: ['classic', 'consumer'],
};

/** What the broker's config offers; structural, so this room does not import broker/. */
export interface ConfigSource {
  raw(name: string): string | null;
  readonly unknown?: ReadonlyMap<string, string>;
}

/** Reads the coordinator's settings, falling back to Kafka's defaults; bad numbers are refused. */
export function groupCoordinatorConfig(source: ConfigSource): GroupCoordinatorConfig {
  const get = (name: string): string | null =>
    source.raw(name) ?? source.unknown?.get(name) ?? null;
  const num = (name: string, fallback: number, min = 0): number => {
    const v = get(name);
    if (v === null || v.trim() === '') return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) {
      throw new RangeError(`Invalid value '${v}' for setting ${name}: expected a number >= ${min}`);
    }
    return n;
  };
  const list = (name: string, fallback: string[]): string[] => {
    const v = get(name);
    if (v === null) return fallback;
    return v
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '');
  };
  const d = DEFAULT_GROUP_COORDINATOR_CONFIG;
  const retentionMinutes = num('offsets.retention.minutes', d.offsetsRetentionMs / 60_000, 1);
  return {
    offsetsTopicNumPartitions: num('offsets.topic.num.partitions', d.offsetsTopicNumPartitions, 1),
    offsetsTopicReplicationFactor: num(
      'offsets.topic.replication.factor',
      d.offsetsTopicReplicationFactor,
      1,
    ),
    offsetsTopicSegmentBytes: num('offsets.topic.segment.bytes', d.offsetsTopicSegmentBytes, 1),
    offsetsCommitTimeoutMs: num('offsets.commit.timeout.ms', d.offsetsCommitTimeoutMs, 1),
    offsetsRetentionMs: retentionMinutes * 60_000,
    offsetsRetentionCheckIntervalMs: num(
      'offsets.retention.check.interval.ms',
      d.offsetsRetentionCheckIntervalMs,
      1,
    ),
    offsetMetadataMaxBytes: num('offset.metadata.max.bytes', d.offsetMetadataMaxBytes),
    groupInitialRebalanceDelayMs: num(
      'group.initial.rebalance.delay.ms',
      d.groupInitialRebalanceDelayMs,
    ),
    groupMinSessionTimeoutMs: num('group.min.session.timeout.ms', d.groupMinSessionTimeoutMs),
    groupMaxSessionTimeoutMs: num('group.max.session.timeout.ms', d.groupMaxSessionTimeoutMs),
    groupMaxSize: num('group.max.size', d.groupMaxSize, 1),
    classicNewMemberJoinTimeoutMs: d.classicNewMemberJoinTimeoutMs,
    consumerSessionTimeoutMs: num(
      'group.consumer.session.timeout.ms',
      d.consumerSessionTimeoutMs,
      1,
    ),
    consumerHeartbeatIntervalMs: num(
      'group.consumer.heartbeat.interval.ms',
      d.consumerHeartbeatIntervalMs,
      1,
    ),
    consumerMaxSize: num('group.consumer.max.size', d.consumerMaxSize, 1),
    consumerAssignors: list('group.consumer.assignors', d.consumerAssignors),
    rebalanceProtocols: list('group.coordinator.rebalance.protocols', d.rebalanceProtocols),
  };
}

// One line on each topic setting, for DescribeConfigs (includeDocumentation) and
// docs/configuration.md. storage/log-config.ts owns the settings themselves; a test checks that
// every one of them is described here and that nothing else is.

export const TOPIC_CONFIG_DOCS: Readonly<Record<string, string>> = {
  'cleanup.policy':
    "How old segments are removed: 'delete' by age or size, 'compact' keeps the latest record per key, or both.",
  'compression.gzip.level':
    'Level used when the broker itself compresses with gzip (-1: codec default).',
  'compression.lz4.level':
    'Level used when the broker itself compresses with lz4. Accepted; not used yet.',
  'compression.type':
    "Codec batches are stored with; 'producer' keeps whatever the producer sent. Accepted; Samsa stores batches as sent for now.",
  'compression.zstd.level': 'Level used when the broker itself compresses with zstd.',
  'delete.retention.ms':
    'How long a compacted topic keeps tombstones (null values) so consumers can see the deletion.',
  'file.delete.delay.ms': 'Delay between taking a segment out of the log and deleting its files.',
  'flush.messages':
    'Fsync a partition after this many records; the default leaves flushing to the OS (and replication).',
  'flush.ms':
    'Fsync a partition when its oldest unflushed write is this old; the default never forces it.',
  'follower.replication.throttled.replicas':
    'Replicas whose follower fetches are throttled (partition:broker list, or *). Accepted, not enforced.',
  'index.interval.bytes': 'Bytes of records between two entries of the sparse offset index.',
  'leader.replication.throttled.replicas':
    'Replicas whose leader-side replication is throttled (partition:broker list, or *). Accepted, not enforced.',
  'max.compaction.lag.ms': 'Longest time a record may stay uncompacted in a compacted topic.',
  'max.message.bytes': 'Largest record batch (after compression) a producer may append.',
  'message.timestamp.after.max.ms':
    'How far in the future a CreateTime timestamp may be before the batch is refused.',
  'message.timestamp.before.max.ms':
    'How far in the past a CreateTime timestamp may be before the batch is refused.',
  'message.timestamp.type':
    "Which timestamp records carry: the producer's 'CreateTime' or the broker's 'LogAppendTime'.",
  'min.cleanable.dirty.ratio':
    'Share of a compacted log that must be uncompacted before the cleaner works on it.',
  'min.compaction.lag.ms': 'Shortest time a record stays uncompacted in a compacted topic.',
  'min.insync.replicas':
    'In-sync replicas an acks=all produce needs, or it fails with NOT_ENOUGH_REPLICAS.',
  preallocate: 'Create segment files at full size up front. Accepted; not used yet.',
  'retention.bytes':
    'Largest size of a partition before its oldest segments are deleted (-1: no limit).',
  'retention.ms': 'How long records are kept before their segment is deleted (-1: forever).',
  'segment.bytes': 'Size at which the active segment is closed and a new one started.',
  'segment.index.bytes': 'Size of the offset and time index files of a segment.',
  'segment.jitter.ms':
    'Random amount subtracted from segment.ms so segments do not all roll at once.',
  'segment.ms':
    'Age at which the active segment is closed and a new one started, even if not full.',
  'unclean.leader.election.enable':
    'Allow a replica outside the ISR to become leader, at the cost of losing records. Accepted; not used yet.',
};

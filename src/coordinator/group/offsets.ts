// Committed offsets of the groups of one __consumer_offsets partition: group -> topic ->
// partition. Changed only by replaying OffsetCommit records (a null value deletes).

export interface OffsetAndMetadata {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Only for commits of OffsetCommit v2-4 that named a retention time. */
  expireTimestamp: number | undefined;
}

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>();

  get(group: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition);
  }

  put(group: string, topic: string, partition: number, value: OffsetAndMetadata): void {
    let topics = this.byGroup.get(group);
    if (!topics) this.byGroup.set(group, (topics = new Map()));
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, value);
  }

  delete(group: string, topic: string, partition: number): void {
    const topics = this.byGroup.get(group);
    const partitions = topics?.get(topic);
    if (!topics || !partitions) return;
    partitions.delete(partition);
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.byGroup.delete(group);
  }

  /** The group's offsets by topic, or undefined when it has none. */
  ofGroup(group: string): ReadonlyMap<string, ReadonlyMap<number, OffsetAndMetadata>> | undefined {
    return this.byGroup.get(group);
  }

  hasOffsets(group: string): boolean {
    return this.byGroup.has(group);
  }

  groupIds(): string[] {
    return [...this.byGroup.keys()];
  }

  /** Every (group, partition) of a topic, for dropping the offsets of a deleted topic. */
  *partitionsOfTopic(topic: string): Generator<{ group: string; partition: number }> {
    for (const [group, topics] of this.byGroup) {
      const partitions = topics.get(topic);
      if (partitions) for (const partition of partitions.keys()) yield { group, partition };
    }
  }
}

// The topics of the cluster as this broker knows them: names, ids, partition assignments and
// topic-level config overrides, kept in the MetadataStore under /topics/<name>. Reads are
// served from memory; changes go through the store by compare-and-swap and come back through
// its watch, so a change made anywhere reaches every broker the same way.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { randomUuid } from '../protocol/primitives/uuid.js';
import { type Fence, FencedError, type MetadataStore, type WatchEvent } from './metadata-store.js';

export interface PartitionAssignment {
  partition: number;
  replicas: number[];
  leader: number;
  leaderEpoch: number;
  isr: number[];
  /**
   * A reassignment in progress (Kafka's names): replicas being added (in `replicas`, catching
   * up) and being removed (in `replicas` until the added ones are in the ISR). Absent otherwise.
   */
  addingReplicas?: number[];
  removingReplicas?: number[];
}

export interface TopicMetadata {
  name: string;
  topicId: string;
  partitions: PartitionAssignment[];
  /** Topic-level overrides only (retention.ms, ...); defaults come from broker config. */
  configs: Record<string, string>;
}

export type TopicChange =
  | { type: 'created' | 'updated'; topic: TopicMetadata; previous?: TopicMetadata }
  | { type: 'deleted'; topic: TopicMetadata };

const PREFIX = '/topics/';
const MAX_NAME_LENGTH = 249;
const LEGAL_NAME = /^[a-zA-Z0-9._-]+$/;
export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

/** Kafka's topic name rules; throws INVALID_TOPIC_EXCEPTION with the reason. */
export function validateTopicName(name: string): void {
  const fail = (why: string) => {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `topic name '${name}' ${why}`);
  };
  if (name.length === 0) fail('is empty');
  if (name === '.' || name === '..') fail("cannot be '.' or '..'");
  if (name.length > MAX_NAME_LENGTH) fail(`is longer than ${MAX_NAME_LENGTH} characters`);
  if (!LEGAL_NAME.test(name)) fail('may contain only ASCII letters, digits, ".", "_" and "-"');
}

/** '.' and '_' collide in metric names, so Kafka refuses names differing only by them. */
function collisionKey(name: string): string {
  return name.replace(/\./g, '_');
}

export class TopicRegistry {
  private readonly byName = new Map<string, TopicMetadata>();
  private readonly byId = new Map<string, TopicMetadata>();
  private readonly revisions = new Map<string, number>();
  private readonly listeners = new Set<(change: TopicChange) => void>();
  private unwatch: (() => void) | undefined;
  /** broker.rack of a broker, for placement; set by the broker once it follows membership. */
  rackOf: (brokerId: number) => string | null | undefined = () => undefined;

  private constructor(private readonly store: MetadataStore) {}

  static async load(store: MetadataStore): Promise<TopicRegistry> {
    const registry = new TopicRegistry(store);
    for (const { value, modRevision } of await store.list<TopicMetadata>(PREFIX)) {
      registry.apply(value, modRevision);
    }
    registry.unwatch = store.watch<TopicMetadata>(PREFIX, (e) => registry.onEvent(e));
    return registry;
  }

  close(): void {
    this.unwatch?.();
    this.listeners.clear();
  }

  /** Calls back after every change, in the order changes happened. */
  onChange(listener: (change: TopicChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  topic(name: string): TopicMetadata | undefined {
    return this.byName.get(name);
  }
  topicById(topicId: string): TopicMetadata | undefined {
    return this.byId.get(topicId);
  }
  topics(): TopicMetadata[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /**
   * Creates a topic with partitions spread over `brokers` round-robin. `validateOnly` checks
   * everything and returns what would be created without writing it.
   */
  async createTopic(options: {
    name: string;
    /** Ignored when `assignments` are given. */
    numPartitions: number;
    replicationFactor: number;
    brokers: number[];
    configs?: Record<string, string>;
    /**
     * Replicas of each partition, by partition index, instead of a count and replication
     * factor (CreateTopics' manual assignment); the first replica leads.
     */
    assignments?: readonly (readonly number[])[];
    validateOnly?: boolean;
  }): Promise<TopicMetadata> {
    const { name, brokers } = options;
    validateTopicName(name);
    if (this.byName.has(name)) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`);
    }
    const key = collisionKey(name);
    const clash = [...this.byName.keys()].find((n) => collisionKey(n) === key);
    if (clash) {
      throw new KafkaError(
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        `topic '${name}' collides with existing topic '${clash}'`,
      );
    }
    let partitions: PartitionAssignment[];
    if (options.assignments) {
      if (options.assignments.length === 0) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'a topic needs at least 1 partition');
      }
      const rf = options.assignments[0]!.length;
      for (const replicas of options.assignments) validateReplicaAssignment(replicas, brokers, rf);
      partitions = options.assignments.map((replicas, p) => partitionOn(p, replicas));
    } else {
      const { numPartitions, replicationFactor } = options;
      if (!Number.isInteger(numPartitions) || numPartitions < 1) {
        throw new KafkaError(
          ErrorCode.INVALID_PARTITIONS,
          `number of partitions must be at least 1, got ${numPartitions}`,
        );
      }
      if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `replication factor must be at least 1, got ${replicationFactor}`,
        );
      }
      if (replicationFactor > brokers.length) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `replication factor ${replicationFactor} is larger than the ${brokers.length} available broker(s)`,
        );
      }
      partitions = assignPartitions(0, numPartitions, replicationFactor, brokers, this.rackOf);
    }
    const topic: TopicMetadata = {
      name,
      topicId: randomUuid(),
      partitions,
      configs: { ...options.configs },
    };
    if (options.validateOnly) return topic;
    const revision = await this.store.compareAndSwap(PREFIX + name, 0, topic);
    if (revision === undefined) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`);
    }
    this.apply(topic, revision);
    return topic;
  }

  async deleteTopic(name: string): Promise<TopicMetadata> {
    const topic = this.require(name);
    await this.store.delete(PREFIX + name);
    this.remove(name);
    return topic;
  }

  /**
   * Grows a topic to `totalCount` partitions (Kafka never shrinks one). `assignments` gives the
   * replicas of each new partition, in order; they must keep the topic's replication factor.
   */
  async createPartitions(
    name: string,
    totalCount: number,
    brokers: number[],
    validateOnly = false,
    assignments?: readonly (readonly number[])[],
  ): Promise<TopicMetadata> {
    const topic = this.require(name);
    const current = topic.partitions.length;
    if (totalCount === current) {
      throw new KafkaError(
        ErrorCode.INVALID_PARTITIONS,
        `topic '${name}' already has ${current} partition(s)`,
      );
    }
    if (totalCount < current) {
      throw new KafkaError(
        ErrorCode.INVALID_PARTITIONS,
        `topic '${name}' has ${current} partition(s); ${totalCount} would not be an increase (partitions cannot be removed)`,
      );
    }
    const rf = topic.partitions[0]?.replicas.length ?? 1;
    let added: PartitionAssignment[];
    if (assignments) {
      if (assignments.length !== totalCount - current) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `${totalCount - current} partition(s) would be added but ${assignments.length} assignment(s) were given`,
        );
      }
      for (const replicas of assignments) validateReplicaAssignment(replicas, brokers, rf);
      added = assignments.map((replicas, i) => partitionOn(current + i, replicas));
    } else {
      added = assignPartitions(
        current,
        totalCount - current,
        Math.min(rf, brokers.length),
        brokers,
        this.rackOf,
      );
    }
    const updated: TopicMetadata = { ...topic, partitions: [...topic.partitions, ...added] };
    if (!validateOnly) await this.update(updated);
    return updated;
  }

  /** Replaces the topic's config overrides. */
  async setConfigs(name: string, configs: Record<string, string>): Promise<TopicMetadata> {
    const updated: TopicMetadata = { ...this.require(name), configs: { ...configs } };
    await this.update(updated);
    return updated;
  }

  /** Writes a changed topic (e.g. a new leader or ISR), failing if it changed meanwhile. */
  async update(topic: TopicMetadata, options: { fence?: Fence } = {}): Promise<void> {
    const expected = this.revisions.get(topic.name) ?? 0;
    const revision = await this.store.compareAndSwap(PREFIX + topic.name, expected, topic, {
      fence: options.fence,
    });
    if (revision === undefined) {
      throw new KafkaError(
        ErrorCode.NOT_CONTROLLER,
        `topic '${topic.name}' changed concurrently; retry`,
      );
    }
    this.apply(topic, revision);
  }

  /**
   * Changes one partition's leader/epoch/ISR as `change` decides from its current state
   * (undefined: no change). False when there was nothing to do or the topic changed first (the
   * watch then brings the newer state; callers decide again from it).
   */
  async updatePartition(
    name: string,
    partition: number,
    change: (current: PartitionAssignment) => PartitionAssignment | undefined,
    options: { fence?: Fence } = {},
  ): Promise<boolean> {
    const topic = this.byName.get(name);
    const current = topic?.partitions[partition];
    if (!topic || !current) return false;
    const next = change(current);
    if (!next) return false;
    const partitions = [...topic.partitions];
    partitions[partition] = next;
    try {
      await this.update({ ...topic, partitions }, options);
      return true;
    } catch (err) {
      if (
        err instanceof KafkaError &&
        !(err instanceof FencedError) &&
        err.code === ErrorCode.NOT_CONTROLLER
      ) {
        return false;
      }
      throw err;
    }
  }

  private require(name: string): TopicMetadata {
    const topic = this.byName.get(name);
    if (!topic)
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    return topic;
  }

  private onEvent(e: WatchEvent<TopicMetadata>): void {
    const name = e.key.slice(PREFIX.length);
    if (e.type === 'delete') this.remove(name);
    else this.apply(e.value, e.modRevision);
  }

  /** Applies a stored version of a topic once, whether it came from our write or the watch. */
  private apply(topic: TopicMetadata, revision: number): void {
    if ((this.revisions.get(topic.name) ?? 0) >= revision) return;
    const previous = this.byName.get(topic.name);
    if (previous && previous.topicId !== topic.topicId) this.byId.delete(previous.topicId);
    this.byName.set(topic.name, topic);
    this.byId.set(topic.topicId, topic);
    this.revisions.set(topic.name, revision);
    this.emit(previous ? { type: 'updated', topic, previous } : { type: 'created', topic });
  }

  private remove(name: string): void {
    const topic = this.byName.get(name);
    if (!topic) return;
    this.byName.delete(name);
    this.byId.delete(topic.topicId);
    this.revisions.delete(name);
    this.emit({ type: 'deleted', topic });
  }

  private emit(change: TopicChange): void {
    for (const l of this.listeners) l(change);
  }
}

/**
 * Checks one partition's replica list from a manual assignment: Kafka refuses empty lists,
 * a broker twice, brokers that are not registered, and replication factors that differ
 * between partitions of one topic.
 */
export function validateReplicaAssignment(
  replicas: readonly number[],
  brokers: readonly number[],
  replicationFactor: number,
): void {
  const fail = (why: string) => {
    throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, why);
  };
  if (replicas.length === 0) fail('the manual partition assignment has an empty replica list');
  const seen = new Set<number>();
  for (const b of replicas) {
    if (seen.has(b)) fail(`the manual partition assignment names broker ${b} more than once`);
    seen.add(b);
    if (!brokers.includes(b)) {
      fail(`the manual partition assignment names broker ${b}, which is not registered`);
    }
  }
  if (replicas.length !== replicationFactor) {
    fail(
      `the manual partition assignment has a partition with ${replicas.length} replica(s) where the others have ${replicationFactor}`,
    );
  }
}

function partitionOn(partition: number, replicas: readonly number[]): PartitionAssignment {
  return {
    partition,
    replicas: [...replicas],
    leader: replicas[0]!,
    leaderEpoch: 0,
    isr: [...replicas],
  };
}

/**
 * Round-robin replica placement starting after the previous partitions' leaders. When brokers
 * have racks, they are taken in rack-alternating order (first broker of each rack, then the
 * second of each, ...) as Kafka's rack-aware assignment does, so a partition's consecutive
 * replicas land in different racks whenever there are as many racks as replicas.
 */
function assignPartitions(
  first: number,
  count: number,
  replicationFactor: number,
  brokers: number[],
  rackOf: (brokerId: number) => string | null | undefined = () => undefined,
): PartitionAssignment[] {
  const sorted = rackAlternating(
    [...brokers].sort((a, b) => a - b),
    rackOf,
  );
  const out: PartitionAssignment[] = [];
  for (let i = 0; i < count; i++) {
    const p = first + i;
    const replicas = Array.from(
      { length: replicationFactor },
      (_, r) => sorted[(p + r) % sorted.length]!,
    );
    out.push({ partition: p, replicas, leader: replicas[0]!, leaderEpoch: 0, isr: [...replicas] });
  }
  return out;
}

/** Brokers ordered rack by rack in turn; unchanged when no broker has a rack. */
export function rackAlternating(
  sorted: readonly number[],
  rackOf: (brokerId: number) => string | null | undefined,
): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of sorted) {
    const rack = rackOf(b);
    if (rack == null) return [...sorted];
    let list = byRack.get(rack);
    if (!list) byRack.set(rack, (list = []));
    list.push(b);
  }
  const racks = [...byRack.keys()].sort();
  const out: number[] = [];
  for (let i = 0; out.length < sorted.length; i++) {
    for (const r of racks) {
      const b = byRack.get(r)![i];
      if (b !== undefined) out.push(b);
    }
  }
  return out;
}

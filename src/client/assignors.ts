// Partition assignors of the classic consumer group protocol. The group leader runs the one
// the coordinator picked (the first every member supports) over every member's subscription.
// Names and wire formats are Kafka's, so a Samsa consumer can share a group with Java,
// librdkafka or KafkaJS consumers that use the same assignor.
import {
  type ConsumerProtocolAssignment,
  decodeConsumerProtocolAssignment,
  encodeConsumerProtocolAssignment,
} from '../protocol/messages/consumer-protocol-assignment.js';
import {
  type ConsumerProtocolSubscription,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscription,
} from '../protocol/messages/consumer-protocol-subscription.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface MemberSubscription {
  memberId: string;
  groupInstanceId: string | null;
  topics: string[];
  /** What the member holds now (cooperative rebalancing relies on it). */
  ownedPartitions: TopicPartition[];
  /** Generation in which it held them (-1 if unknown). */
  generationId: number;
  userData: Buffer | null;
}

/** member id -> its partitions */
export type GroupAssignment = Map<string, TopicPartition[]>;

export interface Assignor {
  /** The protocol name members advertise, e.g. 'range'. */
  name: string;
  /** 'cooperative' assignors never move a partition straight from one member to another. */
  rebalanceProtocol: 'eager' | 'cooperative';
  /** member id -> partitions, for every member (empty lists included). */
  assign(
    members: readonly MemberSubscription[],
    partitionsPerTopic: ReadonlyMap<string, number>,
  ): GroupAssignment;
}

const SUBSCRIPTION_VERSION = 3;
const ASSIGNMENT_VERSION = 3;

/** ConsumerProtocolSubscription bytes: int16 version, then the fields of that version. */
export function encodeSubscription(s: ConsumerProtocolSubscription): Buffer {
  const w = new Writer().int16(SUBSCRIPTION_VERSION);
  return encodeConsumerProtocolSubscription(s, SUBSCRIPTION_VERSION, w).toBuffer();
}

/** Reads a member's subscription; newer versions than ours are read as ours (fields only get appended). */
export function decodeSubscription(buf: Buffer): ConsumerProtocolSubscription {
  const r = new Reader(buf);
  const version = Math.min(r.int16(), SUBSCRIPTION_VERSION);
  return decodeConsumerProtocolSubscription(r, version);
}

/** ConsumerProtocolAssignment bytes (int16 version first), partitions sorted per topic. */
export function encodeAssignment(
  partitions: readonly TopicPartition[],
  userData: Buffer | null = null,
): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) {
    let list = byTopic.get(tp.topic);
    if (!list) byTopic.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  const a: ConsumerProtocolAssignment = {
    assignedPartitions: [...byTopic].map(([topic, ps]) => ({
      topic,
      partitions: ps.sort((x, y) => x - y),
    })),
    userData,
  };
  const w = new Writer().int16(ASSIGNMENT_VERSION);
  return encodeConsumerProtocolAssignment(a, ASSIGNMENT_VERSION, w).toBuffer();
}

/** An empty buffer (a member given nothing) decodes to no partitions. */
export function decodeAssignment(buf: Buffer): TopicPartition[] {
  if (buf.length === 0) return [];
  const r = new Reader(buf);
  const version = Math.min(r.int16(), ASSIGNMENT_VERSION);
  const a = decodeConsumerProtocolAssignment(r, version);
  return a.assignedPartitions.flatMap((t) =>
    t.partitions.map((partition) => ({ topic: t.topic, partition })),
  );
}

/** Kafka orders members by group instance id when they have one, else by member id. */
function memberOrder(a: MemberSubscription, b: MemberSubscription): number {
  const ka = a.groupInstanceId ?? a.memberId;
  const kb = b.groupInstanceId ?? b.memberId;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function emptyAssignment(members: readonly MemberSubscription[]): GroupAssignment {
  return new Map(members.map((m) => [m.memberId, [] as TopicPartition[]]));
}

/** Per topic, consecutive ranges of partitions to the members subscribed to it, in member order. */
export const rangeAssignor: Assignor = {
  name: 'range',
  rebalanceProtocol: 'eager',
  assign(members, partitionsPerTopic) {
    const out = emptyAssignment(members);
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    for (const topic of topics) {
      const count = partitionsPerTopic.get(topic);
      if (count === undefined) continue;
      const consumers = members.filter((m) => m.topics.includes(topic)).sort(memberOrder);
      const per = Math.floor(count / consumers.length);
      const extra = count % consumers.length;
      consumers.forEach((m, i) => {
        const start = per * i + Math.min(i, extra);
        const length = per + (i < extra ? 1 : 0);
        for (let p = start; p < start + length; p++)
          out.get(m.memberId)!.push({ topic, partition: p });
      });
    }
    return out;
  },
};

/** Every partition of every topic, in (topic, partition) order, dealt round the members in turn. */
export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  rebalanceProtocol: 'eager',
  assign(members, partitionsPerTopic) {
    const out = emptyAssignment(members);
    const sorted = [...members].sort(memberOrder);
    if (sorted.length === 0) return out;
    const topics = [...new Set(members.flatMap((m) => m.topics))]
      .filter((t) => partitionsPerTopic.has(t))
      .sort();
    let next = 0;
    for (const topic of topics) {
      for (let p = 0; p < partitionsPerTopic.get(topic)!; p++) {
        // Deal to the next member in the circle that subscribes to this topic.
        for (let tries = 0; tries < sorted.length; tries++) {
          const m = sorted[next++ % sorted.length]!;
          if (m.topics.includes(topic)) {
            out.get(m.memberId)!.push({ topic, partition: p });
            break;
          }
        }
      }
    }
    return out;
  },
};

const tpKey = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

/**
 * Sticky and balanced: members keep what they own as far as balance allows, the rest goes to
 * the least loaded eligible member. As a cooperative assignor it then withholds every
 * partition whose owner changes: the old owner revokes it and the group rebalances again,
 * so no partition is ever read by two members at once.
 */
export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  rebalanceProtocol: 'cooperative',
  assign(members, partitionsPerTopic) {
    const sorted = [...members].sort(memberOrder);
    const owner = new Map<string, string>();
    const ownerGeneration = new Map<string, number>();
    const exists = (tp: TopicPartition) => tp.partition < (partitionsPerTopic.get(tp.topic) ?? 0);
    // Claims by the member of the highest generation win (an older claim is stale).
    for (const m of sorted) {
      for (const tp of m.ownedPartitions) {
        if (!exists(tp) || !m.topics.includes(tp.topic)) continue;
        const k = tpKey(tp);
        const g = ownerGeneration.get(k);
        if (g === undefined || m.generationId > g) {
          owner.set(k, m.memberId);
          ownerGeneration.set(k, m.generationId);
        }
      }
    }
    const load = new Map<string, TopicPartition[]>(sorted.map((m) => [m.memberId, []]));
    const byId = new Map(sorted.map((m) => [m.memberId, m]));
    const all: TopicPartition[] = [];
    for (const topic of [...partitionsPerTopic.keys()].sort()) {
      if (!sorted.some((m) => m.topics.includes(topic))) continue;
      for (let p = 0; p < partitionsPerTopic.get(topic)!; p++) all.push({ topic, partition: p });
    }
    const unassigned: TopicPartition[] = [];
    for (const tp of all) {
      const o = owner.get(tpKey(tp));
      if (o !== undefined) load.get(o)!.push(tp);
      else unassigned.push(tp);
    }
    const eligible = (tp: TopicPartition) => sorted.filter((m) => m.topics.includes(tp.topic));
    const leastLoaded = (tp: TopicPartition) =>
      eligible(tp).reduce<MemberSubscription | undefined>(
        (best, m) =>
          best === undefined || load.get(m.memberId)!.length < load.get(best.memberId)!.length
            ? m
            : best,
        undefined,
      );
    for (const tp of unassigned) {
      const m = leastLoaded(tp);
      if (m) load.get(m.memberId)!.push(tp);
    }
    // Move partitions from the most to the least loaded eligible member until no move helps.
    for (let moved = true; moved; ) {
      moved = false;
      const byLoad = [...sorted].sort(
        (a, b) => load.get(b.memberId)!.length - load.get(a.memberId)!.length,
      );
      for (const from of byLoad) {
        const mine = load.get(from.memberId)!;
        for (let i = mine.length - 1; i >= 0 && !moved; i--) {
          const tp = mine[i]!;
          const to = leastLoaded(tp);
          if (to && load.get(to.memberId)!.length + 1 < mine.length) {
            mine.splice(i, 1);
            load.get(to.memberId)!.push(tp);
            moved = true;
          }
        }
        if (moved) break;
      }
    }
    const out = emptyAssignment(members);
    for (const [memberId, tps] of load) {
      for (const tp of tps) {
        const o = owner.get(tpKey(tp));
        if (o !== undefined && o !== memberId && byId.has(o)) continue; // withheld this round
        out.get(memberId)!.push(tp);
      }
      out
        .get(memberId)!
        .sort((a, b) =>
          a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
        );
    }
    return out;
  },
};

export const BUILT_IN_ASSIGNORS: Record<string, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
};

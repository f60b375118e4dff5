// Server-side assignors of KIP-848 groups: 'uniform' (Kafka's default: balanced and sticky) and
// 'range' (contiguous ranges per topic, co-partitioning members that share topics). They see
// members' subscriptions as topic ids and return each member's full target assignment.
import type { Assignment } from './consumer-group.js';

export interface AssignmentMember {
  /** Topic ids the member subscribes to (names and regex already resolved). */
  subscribedTopicIds: ReadonlySet<string>;
  /** Its current target assignment, so that partitions stay where they are when possible. */
  current: Assignment;
}

export interface AssignmentSpec {
  members: ReadonlyMap<string, AssignmentMember>;
  /** topicId -> number of partitions, for every subscribed topic that exists. */
  topics: ReadonlyMap<string, number>;
}

export interface PartitionAssignor {
  readonly name: string;
  assign(spec: AssignmentSpec): Map<string, Assignment>;
}

type Mutable = Map<string, Set<number>>;

function addTo(a: Mutable, topicId: string, p: number): void {
  let s = a.get(topicId);
  if (!s) a.set(topicId, (s = new Set()));
  s.add(p);
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Balanced and sticky: members keep the partitions they have as long as that stays balanced,
 * new or freed partitions go to the least loaded eligible member, and a final pass moves
 * partitions from the most to the least loaded members until no eligible pair differs by more
 * than one. Works for identical and for different subscriptions.
 */
export const uniformAssignor: PartitionAssignor = {
  name: 'uniform',
  assign(spec) {
    const memberIds = [...spec.members.keys()].sort(byId);
    const owner = new Map<string, string>(); // "topicId:p" -> memberId
    const counts = new Map<string, number>(memberIds.map((m) => [m, 0]));
    const eligible = (memberId: string, topicId: string) =>
      spec.members.get(memberId)!.subscribedTopicIds.has(topicId);
    const all: [string, number][] = [];
    for (const topicId of [...spec.topics.keys()].sort(byId)) {
      const subscribed = memberIds.some((m) => eligible(m, topicId));
      if (!subscribed) continue;
      for (let p = 0; p < spec.topics.get(topicId)!; p++) all.push([topicId, p]);
    }
    const eligibleMembers = memberIds.filter(
      (m) => spec.members.get(m)!.subscribedTopicIds.size > 0,
    );
    // Quota when everybody could take everything; with different subscriptions the
    // rebalancing pass below evens things out.
    const quota = eligibleMembers.length ? Math.ceil(all.length / eligibleMembers.length) : 0;
    for (const m of memberIds) {
      for (const [topicId, ps] of spec.members.get(m)!.current) {
        const n = spec.topics.get(topicId);
        if (n === undefined || !eligible(m, topicId)) continue;
        for (const p of [...ps].sort((a, b) => a - b)) {
          const key = `${topicId}:${p}`;
          if (p >= n || owner.has(key) || counts.get(m)! >= quota) continue;
          owner.set(key, m);
          counts.set(m, counts.get(m)! + 1);
        }
      }
    }
    for (const [topicId, p] of all) {
      const key = `${topicId}:${p}`;
      if (owner.has(key)) continue;
      let best: string | undefined;
      for (const m of memberIds) {
        if (eligible(m, topicId) && (best === undefined || counts.get(m)! < counts.get(best)!))
          best = m;
      }
      if (best === undefined) continue;
      owner.set(key, best);
      counts.set(best, counts.get(best)! + 1);
    }
    // Even out what stickiness and different subscriptions left unbalanced.
    for (let moved = true, rounds = 0; moved && rounds < all.length + 1; rounds++) {
      moved = false;
      for (const [topicId, p] of all) {
        const key = `${topicId}:${p}`;
        const from = owner.get(key);
        if (from === undefined) continue;
        let to: string | undefined;
        for (const m of memberIds) {
          if (m !== from && eligible(m, topicId) && counts.get(m)! < counts.get(from)! - 1) {
            if (to === undefined || counts.get(m)! < counts.get(to)!) to = m;
          }
        }
        if (to === undefined) continue;
        owner.set(key, to);
        counts.set(from, counts.get(from)! - 1);
        counts.set(to, counts.get(to)! + 1);
        moved = true;
      }
    }
    const out = new Map<string, Assignment>(memberIds.map((m) => [m, new Map()]));
    for (const [key, m] of owner) {
      const i = key.lastIndexOf(':');
      addTo(out.get(m) as Mutable, key.slice(0, i), Number(key.slice(i + 1)));
    }
    return out;
  },
};

/** Per topic, the subscribed members (by member id) get contiguous ranges, the first ones one more. */
export const rangeAssignor: PartitionAssignor = {
  name: 'range',
  assign(spec) {
    const memberIds = [...spec.members.keys()].sort(byId);
    const out = new Map<string, Assignment>(memberIds.map((m) => [m, new Map()]));
    for (const [topicId, numPartitions] of spec.topics) {
      const subscribers = memberIds.filter((m) =>
        spec.members.get(m)!.subscribedTopicIds.has(topicId),
      );
      if (subscribers.length === 0) continue;
      const base = Math.floor(numPartitions / subscribers.length);
      const extra = numPartitions % subscribers.length;
      let next = 0;
      subscribers.forEach((m, i) => {
        const n = base + (i < extra ? 1 : 0);
        for (let p = next; p < next + n; p++) addTo(out.get(m) as Mutable, topicId, p);
        next += n;
      });
    }
    return out;
  },
};

export const ASSIGNORS: ReadonlyMap<string, PartitionAssignor> = new Map([
  [uniformAssignor.name, uniformAssignor],
  [rangeAssignor.name, rangeAssignor],
]);

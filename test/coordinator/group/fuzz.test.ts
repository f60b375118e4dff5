// Random sequences of group operations with random (often wrong) ids, generations and epochs,
// against one shard on a manual clock: nothing but Kafka errors may come out, no partition is
// ever owned by two consumer-group members, and a shard rebuilt from the records agrees with
// the live one on offsets and consumer groups.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deleteGroups } from '../../../src/coordinator/group/admin-ops.js';
import * as classic from '../../../src/coordinator/group/classic-ops.js';
import { ConsumerGroup } from '../../../src/coordinator/group/consumer-group.js';
import { consumerGroupHeartbeat } from '../../../src/coordinator/group/consumer-ops.js';
import {
  cleanupGroupMetadata,
  commitOffsets,
  deleteOffsets,
} from '../../../src/coordinator/group/offset-ops.js';
import { result } from '../../../src/coordinator/group/result.js';
import type { GroupShard } from '../../../src/coordinator/group/shard.js';
import { KafkaError } from '../../../src/protocol/errors.js';
import { type Harness, harness, settle } from './harness.js';

function rng(seed: number) {
  return () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return seed / 2 ** 32;
  };
}

function assertNoDoubleOwnership(shard: GroupShard): void {
  for (const g of shard.groups.values()) {
    if (!(g instanceof ConsumerGroup)) continue;
    const owner = new Map<string, string>();
    for (const m of g.members.values()) {
      for (const a of [m.assignedPartitions, m.partitionsPendingRevocation]) {
        for (const [t, ps] of a) {
          for (const p of ps) {
            const k = `${t}:${p}`;
            assert.ok(
              !owner.has(k) || owner.get(k) === m.memberId,
              `${g.groupId}: ${k} owned twice`,
            );
            owner.set(k, m.memberId);
          }
        }
      }
    }
  }
}

for (const seed of [1, 2, 3, 4, 5]) {
  test(`random operations, seed ${seed}`, async () => {
    const rand = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const h = harness({ consumerSessionTimeoutMs: 8000, groupMaxSize: 4, consumerMaxSize: 4 });
    const t1 = h.topics.add('t1', 4);
    h.topics.add('t2', 2);
    const s = h.shard;
    const groups = ['g1', 'g2', 'g3', ''];
    const members = ['', 'm1', 'm2', 'm3', 'm4', 'ghost'];
    const known = new Set<string>();
    const pending: Promise<unknown>[] = [];
    const origin = { clientId: 'fuzz', clientHost: '/h', apiVersion: pick([3, 5, 9]) };
    for (let step = 0; step < 600; step++) {
      const groupId = pick(groups);
      const memberId = rand() < 0.6 && known.size > 0 ? pick([...known]) : pick(members);
      const generationId = Math.floor(rand() * 5) - 1;
      const op = Math.floor(rand() * 10);
      try {
        switch (op) {
          case 0:
          case 1: {
            const p = s.run(() =>
              classic.joinGroup(
                s,
                {
                  groupId,
                  sessionTimeoutMs: pick([6000, 10_000, 1]),
                  rebalanceTimeoutMs: 10_000,
                  memberId,
                  groupInstanceId: rand() < 0.2 ? pick(['i1', 'i2']) : null,
                  protocolType: pick(['consumer', 'consumer', 'connect']),
                  protocols: [{ name: pick(['range', 'roundrobin']), metadata: Buffer.from('x') }],
                  reason: null,
                },
                { ...origin, apiVersion: pick([3, 5, 9]) },
              ),
            );
            pending.push(p.then((r) => r.memberId && known.add(r.memberId)));
            break;
          }
          case 2:
            pending.push(
              s.run(() =>
                classic.syncGroup(s, {
                  groupId,
                  generationId,
                  memberId,
                  groupInstanceId: null,
                  protocolType: null,
                  protocolName: null,
                  assignments: [{ memberId, assignment: Buffer.from('a') }],
                }),
              ),
            );
            break;
          case 3:
            s.run(() =>
              classic.heartbeat(s, { groupId, generationId, memberId, groupInstanceId: null }),
            );
            break;
          case 4:
            s.run(() =>
              classic.leaveGroup(s, {
                groupId,
                members: [{ memberId, groupInstanceId: null, reason: null }],
              }),
            );
            break;
          case 5:
          case 6: {
            const cg = consumerGroupId(groupId);
            const epoch = pick([0, 0, 1, 2, 3, -1, -2, 7]);
            const r = s.run(() =>
              consumerGroupHeartbeat(
                s,
                {
                  groupId: cg,
                  memberId: memberId || 'cm',
                  memberEpoch: epoch,
                  instanceId: epoch === -2 || rand() < 0.1 ? 'ci' : null,
                  rackId: null,
                  rebalanceTimeoutMs: epoch === 0 ? 5000 : -1,
                  subscribedTopicNames: epoch === 0 ? [pick(['t1', 't2'])] : null,
                  subscribedTopicRegex: null,
                  serverAssignor: null,
                  topicPartitions:
                    epoch === 0
                      ? []
                      : rand() < 0.5
                        ? null
                        : [{ topicId: t1.topicId, partitions: [0, 1] }],
                },
                origin,
              ),
            );
            known.add(r.memberId!);
            break;
          }
          case 7:
            s.run(() =>
              commitOffsets(
                s,
                {
                  groupId: rand() < 0.5 ? groupId : consumerGroupId(groupId),
                  generationIdOrMemberEpoch: generationId,
                  memberId: generationId < 0 ? '' : memberId,
                  groupInstanceId: null,
                  retentionTimeMs: pick([-1, 1000]),
                  topics: [
                    {
                      name: pick(['t1', 't2', 'zz']),
                      partitions: [
                        {
                          partitionIndex: pick([0, 1, 5]),
                          committedOffset: step,
                          committedLeaderEpoch: -1,
                          committedMetadata: null,
                        },
                      ],
                    },
                  ],
                },
                pick([5, 8, 9]),
              ),
            );
            break;
          case 8:
            if (rand() < 0.5)
              s.run(() => deleteOffsets(s, { groupId, topics: [{ name: 't1', partitions: [0] }] }));
            else s.run(() => deleteGroups(s, [groupId, consumerGroupId(groupId)]));
            break;
          default:
            h.clock.advance(Math.floor(rand() * 4000));
            if (rand() < 0.1) s.run(() => result(undefined, cleanupGroupMetadata(s)));
        }
      } catch (err) {
        assert.ok(err instanceof KafkaError, `step ${step} op ${op} threw ${(err as Error).stack}`);
      }
      assertNoDoubleOwnership(s);
      if (step === 300) checkRebuild(h);
    }
    h.clock.advance(600_000);
    await settle();
    checkRebuild(h);
    void pending;
  });
}

function consumerGroupId(groupId: string): string {
  return groupId === '' ? 'cg-empty' : `cg-${groupId}`;
}

/** A shard rebuilt from the records agrees with the live one on offsets and consumer groups. */
function checkRebuild(h: Harness): void {
  const s = h.shard;
  const rebuilt = h.rebuild();
  assertNoDoubleOwnership(rebuilt);
  for (const groupId of new Set([...s.offsets.groupIds(), ...rebuilt.offsets.groupIds()])) {
    assert.deepEqual(
      rebuilt.offsets.ofGroup(groupId),
      s.offsets.ofGroup(groupId),
      `offsets of ${groupId}`,
    );
  }
  for (const [id, g] of s.groups) {
    if (!(g instanceof ConsumerGroup)) continue;
    const r = rebuilt.groups.get(id);
    assert.ok(r instanceof ConsumerGroup, `consumer group ${id} rebuilt`);
    assert.equal(r.groupEpoch, g.groupEpoch);
    assert.equal(r.assignmentEpoch, g.assignmentEpoch);
    assert.deepEqual(r.members, g.members);
    assert.deepEqual(r.targetAssignment, g.targetAssignment);
  }
}

// Server-side assignors: every subscribed partition assigned exactly once, to a subscriber;
// uniform balanced to within one partition and sticky; range in contiguous ranges.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AssignmentMember,
  type AssignmentSpec,
  rangeAssignor,
  uniformAssignor,
} from '../../../src/coordinator/group/assignors.js';
import type { Assignment } from '../../../src/coordinator/group/consumer-group.js';

function spec(
  topics: Record<string, number>,
  members: Record<string, { topics: string[]; current?: Assignment }>,
): AssignmentSpec {
  const m = new Map<string, AssignmentMember>();
  for (const [id, v] of Object.entries(members)) {
    m.set(id, { subscribedTopicIds: new Set(v.topics), current: v.current ?? new Map() });
  }
  return { members: m, topics: new Map(Object.entries(topics)) };
}

const sizeOf = (a: Assignment) => [...a.values()].reduce((n, s) => n + s.size, 0);

function checkComplete(s: AssignmentSpec, out: Map<string, Assignment>): void {
  const owners = new Map<string, string>();
  for (const [memberId, a] of out) {
    for (const [topic, ps] of a) {
      assert.ok(
        s.members.get(memberId)!.subscribedTopicIds.has(topic),
        `${memberId} got ${topic} without subscribing`,
      );
      for (const p of ps) {
        const key = `${topic}:${p}`;
        assert.ok(!owners.has(key), `${key} assigned twice`);
        owners.set(key, memberId);
      }
    }
  }
  for (const [topic, n] of s.topics) {
    const subscribed = [...s.members.values()].some((m) => m.subscribedTopicIds.has(topic));
    for (let p = 0; p < n; p++)
      assert.equal(owners.has(`${topic}:${p}`), subscribed, `${topic}:${p}`);
  }
}

/** A tiny deterministic PRNG so the randomized cases are reproducible. */
function rng(seed: number) {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
}

describe('uniform assignor', () => {
  test('identical subscriptions: balanced within one partition', () => {
    const s = spec(
      { a: 7, b: 3 },
      { m1: { topics: ['a', 'b'] }, m2: { topics: ['a', 'b'] }, m3: { topics: ['a', 'b'] } },
    );
    const out = uniformAssignor.assign(s);
    checkComplete(s, out);
    assert.deepEqual([...out.values()].map(sizeOf).sort(), [3, 3, 4]);
  });

  test('sticky: a new member takes partitions only from the most loaded, others keep theirs', () => {
    const first = spec({ a: 6 }, { m1: { topics: ['a'] }, m2: { topics: ['a'] } });
    const before = uniformAssignor.assign(first);
    const second = spec(
      { a: 6 },
      {
        m1: { topics: ['a'], current: before.get('m1')! },
        m2: { topics: ['a'], current: before.get('m2')! },
        m3: { topics: ['a'] },
      },
    );
    const after = uniformAssignor.assign(second);
    checkComplete(second, after);
    for (const m of ['m1', 'm2']) {
      const kept = [...after.get(m)!.get('a')!].filter((p) => before.get(m)!.get('a')!.has(p));
      assert.equal(kept.length, 2, `${m} keeps two of its three partitions`);
    }
    assert.equal(sizeOf(after.get('m3')!), 2);
  });

  test('different subscriptions: complete, and balanced where members could share', () => {
    const s = spec(
      { a: 4, b: 4 },
      { m1: { topics: ['a'] }, m2: { topics: ['a', 'b'] }, m3: { topics: ['b'] } },
    );
    const out = uniformAssignor.assign(s);
    checkComplete(s, out);
    const sizes = [...out.values()].map(sizeOf);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes}`);
  });

  test('randomized: always complete and, with identical subscriptions, balanced and sticky', () => {
    const rand = rng(42);
    for (let round = 0; round < 200; round++) {
      const topics: Record<string, number> = {};
      for (let t = 0; t < 1 + Math.floor(rand() * 4); t++)
        topics[`t${t}`] = 1 + Math.floor(rand() * 12);
      const names = Object.keys(topics);
      const members: Record<string, { topics: string[] }> = {};
      const n = 1 + Math.floor(rand() * 6);
      const identical = rand() < 0.5;
      for (let i = 0; i < n; i++) {
        members[`m${i}`] = { topics: identical ? names : names.filter(() => rand() < 0.6) };
      }
      const s = spec(topics, members);
      const out = uniformAssignor.assign(s);
      checkComplete(s, out);
      if (identical) {
        const sizes = [...out.values()].map(sizeOf);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `round ${round}: sizes ${sizes}`);
        // Running again from its own result changes nothing.
        const again = spec(
          topics,
          Object.fromEntries(
            Object.entries(members).map(([id, v]) => [id, { ...v, current: out.get(id)! }]),
          ),
        );
        assert.deepEqual(uniformAssignor.assign(again), out, `round ${round}: not stable`);
      }
    }
  });
});

describe('range assignor', () => {
  test('contiguous ranges by member id, the first members one more', () => {
    const s = spec({ a: 5, b: 2 }, { x: { topics: ['a', 'b'] }, y: { topics: ['a', 'b'] } });
    const out = rangeAssignor.assign(s);
    checkComplete(s, out);
    assert.deepEqual([...out.get('x')!.get('a')!], [0, 1, 2]);
    assert.deepEqual([...out.get('y')!.get('a')!], [3, 4]);
    assert.deepEqual([...out.get('x')!.get('b')!], [0]);
    assert.deepEqual([...out.get('y')!.get('b')!], [1]);
  });
});

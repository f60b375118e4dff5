// The plans `samsa cluster decommission` and `add-broker` compute, and the plan JSON `reassign`
// reads: replication factors kept, replicas and preferred leaders spread evenly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addBrokerPlan,
  decommissionPlan,
  type PlacedPartition,
  parsePlan,
} from '../../src/cli/reassign-plan.js';

/** `count` partitions of RF 3 placed round-robin over brokers 1-3, as the broker places them. */
function placed(count: number, brokers = [1, 2, 3], rf = 3): PlacedPartition[] {
  return Array.from({ length: count }, (_, p) => ({
    topic: 't',
    partition: p,
    replicas: Array.from({ length: rf }, (_, r) => brokers[(p + r) % brokers.length]!),
  }));
}

function apply(current: PlacedPartition[], plan: PlacedPartition[]): PlacedPartition[] {
  return current.map(
    (p) => plan.find((q) => q.topic === p.topic && q.partition === p.partition) ?? p,
  );
}

function load(partitions: PlacedPartition[]): Map<number, { replicas: number; leaders: number }> {
  const out = new Map<number, { replicas: number; leaders: number }>();
  for (const p of partitions) {
    p.replicas.forEach((r, i) => {
      const l = out.get(r) ?? { replicas: 0, leaders: 0 };
      l.replicas++;
      if (i === 0) l.leaders++;
      out.set(r, l);
    });
  }
  return out;
}

test('adding a 4th broker moves a fair share of replicas and preferred leaders onto it', () => {
  const current = placed(12);
  const plan = addBrokerPlan(current, 4, [1, 2, 3, 4]);
  const after = apply(current, plan);
  for (const p of after) {
    assert.equal(p.replicas.length, 3);
    assert.equal(new Set(p.replicas).size, 3);
  }
  const l = load(after);
  assert.deepEqual(
    [...l.entries()].sort(([a], [b]) => a - b),
    [
      [1, { replicas: 9, leaders: 3 }],
      [2, { replicas: 9, leaders: 3 }],
      [3, { replicas: 9, leaders: 3 }],
      [4, { replicas: 9, leaders: 3 }],
    ],
  );
  // Only changed partitions are in the plan.
  for (const p of plan) {
    assert.notDeepEqual(p.replicas, current[p.partition]!.replicas);
  }
});

test('decommissioning a broker keeps replication factors and spreads its replicas evenly', () => {
  const current = apply(placed(12), addBrokerPlan(placed(12), 4, [1, 2, 3, 4]));
  const plan = decommissionPlan(current, 1, [1, 2, 3, 4]);
  assert.equal(plan.length, 9);
  const after = apply(current, plan);
  for (const p of after) {
    assert.equal(p.replicas.length, 3);
    assert.equal(new Set(p.replicas).size, 3);
    assert.ok(!p.replicas.includes(1));
  }
  const l = load(after);
  assert.equal(l.get(1), undefined);
  for (const b of [2, 3, 4]) assert.equal(l.get(b)!.replicas, 12);
});

test('decommissioning refuses when the other live brokers cannot hold the replication factor', () => {
  assert.throws(() => decommissionPlan(placed(3), 1, [1, 2, 3]), /only 2 are live$/);
  // A dead broker (not live) can be emptied onto the live ones.
  const plan = decommissionPlan(placed(3, [1, 2, 3], 2), 3, [1, 2, 4]);
  assert.ok(plan.every((p) => !p.replicas.includes(3) && p.replicas.length === 2));
});

test('plan JSON in kafka-reassign-partitions format', () => {
  const text = JSON.stringify({
    version: 1,
    partitions: [{ topic: 'a', partition: 0, replicas: [1, 2], log_dirs: ['any', 'any'] }],
  });
  assert.deepEqual(parsePlan(text, 'p.json'), [{ topic: 'a', partition: 0, replicas: [1, 2] }]);
  assert.throws(() => parsePlan('{', 'p.json'), /p\.json is not JSON/);
  assert.throws(
    () => parsePlan('{"partitions":[{"topic":"a","partition":0,"replicas":[]}]}', 'p.json'),
    /replicas/,
  );
  assert.throws(
    () =>
      parsePlan(
        '{"partitions":[{"topic":"a","partition":0,"replicas":[1]},{"topic":"a","partition":0,"replicas":[2]}]}',
        'p.json',
      ),
    /twice/,
  );
  assert.throws(() => parsePlan('[]', 'p.json'), /needs \{"version":1/);
});

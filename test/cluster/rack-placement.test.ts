// Replica placement with broker.rack: replicas of a partition land in different racks when there
// are as many racks as replicas; without racks the round-robin order is unchanged.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalMetadataStore } from '../../src/cluster/local-metadata-store.js';
import { rackAlternating, TopicRegistry } from '../../src/cluster/topic-registry.js';

const racks: Record<number, string> = { 1: 'a', 2: 'a', 3: 'b', 4: 'b', 5: 'c', 6: 'c' };

test('brokers are taken rack by rack in turn', () => {
  assert.deepEqual(
    rackAlternating([1, 2, 3, 4, 5, 6], (b) => racks[b]),
    [1, 3, 5, 2, 4, 6],
  );
  assert.deepEqual(
    rackAlternating([1, 2, 3], () => null),
    [1, 2, 3],
  );
});

test('every partition of an RF=3 topic spans three racks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-racks-'));
  try {
    const registry = await TopicRegistry.load(LocalMetadataStore.inDataDir(dir));
    registry.rackOf = (b) => racks[b];
    const t = await registry.createTopic({
      name: 'spread',
      numPartitions: 6,
      replicationFactor: 3,
      brokers: [1, 2, 3, 4, 5, 6],
    });
    for (const p of t.partitions) {
      assert.equal(new Set(p.replicas.map((b) => racks[b])).size, 3, `partition ${p.partition}`);
    }
    assert.equal(new Set(t.partitions.map((p) => p.leader)).size, 6);
    registry.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

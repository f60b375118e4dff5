// Producer id blocks claimed by compare-and-swap in the metadata store.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalMetadataStore } from '../../../src/cluster/local-metadata-store.js';
import {
  PRODUCER_ID_BLOCK_KEY,
  ProducerIdManager,
} from '../../../src/coordinator/txn/producer-id-manager.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function store(): { path: string; open(): LocalMetadataStore } {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-pidm-'));
  dirs.push(dir);
  const path = join(dir, 'meta.json');
  return { path, open: () => new LocalMetadataStore(path) };
}

test('ids come from claimed blocks; two managers on one store never share an id', async () => {
  const s = store().open();
  const a = new ProducerIdManager(s, 1, 10);
  const b = new ProducerIdManager(s, 2, 10);
  const ids: number[] = [];
  for (let i = 0; i < 25; i++) {
    ids.push(await a.generateProducerId());
    ids.push(await b.generateProducerId());
  }
  const both = await Promise.all(
    Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).generateProducerId()),
  );
  const all = [...ids, ...both];
  assert.equal(new Set(all).size, all.length);
  const record = await s.get<{ nextBlockStart: number }>(PRODUCER_ID_BLOCK_KEY);
  assert.ok(record!.value.nextBlockStart >= Math.max(...all) + 1);
  await s.close();
});

test('a reopened store continues after the last claimed block', async () => {
  const st = store();
  const s1 = st.open();
  const first = await new ProducerIdManager(s1, 1, 100).generateProducerId();
  await s1.close();
  const s2 = st.open();
  const next = await new ProducerIdManager(s2, 1, 100).generateProducerId();
  assert.equal(first, 0);
  assert.equal(next, 100);
  await s2.close();
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalMetadataStore } from '../../src/cluster/local-metadata-store.js';
import {
  electionPrefix,
  openMetadataStore,
  parseMetadataStoreSetting,
} from '../../src/cluster/metadata-store.js';

test('metadata.store: local, or etcd endpoints with 2379 as the default port', () => {
  assert.equal(parseMetadataStoreSetting('local'), undefined);
  assert.equal(parseMetadataStoreSetting(''), undefined);
  assert.deepEqual(parseMetadataStoreSetting('etcd://a:2379, b:12379,c'), [
    'http://a:2379',
    'http://b:12379',
    'http://c:2379',
  ]);
  assert.deepEqual(parseMetadataStoreSetting('etcd://[::1]:2379'), ['http://[::1]:2379']);
  assert.throws(() => parseMetadataStoreSetting('zookeeper://z:2181'), /must be 'local' or etcd/);
  assert.throws(() => parseMetadataStoreSetting('etcd://a/b'), /not host:port/);
});

test('openMetadataStore gives the local store for the default setting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-open-store-'));
  try {
    const store = await openMetadataStore({ setting: 'local', dataDir: dir });
    assert.ok(store instanceof LocalMetadataStore);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('election names cannot escape their key prefix', () => {
  assert.equal(electionPrefix('controller'), '/elections/controller/');
  assert.throws(() => electionPrefix('a/b'), TypeError);
  assert.throws(() => electionPrefix(''), TypeError);
});

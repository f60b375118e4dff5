// InitProducerId over TCP: unique ids across restarts for idempotent producers, and Kafka's
// answers for transactional ids while Samsa has no transaction coordinator.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startBroker } from '../../../src/broker/index.js';
import { InitProducerIdApi } from '../../../src/protocol/messages/init-producer-id.js';
import { WireClient } from '../../helpers/wire-client.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function withBroker<T>(dataDir: string, work: (c: WireClient) => Promise<T>): Promise<T> {
  const b = await startBroker({ port: 0, dataDir, logLevel: 'error' });
  const c = await WireClient.connect(b.port);
  try {
    return await work(c);
  } finally {
    c.close();
    await b.stop();
  }
}

const init = (
  c: WireClient,
  version: number,
  transactionalId: string | null = null,
  timeout = 60_000,
) =>
  c.request(InitProducerIdApi, version, {
    transactionalId,
    transactionTimeoutMs: timeout,
    producerId: -1n,
    producerEpoch: -1,
  });

test('idempotent producers get distinct ids with epoch 0 at v0-v5, still distinct after a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-pid-'));
  dirs.push(dataDir);
  const first = await withBroker(dataDir, async (c) => {
    const ids: bigint[] = [];
    for (let v = 0; v <= 5; v++) {
      const r = await init(c, v);
      assert.equal(r.errorCode, 0);
      assert.equal(r.producerEpoch, 0);
      ids.push(r.producerId);
    }
    // Many at once share one block claim.
    const many = await Promise.all(Array.from({ length: 20 }, () => init(c, 4)));
    return [...ids, ...many.map((r) => r.producerId)];
  });
  assert.equal(new Set(first).size, first.length);
  const second = await withBroker(dataDir, async (c) => (await init(c, 4)).producerId);
  assert.ok(!first.includes(second));
  assert.ok(first.every((id) => id < second));
});

test('a producer id and epoch given without a transactional id still get a new id (KIP-360 is for transactions)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-pid-'));
  dirs.push(dataDir);
  await withBroker(dataDir, async (c) => {
    const a = await init(c, 4);
    const b = await c.request(InitProducerIdApi, 4, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: a.producerId,
      producerEpoch: 0,
    });
    assert.equal(b.errorCode, 0);
    assert.notEqual(b.producerId, a.producerId);
    assert.equal(b.producerEpoch, 0);
  });
});

test('transactional ids: empty INVALID_REQUEST, bad timeout INVALID_TRANSACTION_TIMEOUT, else NOT_COORDINATOR', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-pid-'));
  dirs.push(dataDir);
  await withBroker(dataDir, async (c) => {
    const codes = [
      (await init(c, 4, '')).errorCode,
      (await init(c, 4, 'tx', 0)).errorCode,
      (await init(c, 4, 'tx', 900_001)).errorCode,
      (await init(c, 4, 'tx')).errorCode,
      (await init(c, 0, 'tx')).errorCode,
    ];
    assert.deepEqual(codes, [42, 50, 50, 16, 16]);
    const r = await init(c, 5, 'tx');
    assert.equal(r.producerId, -1n);
    assert.equal(r.producerEpoch, -1);
  });
});

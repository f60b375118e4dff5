import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { ControllerElection, type ControllerState } from '../../src/cluster/controller-election.js';
import { LocalMetadataStore } from '../../src/cluster/local-metadata-store.js';
import { BrokerMembership, brokerKey } from '../../src/cluster/membership.js';
import { FencedError } from '../../src/cluster/metadata-store.js';

let dir: string;
let store: LocalMetadataStore;
let closers: (() => Promise<void>)[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-controller-'));
  store = LocalMetadataStore.inDataDir(dir);
  closers = [];
});
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function broker(brokerId: number) {
  const membership = await BrokerMembership.register({
    store,
    brokerId,
    endpoints: [{ listenerName: 'PLAINTEXT', host: '127.0.0.1', port: 9000 + brokerId }],
    sessionTimeoutMs: 5000,
    retryBackoffMs: 10,
  });
  const controller = ControllerElection.start({ store, membership, retryBackoffMs: 10 });
  closers.push(
    () => membership.close(),
    () => controller.close(),
  );
  return { membership, controller };
}

/** Resolves with the first state (now or later) that satisfies `ok`. */
function until(
  c: ControllerElection,
  ok: (s: ControllerState) => boolean,
): Promise<ControllerState> {
  return new Promise((resolve) => {
    if (ok(c.state())) return resolve(c.state());
    const off = c.onChange((s) => {
      if (!ok(s)) return;
      off();
      resolve(s);
    });
  });
}

test('a single broker elects itself controller', async () => {
  const { controller } = await broker(1);
  const s = await until(controller, (x) => x.isController);
  assert.equal(s.controllerId, 1);
  assert.ok((s.controllerEpoch ?? 0) > 0);
  assert.equal(controller.controllerId, 1);
  assert.ok(controller.fence);
});

test('one controller among brokers; it resigning on shutdown hands over with a larger epoch', async () => {
  const one = await broker(1);
  const first = await until(one.controller, (x) => x.isController);
  const two = await broker(2);
  const seenByTwo = await until(two.controller, (x) => x.controllerId === 1);
  assert.equal(seenByTwo.isController, false);
  assert.equal(seenByTwo.controllerEpoch, first.controllerEpoch);
  assert.equal(two.controller.fence, undefined);

  const oldFence = one.controller.fence!;
  await one.controller.close();
  const second = await until(two.controller, (x) => x.isController);
  assert.equal(second.controllerId, 2);
  assert.ok(second.controllerEpoch! > first.controllerEpoch!);
  await assert.rejects(store.put('/topics/x', {}, { fence: oldFence }), FencedError);
  await store.put('/topics/x', {}, { fence: two.controller.fence! });
});

test('a controller whose session is lost steps down at once; the next broker takes over', async () => {
  const one = await broker(1);
  await until(one.controller, (x) => x.isController);
  const two = await broker(2);
  await until(two.controller, (x) => x.controllerId === 1);
  const oneSteppedDown = until(one.controller, (x) => !x.isController);
  await store.delete(brokerKey(1));
  await oneSteppedDown;
  await until(two.controller, (x) => x.isController);
  // Broker 1 registers again and, behind broker 2 in line, follows it.
  const s = await until(one.controller, (x) => x.controllerId === 2);
  assert.equal(s.isController, false);
  await one.membership.whenRegistered();
});

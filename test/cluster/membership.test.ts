import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { LocalMetadataStore } from '../../src/cluster/local-metadata-store.js';
import {
  BrokerMembership,
  type BrokerRegistration,
  brokerKey,
  ensureClusterId,
  type BrokerMembership as Membership,
  type MembershipEvent,
} from '../../src/cluster/membership.js';
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js';

let dir: string;
let store: LocalMetadataStore;
let members: Membership[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-membership-'));
  store = LocalMetadataStore.inDataDir(dir);
  members = [];
});
afterEach(async () => {
  for (const m of members) await m.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function register(brokerId: number, extra: { registrationTimeoutMs?: number } = {}) {
  const m = await BrokerMembership.register({
    store,
    brokerId,
    rack: brokerId % 2 ? 'rack-a' : null,
    endpoints: [{ listenerName: 'PLAINTEXT', host: '127.0.0.1', port: 9000 + brokerId }],
    sessionTimeoutMs: 5000,
    retryBackoffMs: 10,
    ...extra,
  });
  members.push(m);
  return m;
}

function nextEvent(m: Membership, type: MembershipEvent['type']): Promise<MembershipEvent> {
  return new Promise((resolve) => {
    const off = m.onChange((e) => {
      if (e.type !== type) return;
      off();
      resolve(e);
    });
  });
}

test('brokers register under their lease and see each other come and go', async () => {
  const one = await register(1);
  const joined = nextEvent(one, 'brokerJoined');
  const two = await register(2);
  assert.equal(((await joined) as { broker: BrokerRegistration }).broker.brokerId, 2);
  assert.deepEqual(one.liveBrokerIds(), [1, 2]);
  assert.deepEqual(two.liveBrokerIds(), [1, 2]);
  assert.deepEqual(two.broker(1), one.registration);
  assert.equal(one.registration.rack, 'rack-a');
  assert.equal(two.registration.rack, null);
  assert.notEqual(one.registration.incarnationId, two.registration.incarnationId);
  const stored = await store.get<BrokerRegistration>(brokerKey(2));
  assert.equal(stored?.lease, two.lease?.id);

  const left = nextEvent(one, 'brokerLeft');
  await two.close();
  assert.equal(((await left) as { broker: BrokerRegistration }).broker.brokerId, 2);
  assert.deepEqual(one.liveBrokerIds(), [1]);
  assert.equal(await store.get(brokerKey(2)), undefined);
});

test('a second live broker with the same id is refused with DUPLICATE_BROKER_REGISTRATION', async () => {
  await register(1);
  await assert.rejects(
    register(1, { registrationTimeoutMs: 30 }),
    (err: unknown) =>
      err instanceof KafkaError &&
      err.code === ErrorCode.DUPLICATE_BROKER_REGISTRATION &&
      /node\.id=1/.test(err.message),
  );
});

test('a restarted broker waits for its previous registration to go away', async () => {
  const old = await register(3);
  const restarted = register(3, { registrationTimeoutMs: 10_000 });
  await new Promise((r) => setImmediate(r));
  await old.close();
  const m = await restarted;
  assert.equal(m.isRegistered, true);
  assert.equal(
    (await store.get<BrokerRegistration>(brokerKey(3)))?.value.incarnationId,
    m.registration.incarnationId,
  );
});

test('a broker whose registration disappears is told, and registers again', async () => {
  const one = await register(1);
  const watcher = await register(2);
  const firstLease = one.lease!;
  const events: string[] = [];
  one.onChange((e) => events.push(e.type));
  const restored = nextEvent(one, 'sessionRestored');
  const rejoined = nextEvent(watcher, 'brokerJoined');
  await store.delete(brokerKey(1));
  await restored;
  assert.deepEqual(events.slice(0, 2), ['brokerLeft', 'sessionLost']);
  assert.equal(firstLease.state, 'revoked');
  assert.notEqual(one.lease?.id, firstLease.id);
  const back = await store.get<BrokerRegistration>(brokerKey(1));
  assert.equal(back?.value.incarnationId, one.registration.incarnationId);
  assert.equal(back?.lease, one.lease?.id);
  await rejoined;
  assert.deepEqual(watcher.liveBrokerIds(), [1, 2]);
});

test('whenRegistered resolves with the session lease, or rejects when aborted', async () => {
  const one = await register(1);
  assert.equal(await one.whenRegistered(), one.lease);
  const abort = new AbortController();
  abort.abort(new Error('stop'));
  const restored = nextEvent(one, 'sessionRestored');
  await store.delete(brokerKey(1));
  // Between sessionLost and sessionRestored the broker is not registered.
  assert.equal(one.isRegistered, false);
  await assert.rejects(one.whenRegistered(abort.signal), /stop/);
  const lease = one.whenRegistered();
  await restored;
  assert.equal(await lease, one.lease);
});

test('the first cluster id stored wins', async () => {
  assert.equal(await ensureClusterId(store, 'first'), 'first');
  assert.equal(await ensureClusterId(store, 'second'), 'first');
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { LocalMetadataStore } from '../../src/cluster/local-metadata-store.js';
import {
  type ElectionLeader,
  FencedError,
  LeaseExpiredError,
  type WatchEvent,
} from '../../src/cluster/metadata-store.js';
import { ErrorCode } from '../../src/protocol/errors.js';

let dir: string;
let stores: LocalMetadataStore[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-local-store-'));
  stores = [];
});
afterEach(async () => {
  for (const s of stores) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(): LocalMetadataStore {
  const s = LocalMetadataStore.inDataDir(dir);
  stores.push(s);
  return s;
}

/** Resolves with the first value passed to the callback that `register` installs. */
function nextCall<T>(register: (cb: (value: T) => void) => unknown): Promise<T> {
  return new Promise((resolve) => register(resolve));
}

test('keys attached to a lease are never written to disk; the revision still only grows', async () => {
  const store = open();
  const lease = await store.grantLease(10_000);
  await store.put('/topics/a', { n: 1 });
  await store.put('/brokers/1', { host: 'x' }, { lease });
  assert.equal((await store.get('/brokers/1'))?.lease, lease.id);
  const revision = (await store.snapshot('/')).revision;
  const onDisk = JSON.parse(readFileSync(join(dir, 'cluster-metadata.json'), 'utf8'));
  assert.deepEqual(Object.keys(onDisk.entries), ['/topics/a']);
  assert.equal(onDisk.revision, revision);

  const reopened = open();
  assert.equal(await reopened.get('/brokers/1'), undefined);
  assert.deepEqual(
    (await reopened.list('/')).map((e) => e.key),
    ['/topics/a'],
  );
  assert.ok((await reopened.put('/topics/b', {})) > revision);
});

test('a lease without keep-alive expires: the holder hears first, then its keys are deleted', async () => {
  const store = open();
  const lease = await store.grantLease(30, { autoKeepAlive: false });
  await store.put('/brokers/1', { id: 1 }, { lease });
  const order: string[] = [];
  store.watch('/brokers/', (e) => order.push(`${e.type} ${e.key}`));
  const expired = nextCall<LeaseExpiredError>((cb) => lease.onExpired(cb));
  lease.onExpired(() => order.push('holder told'));
  const error = await expired;
  assert.ok(error instanceof LeaseExpiredError);
  assert.equal(error.code, ErrorCode.REQUEST_TIMED_OUT);
  assert.equal(error.retriable, true);
  assert.equal(lease.state, 'expired');
  assert.deepEqual(order, ['holder told', 'delete /brokers/1']);
  assert.equal(await store.get('/brokers/1'), undefined);
  await assert.rejects(lease.keepAlive(), LeaseExpiredError);
  await assert.rejects(store.put('/brokers/1', {}, { lease }), LeaseExpiredError);
});

test('keepAlive postpones expiry; revoke deletes the keys without calling onExpired', async (t) => {
  // Mocked clock: the point is the order of keep-alives and expiry, not real time.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const store = open();
  const lease = await store.grantLease(40, { autoKeepAlive: false });
  await store.put('/brokers/2', { id: 2 }, { lease });
  let told = false;
  lease.onExpired(() => {
    told = true;
  });
  for (let i = 0; i < 4; i++) {
    t.mock.timers.tick(30);
    await lease.keepAlive();
  }
  assert.equal(lease.state, 'alive', '120 ms after the grant, kept alive every 30 ms');
  assert.ok(await store.get('/brokers/2'));
  await lease.revoke();
  assert.equal(lease.state, 'revoked');
  assert.equal(await store.get('/brokers/2'), undefined);
  t.mock.timers.tick(100);
  assert.equal(told, false);

  const other = await store.grantLease(40, { autoKeepAlive: false });
  t.mock.timers.tick(39);
  assert.equal(other.state, 'alive');
  t.mock.timers.tick(1);
  assert.equal(other.state, 'expired');
});

test('createRevision survives updates and restarts, and is new after delete and re-create', async () => {
  const store = open();
  const r1 = await store.put('/topics/a', 1);
  const r2 = await store.put('/topics/a', 2);
  assert.deepEqual(await store.get('/topics/a'), {
    key: '/topics/a',
    value: 2,
    modRevision: r2,
    createRevision: r1,
  });
  assert.equal((await open().get('/topics/a'))?.createRevision, r1);
  await store.delete('/topics/a');
  const r4 = await store.put('/topics/a', 3);
  assert.equal((await store.get('/topics/a'))?.createRevision, r4);
});

test('a metadata file written before createRevision existed still loads', async () => {
  writeFileSync(
    join(dir, 'cluster-metadata.json'),
    JSON.stringify({
      version: 1,
      revision: 7,
      entries: { '/topics/t': { value: {}, modRevision: 7 } },
    }),
  );
  const entry = await open().get('/topics/t');
  assert.equal(entry?.createRevision, 7);
});

test('watching from a snapshot revision replays what changed in between, in order, once', async () => {
  const store = open();
  await store.put('/topics/a', 1);
  const snap = await store.snapshot('/topics/');
  await store.put('/topics/b', 2);
  await store.delete('/topics/a');
  await store.put('/other/x', 0);
  const events: WatchEvent[] = [];
  const unwatch = store.watch('/topics/', (e) => events.push(e), {
    fromRevision: snap.revision + 1,
  });
  assert.equal(events.length, 0, 'no callback before watch() returns');
  await store.put('/topics/c', 3);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.key}`),
    ['put /topics/b', 'delete /topics/a', 'put /topics/c'],
  );
  const revisions = events.map((e) => e.modRevision);
  assert.deepEqual(
    revisions,
    [...revisions].sort((a, b) => a - b),
  );
  unwatch();
  await store.put('/topics/d', 4);
  assert.equal(events.length, 3);
});

test('fenced writes fail with NOT_CONTROLLER once the fence key is gone', async () => {
  const store = open();
  const lease = await store.grantLease(10_000);
  const leadership = await store.campaign('controller', { brokerId: 1 }, lease);
  const fence = leadership.fence;
  await store.put('/topics/a', 1, { fence });
  assert.ok(await store.compareAndSwap('/topics/b', 0, 1, { fence }));
  await leadership.resign();
  const fenced = (err: unknown) =>
    err instanceof FencedError && err.code === ErrorCode.NOT_CONTROLLER;
  await assert.rejects(store.put('/topics/a', 2, { fence }), fenced);
  await assert.rejects(store.compareAndSwap('/topics/c', 0, 1, { fence }), fenced);
  await assert.rejects(store.delete('/topics/a', undefined, { fence }), fenced);
  assert.equal((await store.get('/topics/a'))?.value, 1);
});

test('election: the first candidate leads; resigning hands over to the next, with a larger epoch', async () => {
  const store = open();
  const seen: (ElectionLeader<{ id: number }> | undefined)[] = [];
  const stopObserving = store.observeLeader<{ id: number }>('controller', (l) => seen.push(l));
  const leaseA = await store.grantLease(10_000);
  const leaseB = await store.grantLease(10_000);
  const a = await store.campaign('controller', { id: 1 }, leaseA);
  assert.equal(a.isLeader, true);
  let bElected = false;
  const bCampaign = store.campaign('controller', { id: 2 }, leaseB).then((b) => {
    bElected = true;
    return b;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(bElected, false);
  assert.deepEqual(await store.leader('controller'), { value: { id: 1 }, epoch: a.epoch });

  let aLost = false;
  a.onLost(() => {
    aLost = true;
  });
  await a.resign();
  const b = await bCampaign;
  assert.equal(a.isLeader, false);
  assert.equal(aLost, false, 'resigning is not losing');
  assert.ok(b.epoch > a.epoch);
  assert.deepEqual(await store.leader('controller'), { value: { id: 2 }, epoch: b.epoch });
  await b.resign();
  assert.equal(await store.leader('controller'), undefined);
  await new Promise((r) => setImmediate(r));
  stopObserving();
  assert.deepEqual(
    seen.map((l) => l?.value.id),
    [undefined, 1, 2, undefined],
  );
});

test("election: the leader's lease expiring tells the leader and elects the next candidate", async () => {
  const store = open();
  const leaseA = await store.grantLease(30, { autoKeepAlive: false });
  const leaseB = await store.grantLease(10_000);
  const a = await store.campaign('controller', 'a', leaseA);
  const lost = nextCall((cb) => a.onLost(cb));
  const b = await store.campaign('controller', 'b', leaseB);
  assert.ok((await lost) instanceof LeaseExpiredError);
  assert.equal(a.isLeader, false);
  assert.equal(b.isLeader, true);
  assert.equal((await store.leader('controller'))?.value, 'b');
});

test('a campaign rejects when aborted or when its lease ends, and leaves no candidate behind', async () => {
  const store = open();
  const leader = await store.campaign('controller', 'a', await store.grantLease(10_000));
  const abort = new AbortController();
  const aborted = store.campaign('controller', 'b', await store.grantLease(10_000), {
    signal: abort.signal,
  });
  const shortLease = await store.grantLease(30, { autoKeepAlive: false });
  const expiring = store.campaign('controller', 'c', shortLease);
  await new Promise((r) => setImmediate(r));
  abort.abort(new Error('shutting down'));
  await assert.rejects(aborted, /shutting down/);
  await assert.rejects(expiring, LeaseExpiredError);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    (await store.list('/elections/controller/')).map((e) => e.value),
    ['a'],
  );
  const next = store.campaign('controller', 'd', await store.grantLease(10_000));
  await leader.resign();
  assert.equal((await next).value, 'd');
});

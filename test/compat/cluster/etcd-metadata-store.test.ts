// EtcdMetadataStore against a real etcd: compare-and-swap between two clients, watch order and
// resume across an etcd restart, lease expiry, elections, and behaviour while etcd is down.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { EtcdMetadataStore } from '../../../src/cluster/etcd-metadata-store.js';
import {
  FencedError,
  type Lease,
  LeaseExpiredError,
  MetadataStoreUnavailableError,
  type WatchEvent,
} from '../../../src/cluster/metadata-store.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { EtcdServer, etcdSkipReason } from './etcd-server.js';

const skip = etcdSkipReason();

describe('EtcdMetadataStore on a real etcd', { skip }, () => {
  let etcd: EtcdServer;
  let stores: EtcdMetadataStore[] = [];
  let prefixCount = 0;
  let prefix = '';
  const warnings: string[] = [];

  before(async () => {
    etcd = await EtcdServer.start();
  });
  after(async () => {
    await etcd?.destroy();
  });
  afterEach(async () => {
    if (etcd && !etcd.isRunning) await etcd.resume();
    for (const s of stores) await s.close();
    stores = [];
  });

  /** A store on this test's own prefix (several stores in one test share it). */
  function open(options: { samePrefix?: boolean; prefix?: string } = {}): EtcdMetadataStore {
    if (!options.samePrefix) prefix = `/samsa-test-${++prefixCount}`;
    const s = new EtcdMetadataStore({
      endpoints: [etcd.endpoint],
      prefix: options.prefix ?? prefix,
      requestTimeoutMs: 1000,
      logger: { info: () => {}, warn: (m) => warnings.push(m) },
    });
    stores.push(s);
    return s;
  }

  /** Collects watch events; `until` resolves once one satisfies the predicate. */
  function collect() {
    const events: WatchEvent[] = [];
    const waiters: { ok: (e: WatchEvent) => boolean; resolve: () => void }[] = [];
    return {
      events,
      onEvent: (e: WatchEvent) => {
        events.push(e);
        for (const w of [...waiters]) {
          if (w.ok(e)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        }
      },
      until: (ok: (e: WatchEvent) => boolean) =>
        new Promise<void>((resolve) => {
          if (events.some(ok)) return resolve();
          waiters.push({ ok, resolve });
        }),
    };
  }

  const expired = (lease: Lease) =>
    new Promise<LeaseExpiredError>((resolve) => lease.onExpired(resolve));

  /** Retries `fn` until it stops throwing (used only to wait for etcd to come back). */
  async function eventually<T>(fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  test('compare-and-swap between two stores: exactly one writer wins', async () => {
    const a = open();
    const b = open({ samePrefix: true });
    const r1 = await a.put('/topics/t', { v: 1 });
    const seenByB = await b.get<{ v: number }>('/topics/t');
    assert.deepEqual(seenByB, {
      key: '/topics/t',
      value: { v: 1 },
      modRevision: r1,
      createRevision: r1,
    });
    const r2 = await a.compareAndSwap('/topics/t', r1, { v: 2 });
    assert.ok(r2 !== undefined && r2 > r1);
    assert.equal(await b.compareAndSwap('/topics/t', r1, { v: 3 }), undefined, 'stale revision');
    assert.equal((await b.get<{ v: number }>('/topics/t'))?.value.v, 2);

    const both = await Promise.all([
      a.compareAndSwap('/topics/new', 0, 'a'),
      b.compareAndSwap('/topics/new', 0, 'b'),
    ]);
    assert.equal(both.filter((r) => r !== undefined).length, 1, 'one create wins');
    assert.equal(await a.delete('/topics/t', r1), false, 'delete at a stale revision');
    assert.equal(await b.delete('/topics/t', r2), true);
    assert.equal(await a.delete('/topics/t'), false, 'already gone');

    const other = open({ prefix: '/samsa-test-elsewhere' });
    await other.put('/topics/t', 'elsewhere');
    assert.deepEqual(
      (await a.list('/topics/')).map((e) => e.key),
      ['/topics/new'],
      'prefixes keep clusters apart',
    );
  });

  test('a watch from a snapshot revision reports every change once, in revision order', async () => {
    const a = open();
    const b = open({ samePrefix: true });
    await b.put('/topics/before', 0);
    const snap = await a.snapshot('/topics/');
    // Concurrent writes from another client, some of them after the watch is created.
    const writes = Array.from({ length: 10 }, (_, i) => b.put(`/topics/k${i}`, i));
    const c = collect();
    a.watch('/topics/', c.onEvent, { fromRevision: snap.revision + 1 });
    const revisions = await Promise.all(writes);
    revisions.push((await b.compareAndSwap('/topics/k0', revisions[0]!, 'changed'))!);
    await b.delete('/topics/before');
    const last = await b.put('/topics/last', 'end');
    await c.until((e) => e.modRevision === last);
    const seen = c.events.map((e) => e.modRevision);
    assert.deepEqual(
      seen,
      [...seen].sort((x, y) => x - y),
    );
    assert.equal(new Set(seen).size, seen.length, 'no repeats');
    const puts = c.events.filter((e) => e.type === 'put').map((e) => e.modRevision);
    assert.deepEqual(
      puts,
      [...revisions, last].sort((x, y) => x - y),
    );
    assert.deepEqual(
      c.events.filter((e) => e.type === 'delete').map((e) => e.key),
      ['/topics/before'],
    );
  });

  test('a watch resumes after etcd restarts, losing and repeating nothing', async () => {
    const a = open();
    const b = open({ samePrefix: true });
    const c = collect();
    a.watch('/topics/', c.onEvent, { fromRevision: (await a.snapshot('/')).revision + 1 });
    const revisions: number[] = [];
    for (let i = 0; i < 5; i++) revisions.push(await b.put(`/topics/before-${i}`, i));
    await c.until((e) => e.modRevision === revisions.at(-1));

    await etcd.kill();
    await etcd.resume();
    // Written while the watcher is still reconnecting (its backoff has grown during the outage).
    for (let i = 0; i < 5; i++)
      revisions.push(await eventually(() => b.put(`/topics/after-${i}`, i)));
    await c.until((e) => e.modRevision === revisions.at(-1));
    assert.deepEqual(
      c.events.map((e) => e.modRevision),
      revisions,
    );
    assert.deepEqual(
      c.events.map((e) => e.key),
      [0, 1, 2, 3, 4]
        .map((i) => `/topics/before-${i}`)
        .concat([0, 1, 2, 3, 4].map((i) => `/topics/after-${i}`)),
    );
  });

  test('an expiring lease tells its holder first, then etcd deletes its keys; a kept-alive one lives on', async () => {
    const a = open();
    const b = open({ samePrefix: true });
    const kept = await a.grantLease(1000);
    await a.put('/brokers/1', 'kept', { lease: kept });
    const dying = await a.grantLease(1000, { autoKeepAlive: false });
    await a.put('/brokers/2', 'dying', { lease: dying });
    assert.equal((await b.get('/brokers/2'))?.lease, dying.id);

    const order: string[] = [];
    const c = collect();
    b.watch('/brokers/', (e) => {
      order.push(`${e.type} ${e.key}`);
      c.onEvent(e);
    });
    const told = expired(dying).then((err) => {
      order.push('holder told');
      return err;
    });
    const err = await told;
    assert.equal(err.code, ErrorCode.REQUEST_TIMED_OUT);
    await c.until((e) => e.type === 'delete' && e.key === '/brokers/2');
    assert.deepEqual(order, ['holder told', 'delete /brokers/2']);
    assert.equal(dying.state, 'expired');
    await assert.rejects(a.put('/brokers/2', 'again', { lease: dying }), LeaseExpiredError);
    // The kept lease is older than the one that expired: it is alive only thanks to keep-alives.
    assert.equal(kept.state, 'alive');
    assert.equal((await b.get('/brokers/1'))?.value, 'kept');
  });

  test('a lease revoked by another client is noticed by its holder', async () => {
    const a = open();
    const b = open({ samePrefix: true });
    const lease = await a.grantLease(1000);
    await a.put('/brokers/1', 'x', { lease });
    const told = expired(lease);
    await b.revoke(lease.id);
    assert.ok((await told) instanceof LeaseExpiredError);
    assert.equal(await b.get('/brokers/1'), undefined);
  });

  test("election: the next candidate takes over when the leader's lease expires, and when it resigns", async () => {
    const a = open();
    const b = open({ samePrefix: true });
    const c = open({ samePrefix: true });
    const leaders: (string | undefined)[] = [];
    const observed = collect();
    c.observeLeader<string>('controller', (l) => {
      leaders.push(l?.value);
      observed.onEvent({
        type: 'put',
        key: String(l?.value),
        value: l,
        modRevision: 0,
        createRevision: 0,
      });
    });

    const aLease = await a.grantLease(1000, { autoKeepAlive: false });
    const aLeads = await a.campaign('controller', 'a', aLease);
    const aLost = new Promise((resolve) => aLeads.onLost(resolve));
    const bCampaign = b.campaign('controller', 'b', await b.grantLease(1000));
    await observed.until((e) => e.key === 'a');

    const bLeads = await bCampaign;
    assert.ok((await aLost) instanceof LeaseExpiredError);
    assert.equal(aLeads.isLeader, false);
    assert.ok(bLeads.epoch > aLeads.epoch);
    await assert.rejects(a.put('/topics/x', 1, { fence: aLeads.fence }), FencedError);
    await b.put('/topics/x', 1, { fence: bLeads.fence });

    const cCampaign = c.campaign('controller', 'c', await c.grantLease(1000));
    await observed.until((e) => e.key === 'b');
    await bLeads.resign();
    const cLeads = await cCampaign;
    assert.ok(cLeads.epoch > bLeads.epoch);
    assert.deepEqual((await a.leader('controller'))?.value, 'c');
    await observed.until((e) => e.key === 'c');
    assert.deepEqual(
      leaders.filter((l) => l !== undefined),
      ['a', 'b', 'c'],
    );
  });

  test('while etcd is down: retriable REQUEST_TIMED_OUT, leases lost in time; then it all recovers', async () => {
    const a = open();
    const b = open({ samePrefix: true });
    const lease = await a.grantLease(1000);
    await a.put('/brokers/1', 'alive', { lease });
    await a.put('/topics/t', 1);
    const c = collect();
    b.watch('/', c.onEvent, { fromRevision: (await b.snapshot('/')).revision + 1 });
    const told = expired(lease);

    await etcd.kill();
    const results = await Promise.allSettled([
      a.get('/topics/t'),
      a.snapshot('/topics/'),
      a.put('/topics/t', 2),
      a.compareAndSwap('/topics/t', 1, 3),
      a.delete('/topics/t'),
      a.grantLease(1000),
      EtcdMetadataStore.connect({ endpoints: [etcd.endpoint], connectTimeoutMs: 300 }),
    ]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const err = (r as PromiseRejectedResult).reason;
      assert.ok(err instanceof MetadataStoreUnavailableError, String(err));
      assert.equal(err.code, ErrorCode.REQUEST_TIMED_OUT);
      assert.equal(err.retriable, true);
      assert.match(err.message, /etcd at http:\/\/127\.0\.0\.1:\d+ did not complete/);
    }
    // The holder learns its lease is gone while etcd is still down.
    assert.ok((await told) instanceof LeaseExpiredError);
    assert.equal(etcd.isRunning, false);

    await etcd.resume();
    const revision = await eventually(() => a.put('/topics/t', 'after'));
    assert.equal((await b.get('/topics/t'))?.value, 'after');
    await c.until((e) => e.modRevision === revision);
    // etcd restores leases with a fresh TTL on restart; nobody renews this one, so it goes.
    await c.until((e) => e.type === 'delete' && e.key === '/brokers/1');
    const fresh = await a.grantLease(1000);
    await a.put('/brokers/1', 'back', { lease: fresh });
    assert.equal((await b.get('/brokers/1'))?.value, 'back');
  });
});

// Broker membership and controller election over a real etcd: several "brokers" (each with its
// own store client, as separate processes would have) register, elect one controller, and
// react to a lost session, a graceful shutdown and a whole etcd outage.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  ControllerElection,
  type ControllerState,
} from '../../../src/cluster/controller-election.js';
import { EtcdMetadataStore } from '../../../src/cluster/etcd-metadata-store.js';
import {
  BrokerMembership,
  brokerKey,
  type MembershipEvent,
} from '../../../src/cluster/membership.js';
import { EtcdServer, etcdSkipReason } from './etcd-server.js';

const skip = etcdSkipReason();

interface TestBroker {
  id: number;
  store: EtcdMetadataStore;
  membership: BrokerMembership;
  controller: ControllerElection;
  close(): Promise<void>;
}

describe('membership and controller election on a real etcd', { skip }, () => {
  let etcd: EtcdServer;
  let brokers: TestBroker[] = [];
  let prefixCount = 0;
  let prefix = '';

  before(async () => {
    etcd = await EtcdServer.start();
  });
  after(async () => {
    await etcd?.destroy();
  });
  afterEach(async () => {
    if (etcd && !etcd.isRunning) await etcd.resume();
    // Bounded: a close that waits on a loaded etcd must not hold the suite. (Seen once under
    // heavy CPU load; the next session should find out why a resign can take that long.)
    for (const b of brokers) {
      await Promise.race([b.close(), new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    brokers = [];
  });

  function newCluster() {
    prefix = `/samsa-members-${++prefixCount}`;
  }

  async function startBroker(id: number): Promise<TestBroker> {
    const store = await EtcdMetadataStore.connect({
      endpoints: [etcd.endpoint],
      prefix,
      requestTimeoutMs: 1000,
      connectTimeoutMs: 5000,
    });
    const membership = await BrokerMembership.register({
      store,
      brokerId: id,
      rack: `rack-${id % 2}`,
      endpoints: [{ listenerName: 'PLAINTEXT', host: '127.0.0.1', port: 9090 + id }],
      // Long enough that a starved event loop (CI on 2 cores) does not lose a session by
      // itself: the tests end sessions on purpose and expect exactly those events.
      sessionTimeoutMs: 3000,
      retryBackoffMs: 100,
    });
    const controller = ControllerElection.start({ store, membership, retryBackoffMs: 100 });
    let closed = false;
    const b: TestBroker = {
      id,
      store,
      membership,
      controller,
      close: async () => {
        if (closed) return;
        closed = true;
        await controller.close();
        await membership.close();
        await store.close();
      },
    };
    brokers.push(b);
    return b;
  }

  function until(b: TestBroker, ok: (s: ControllerState) => boolean): Promise<ControllerState> {
    return new Promise((resolve) => {
      if (ok(b.controller.state())) return resolve(b.controller.state());
      const off = b.controller.onChange((s) => {
        if (!ok(s)) return;
        off();
        resolve(s);
      });
    });
  }

  function nextEvent(b: TestBroker, type: MembershipEvent['type']): Promise<MembershipEvent> {
    return new Promise((resolve) => {
      const off = b.membership.onChange((e) => {
        if (e.type !== type) return;
        off();
        resolve(e);
      });
    });
  }

  /** Waits until every broker agrees on one controller, and returns it. */
  async function agreedController(among: TestBroker[]): Promise<TestBroker> {
    const first = await until(among[0]!, (s) => s.controllerId !== undefined);
    let id = first.controllerId!;
    for (;;) {
      const states = await Promise.all(
        among.map((b) => until(b, (s) => s.controllerId !== undefined)),
      );
      if (states.every((s) => s.controllerId === id)) break;
      id = states.find((s) => s.controllerId !== id)!.controllerId!;
      await new Promise((r) => setImmediate(r));
    }
    const controller = among.find((b) => b.id === id)!;
    await until(controller, (s) => s.isController);
    return controller;
  }

  async function allSee(among: TestBroker[], ids: number[]): Promise<void> {
    for (const b of among) {
      while (b.membership.liveBrokerIds().join() !== ids.join()) {
        await new Promise<void>((resolve) => {
          const off = b.membership.onChange(() => {
            off();
            resolve();
          });
        });
      }
    }
  }

  test('three brokers see each other and agree on one controller', async () => {
    newCluster();
    const all = [await startBroker(1), await startBroker(2), await startBroker(3)];
    await allSee(all, [1, 2, 3]);
    assert.equal(all[2]!.membership.broker(1)?.rack, 'rack-1');
    assert.equal(all[0]!.membership.broker(3)?.endpoints[0]?.port, 9093);
    const controller = await agreedController(all);
    assert.equal(all.filter((b) => b.controller.isController).length, 1);
    assert.equal(controller.id, 1, 'the first to campaign leads');
  });

  test('a controller whose session expires steps down; another takes over; it comes back as a follower', async () => {
    newCluster();
    const all = [await startBroker(1), await startBroker(2), await startBroker(3)];
    const old = await agreedController(all);
    const oldEpoch = old.controller.controllerEpoch!;
    const lost = nextEvent(old, 'sessionLost');
    const restored = nextEvent(old, 'sessionRestored');
    const steppedDown = until(old, (s) => !s.isController);
    // Revoking its lease from another client is what etcd does when the TTL runs out.
    const other = all.find((b) => b !== old)!;
    await other.store.revoke(old.membership.lease!.id);
    await lost;
    await steppedDown;
    const next = await until(
      other,
      (s) => s.controllerId !== undefined && s.controllerId !== old.id,
    );
    assert.ok(next.controllerEpoch! > oldEpoch);
    await restored;
    await allSee(all, [1, 2, 3]);
    const now = await agreedController(all);
    assert.notEqual(now.id, old.id);
  });

  test('a controller shutting down resigns: its registration goes at once and a successor is elected', async () => {
    newCluster();
    const all = [await startBroker(1), await startBroker(2)];
    const old = await agreedController(all);
    const survivor = all.find((b) => b !== old)!;
    const left = nextEvent(survivor, 'brokerLeft');
    await old.close();
    await left;
    assert.equal(await survivor.store.get(brokerKey(old.id)), undefined);
    // Which of the remaining brokers wins depends on the order their campaigns reached etcd,
    // which a loaded machine can change: wait for the two to agree, not for a given one.
    const remaining = all.filter((b) => b !== old);
    await Promise.all(
      remaining.map((b) =>
        until(b, (x) => x.controllerId !== undefined && x.controllerId !== old.id),
      ),
    );
    const next = await agreedController(remaining);
    assert.notEqual(next.id, old.id);
    assert.equal(remaining.filter((b) => b.controller.isController).length, 1);
  });

  test('when etcd is unreachable every broker loses its session and any controllership; all recover', async () => {
    newCluster();
    const all = [await startBroker(1), await startBroker(2)];
    const controller = await agreedController(all);
    const lost = all.map((b) => nextEvent(b, 'sessionLost'));
    const steppedDown = until(controller, (s) => !s.isController);
    await etcd.kill();
    await Promise.all(lost);
    await steppedDown;
    assert.equal(
      all.some((b) => b.controller.isController),
      false,
    );
    const restored = all.map((b) => nextEvent(b, 'sessionRestored'));
    await etcd.resume();
    await Promise.all(restored);
    await allSee(all, [1, 2]);
    await agreedController(all);
  });
});

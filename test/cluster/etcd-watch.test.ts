// EtcdWatch's resume and resync rules against a scripted etcd (the real one is exercised in
// test/compat/cluster/): which revision a reconnect asks for, and what a compaction reports.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { IKeyValue, IWatchResponse } from 'etcd3';
import { EtcdWatch, type WatchRpc } from '../../src/cluster/etcd-watch.js';
import type { WatchEvent } from '../../src/cluster/metadata-store.js';

class FakeStream extends EventEmitter {
  readonly requests: { create_request?: { start_revision?: number } }[] = [];
  ended = false;
  write(request: { create_request?: { start_revision?: number } }) {
    this.requests.push(request);
  }
  end() {
    this.ended = true;
  }
  cancel() {}
  respond(res: Partial<IWatchResponse>) {
    this.emit('data', {
      header: { revision: '0' },
      created: false,
      canceled: false,
      compact_revision: '0',
      cancel_reason: '',
      events: [],
      ...res,
    });
  }
}

function kv(key: string, rev: number, value: unknown = rev, created = rev): IKeyValue {
  return {
    key: Buffer.from(key),
    value: Buffer.from(JSON.stringify(value)),
    mod_revision: String(rev),
    create_revision: String(created),
    version: '1',
    lease: '0',
  };
}

function put(key: string, rev: number, value: unknown = rev) {
  return { type: 'Put' as const, kv: kv(key, rev, value), prev_kv: undefined as never };
}
function del(key: string, rev: number) {
  return { type: 'Delete' as const, kv: kv(key, rev), prev_kv: undefined as never };
}

class FakeEtcd implements WatchRpc {
  readonly streams: FakeStream[] = [];
  readonly warnings: string[] = [];
  readonly logger = { info: () => {}, warn: (m: string) => this.warnings.push(m) };
  /** What the next range() answers, by whether it is pinned to a revision. */
  ranges: { revision: number; kvs: IKeyValue[] }[] = [];
  readonly rangeCalls: { revision?: number; keysOnly?: boolean }[] = [];
  private waiting: ((s: FakeStream) => void)[] = [];

  async openWatchStream() {
    const s = new FakeStream();
    this.streams.push(s);
    for (const w of this.waiting.splice(0)) w(s);
    return s as never;
  }
  async range(_prefix: string, options: { revision?: number; keysOnly?: boolean }) {
    this.rangeCalls.push(options);
    const r = this.ranges.shift();
    if (!r) throw new Error('no range scripted');
    return r;
  }
  etcdRange() {
    return { key: Buffer.from('/t/'), range_end: Buffer.from('/t0') };
  }
  storeKey(k: Buffer) {
    return k.toString();
  }
  decode(k: IKeyValue) {
    return JSON.parse(k.value.toString());
  }
  /** Stream number `n` once the watch has set it up (sent its create request). */
  async nextStream(n: number): Promise<FakeStream> {
    const s = this.streams[n] ?? (await new Promise<FakeStream>((r) => this.waiting.push(r)));
    while (s.requests.length === 0) await new Promise((r) => setImmediate(r));
    return s;
  }
}

const startOf = (s: FakeStream) => s.requests[0]?.create_request?.start_revision;
const describe = (events: WatchEvent[]) => events.map((e) => `${e.type} ${e.key}@${e.modRevision}`);

test('a reconnect resumes after the last delivered revision, keeping same-revision events together', async () => {
  const etcd = new FakeEtcd();
  etcd.ranges.push({ revision: 4, kvs: [] });
  const events: WatchEvent[] = [];
  const w = new EtcdWatch(etcd, '/t/', (e) => events.push(e), undefined);
  const first = await etcd.nextStream(0);
  assert.equal(startOf(first), 5);
  first.respond({ created: true, header: { revision: '4' } as never });
  // One transaction changing two keys: both events carry revision 5.
  first.respond({ events: [put('/t/a', 5), put('/t/b', 5)], header: { revision: '9' } as never });
  first.respond({ events: [del('/t/a', 6)], header: { revision: '9' } as never });
  first.emit('error', new Error('14 UNAVAILABLE: connection reset'));

  const second = await etcd.nextStream(1);
  assert.equal(startOf(second), 7, 'resumes after the last event, not the header revision');
  second.respond({ created: true });
  second.respond({ events: [put('/t/c', 7)] });
  // A progress notification: nothing more up to 12.
  second.respond({ events: [], header: { revision: '12' } as never });
  second.emit('end');

  const third = await etcd.nextStream(2);
  assert.equal(startOf(third), 13);
  w.cancel();
  assert.deepEqual(describe(events), ['put /t/a@5', 'put /t/b@5', 'delete /t/a@6', 'put /t/c@7']);
  assert.equal(first.ended, true);
});

test('after a compaction the watch reports the difference: changed keys as puts, vanished ones as deletes', async () => {
  const etcd = new FakeEtcd();
  // Seeding (keys only, just before revision 11): x, y and gone exist.
  etcd.ranges.push({ revision: 10, kvs: [kv('/t/x', 3), kv('/t/y', 4), kv('/t/gone', 5)] });
  const events: WatchEvent[] = [];
  const w = new EtcdWatch(etcd, '/t/', (e) => events.push(e), 11);
  assert.deepEqual(etcd.rangeCalls[0], { revision: 10, keysOnly: true });
  const first = await etcd.nextStream(0);
  assert.equal(startOf(first), 11);
  first.respond({ events: [put('/t/new', 11)] });
  // The stream drops; by the time it is back etcd has compacted past 12.
  etcd.ranges.push({
    revision: 20,
    kvs: [kv('/t/new', 11), kv('/t/x', 3), kv('/t/y', 15, 'y2', 4), kv('/t/z', 17)],
  });
  first.respond({ canceled: true, compact_revision: '18' });

  const second = await etcd.nextStream(1);
  assert.equal(startOf(second), 21);
  w.cancel();
  assert.deepEqual(describe(events), [
    'put /t/new@11',
    'put /t/y@15',
    'put /t/z@17',
    'delete /t/gone@20',
  ]);
  assert.ok(etcd.warnings.some((m) => /compacted/.test(m)));
});

test('a listener that throws is logged and does not stop the watch', async () => {
  const etcd = new FakeEtcd();
  etcd.ranges.push({ revision: 1, kvs: [] });
  const seen: string[] = [];
  const w = new EtcdWatch(
    etcd,
    '/t/',
    (e) => {
      seen.push(e.key);
      if (e.key === '/t/bad') throw new Error('boom');
    },
    undefined,
  );
  const s = await etcd.nextStream(0);
  s.respond({ events: [put('/t/bad', 2), put('/t/good', 3)] });
  w.cancel();
  assert.deepEqual(seen, ['/t/bad', '/t/good']);
  assert.ok(etcd.warnings.some((m) => /boom/.test(m)));
});

// confluent-kafka for Python (librdkafka 2.x) consumer groups against a Samsa broker process:
// cooperative-sticky incremental rebalancing, static membership, commit/committed with
// metadata plus the AdminClient's group operations, and the KIP-848 consumer protocol.
// groups.py drives the clients and reports; the expectations (Kafka's behaviour) are here.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  COMPAT_DIR,
  type CompatBroker,
  compatSuite,
  type ExternalBroker,
  findPython,
  jsonLines,
  killClients,
  run,
  startCompatBroker,
  topicName,
} from '../support.js';

const python = findPython();
const script = join(COMPAT_DIR, 'groups', 'groups.py');

compatSuite(
  `consumer groups: confluent-kafka-python ${python.ok ? python.version : ''}`,
  [python],
  () => {
    let broker: CompatBroker | ExternalBroker;
    before(async () => {
      broker = await startCompatBroker({ 'group.min.session.timeout.ms': '1000' });
    });
    after(async () => {
      killClients();
      await broker?.stop();
    });

    async function scenario<T>(name: string): Promise<T> {
      if (!python.ok) throw new Error(python.why);
      const topic = topicName(`py-${name}`);
      const { stdout } = await run(
        python.path,
        [script, name, broker.bootstrap, topic, `${topic}-group`],
        {
          timeoutMs: 120_000,
        },
      );
      const [out] = jsonLines<T>(stdout);
      assert.ok(out, `groups.py ${name} printed no result:\n${stdout}`);
      return out;
    }

    test('cooperative-sticky: the first member gives up only what the second gets', async () => {
      const r = await scenario<{
        alone: boolean;
        shared: boolean;
        back: boolean;
        owned: { a: number[]; b: number[] };
        events: { a: [string, number[]][]; b: [string, number[]][] };
        consumed: number;
      }>('cooperative');
      assert.deepEqual([r.alone, r.shared, r.back], [true, true, true]);
      assert.equal(r.owned.a.length + r.owned.b.length, 6);
      assert.deepEqual(
        r.owned.a.filter((p) => r.owned.b.includes(p)),
        [],
      );
      // Incremental: the first revocation of a takes exactly what b receives, never all six.
      const firstRevoke = r.events.a.find(([kind]) => kind === 'revoke')!;
      assert.deepEqual(firstRevoke[1], r.owned.b);
      assert.equal(r.consumed, 60);
    });

    test('static membership: a restarted instance gets its partitions back, the other member sees nothing', async () => {
      const r = await scenario<{
        shared: boolean;
        back: boolean;
        before: { a: number[]; b: number[]; a_member: string };
        after: { a: number[]; b: number[]; a_member: string };
        b_events_during_restart: unknown[];
      }>('static');
      assert.deepEqual([r.shared, r.back], [true, true]);
      assert.deepEqual(r.after.a, r.before.a);
      assert.deepEqual(r.after.b, r.before.b);
      assert.notEqual(r.after.a_member, r.before.a_member);
      assert.match(r.after.a_member, /^instance-a-/);
      assert.deepEqual(r.b_events_during_restart, [], 'no rebalance');
    });

    test('commit/committed with metadata, positions, and the AdminClient group operations', async () => {
      const r = await scenario<Record<string, unknown>>('commit');
      assert.deepEqual(r.committed, [
        [0, 42, 'first', null],
        [1, 7, null, null],
        [2, -1001, null, null],
      ]);
      const everyPartitionAt2 = Array.from({ length: 6 }, (_, p) => [p, 2]);
      assert.deepEqual(r.committed_after_consuming, everyPartitionAt2);
      assert.deepEqual(r.positions, everyPartitionAt2);
      assert.ok((r.listed_stable as string[]).some((g) => g.endsWith('-group-live')));
      assert.deepEqual(r.described, {
        state: 'ConsumerGroupState.STABLE',
        members: 1,
        assignor: 'range',
        assigned: [0, 1, 2, 3, 4, 5],
      });
      assert.deepEqual(r.admin_offsets, [
        [0, 42],
        [1, 7],
      ]);
      assert.equal(r.deleted, true);
      assert.equal(r.committed_after_delete, -1001);
    });

    test('group.protocol=consumer (KIP-848): server-side assignment, disjoint, nothing lost', async () => {
      const r = await scenario<{
        alone: boolean;
        shared: boolean;
        back: boolean;
        owned: { a: number[]; b: number[] };
        consumed: number;
      }>('consumer');
      assert.deepEqual([r.alone, r.shared, r.back], [true, true, true]);
      assert.deepEqual([...r.owned.a, ...r.owned.b].sort(), [0, 1, 2, 3, 4, 5]);
      assert.equal(r.consumed, 60);
    });
  },
);

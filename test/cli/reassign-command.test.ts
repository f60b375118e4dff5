// `samsa cluster reassign|decommission|add-broker` against one embedded broker, as a user runs
// them: what can be checked without a second broker (a plan that changes nothing, --verify,
// --list, --dry-run) and the one-line failures (unregistered brokers, a replication factor the
// cluster cannot keep, a bad plan file). Moves between brokers: test/compat/cluster/.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type EmbeddedBroker, startBroker } from '../../src/broker/index.js';
import { fails, json, ok, samsa, tableRows } from './cli-harness.js';

let broker: EmbeddedBroker;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'samsa-reassign-cli-'));
before(async () => {
  broker = await startBroker({ port: 0 });
  env = { SAMSA_BOOTSTRAP: broker.bootstrap };
  await broker.broker.topics.createTopic({
    name: 'placed',
    numPartitions: 2,
    replicationFactor: 1,
    brokers: [1],
  });
});
after(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => samsa(args, { env });
function planFile(name: string, partitions: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ version: 1, partitions }));
  return file;
}

test('a plan that keeps the replicas completes at once; --verify says done; --list shows nothing', async () => {
  const file = planFile('same.json', [
    { topic: 'placed', partition: 0, replicas: [1] },
    { topic: 'placed', partition: 1, replicas: [1] },
  ]);
  const done = ok(await run('cluster', 'reassign', file));
  assert.match(done.stdout, /^Moved 2 partitions \(the plan in .*same\.json\) in [\d.]+ s\./);
  const rows = tableRows(done.stdout);
  assert.deepEqual(rows[1], ['TOPIC', 'PARTITION', 'LEADER', 'REPLICAS', 'ISR']);
  assert.deepEqual(rows[2], ['placed', '0', '1', '1', '1']);
  const verified = json<{ status: string }[]>(
    await run('cluster', 'reassign', '--verify', file, '--json'),
  );
  assert.deepEqual(
    verified.map((r) => r.status),
    ['done', 'done'],
  );
  const listed = ok(await run('cluster', 'reassign', '--list'));
  assert.equal(listed.stdout, '');
  assert.match(listed.stderr, /No partitions are being moved/);
  assert.deepEqual(json(await run('cluster', 'reassign', '--list', '--json')), []);
});

test('one-line errors: unregistered broker, nothing to cancel, bad plan, RF the cluster cannot keep', async () => {
  const far = planFile('far.json', [{ topic: 'placed', partition: 0, replicas: [7] }]);
  fails(
    await run('cluster', 'reassign', far),
    1,
    /^samsa: reassigning placed\/0: broker 7 is not registered \(INVALID_REPLICA_ASSIGNMENT\)$/,
  );
  fails(await run('cluster', 'reassign', '--cancel', far), 1, /NO_REASSIGNMENT_IN_PROGRESS\)$/);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"partitions":[{"topic":"placed"}]}');
  fails(
    await run('cluster', 'reassign', bad),
    2,
    /bad\.json: partitions\[0\] needs a partition number$/,
  );
  fails(
    await run('cluster', 'decommission', '1'),
    1,
    /^samsa: cannot move .* off broker 1: .*only 0 are live$/,
  );
  fails(
    await run('cluster', 'add-broker', '5'),
    1,
    /^samsa: broker 5 is not registered \(live brokers: 1\); start it first$/,
  );
  fails(await run('cluster', 'reassign', '--verify', '--list'), 2, /give one of/);
});

test('add-broker on a balanced one-broker cluster has nothing to move; --dry-run prints a plan', async () => {
  assert.match(
    ok(await run('cluster', 'add-broker', '1')).stdout,
    /^Nothing to move for broker 1\.\n$/,
  );
  const dry = JSON.parse(ok(await run('cluster', 'add-broker', '1', '--dry-run')).stdout);
  assert.deepEqual(dry, { version: 1, partitions: [] });
});

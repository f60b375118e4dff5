// What every `samsa` command does when the user gets something wrong: an unreachable broker is
// exit 1 and one line (quickly, not after the client's long default timeouts), a bad flag or
// value is exit 2 and one line; help is exit 0 on stdout.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { closedPort, fails, ok, samsa } from './cli-harness.js';

let nowhere: string;
before(async () => {
  nowhere = `127.0.0.1:${await closedPort()}`;
});

test('an unreachable broker: exit 1 and one line naming it, for every command', async () => {
  const commands = [
    ['topic', 'list'],
    ['topic', 'create', 't'],
    ['produce', 't'],
    ['consume', 't'],
    ['group', 'list'],
    ['cluster', 'info', '--json'],
    ['perf', 'produce', '--topic', 't', '--num-records', '1', '--record-size', '1'],
  ];
  await Promise.all(
    commands.map(async (args) => {
      const r = await samsa([...args, '--bootstrap', nowhere], { input: 'x\n' });
      fails(r, 1, new RegExp(`cannot reach ${nowhere}: connect ECONNREFUSED`));
    }),
  );
  // The environment variable is the fallback.
  fails(await samsa(['topic', 'list'], { env: { SAMSA_BOOTSTRAP: nowhere } }), 1, /cannot reach/);
});

test('bad flags, values and commands: exit 2 and one line', async () => {
  fails(
    await samsa(['topic', 'list', '--colour']),
    2,
    /unknown option '--colour' for 'samsa topic list'/,
  );
  fails(await samsa(['topic', 'list', '-z']), 2, /unknown option '-z'/);
  fails(await samsa(['topic', 'list', '--bootstrap']), 2, /option --bootstrap needs a value/);
  fails(await samsa(['topic', 'list', '--json=yes']), 2, /option --json takes no value/);
  fails(
    await samsa(['topic', 'list', '--bootstrap', 'localhost']),
    2,
    /--bootstrap expects host:port/,
  );
  fails(
    await samsa(['topic', 'list'], { env: { SAMSA_BOOTSTRAP: 'h:99999' } }),
    2,
    /SAMSA_BOOTSTRAP expects host:port/,
  );
  fails(
    await samsa(['topic', 'list', '--connect-timeout-ms', 'soon']),
    2,
    /--connect-timeout-ms expects a whole number/,
  );
  fails(await samsa(['topic', 'list', 'extra']), 2, /unexpected 'extra'/);
  fails(await samsa(['frobnicate']), 2, /unknown command 'frobnicate'/);
});

test('help: samsa --help and every command --help, exit 0 on stdout', async () => {
  const top = ok(await samsa(['--help']));
  for (const c of ['broker', 'topic', 'produce', 'consume', 'group', 'cluster', 'perf']) {
    assert.match(top.stdout, new RegExp(`^  ${c} `, 'm'));
  }
  const helps = await Promise.all(
    [
      ['topic'],
      ['produce', '--help'],
      ['consume', '-h'],
      ['group', '--help'],
      ['cluster', '--help'],
      ['perf', '--help'],
    ].map((a) => samsa(a)),
  );
  for (const h of helps) {
    ok(h);
    assert.match(h.stdout, /^Usage: samsa /);
    assert.match(h.stdout, /--bootstrap/);
    assert.equal(h.stderr, '');
  }
});

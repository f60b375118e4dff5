// `samsa broker` with bad configuration: one line naming the setting (or file), exit code 1,
// no stack trace, and nothing left listening.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `samsa broker ARGS` to exit (killed after 30 s, which fails the test). */
function samsaBroker(
  args: string[],
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'broker', ...args],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`samsa broker ${args.join(' ')} did not exit:\n${stderr}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

/**
 * Exit 1 and exactly one 'samsa:' line matching `names`. Other stderr lines may only be the
 * broker's own timestamped log lines; a stack trace fails.
 */
async function failsWith(args: string[], names: RegExp, exitCodes = [1]): Promise<string> {
  const { code, stderr, stdout } = await samsaBroker([
    '--override',
    `log.dirs=${dir}/data`,
    ...args,
  ]);
  assert.ok(exitCodes.includes(code!), `exit code ${code}; stderr:\n${stderr}`);
  assert.equal(stdout, '');
  const lines = stderr.trimEnd().split('\n');
  const messages = lines.filter((l) => l.startsWith('samsa:'));
  assert.equal(messages.length, 1, `one message line:\n${stderr}`);
  assert.match(messages[0]!, names);
  for (const l of lines) {
    assert.ok(l.startsWith('samsa:') || /^\d{4}-\d\d-\d\dT\S+ [A-Z]+ /.test(l), `stray line: ${l}`);
  }
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  return messages[0]!;
}

test('--override num.partitions=abc names num.partitions', async () => {
  await failsWith(['--override', 'num.partitions=abc'], /num\.partitions/);
});

test('an out-of-range or mistyped value names its setting', async () => {
  await failsWith(['--override', 'num.partitions=0'], /num\.partitions.*at least 1/);
  await failsWith(['--override', 'auto.create.topics.enable=yes'], /auto\.create\.topics\.enable/);
  await failsWith(['--override', 'listeners=nonsense'], /listeners/);
  // A broker default of a topic setting is checked by the topic's rules (segment.bytes >= 1 MiB).
  await failsWith(['--override', 'log.segment.bytes=65536'], /log\.segment\.bytes/);
});

test('a --config file that cannot be read names the file', async () => {
  await failsWith(['--config', join(dir, 'missing.properties')], /missing\.properties/);
  // A directory cannot be read as a file, even by root (for whom chmod 000 is no obstacle).
  await failsWith(['--config', dir], new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
});

test('a bad value inside the --config file names the setting', async () => {
  const file = join(dir, 'server.properties');
  writeFileSync(file, '# retention\nlog.retention.ms=soon\n');
  await failsWith(['--config', file], /log\.retention\.ms/);
});

test('a port in use names the listeners setting', async () => {
  const server: Server = createServer();
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  try {
    const line = await failsWith(
      ['--override', `listeners=PLAINTEXT://127.0.0.1:${port}`],
      /listeners/,
    );
    assert.match(line, new RegExp(`${port}`));
  } finally {
    server.close();
  }
});

test('an unknown option or a malformed --override is one line (a usage error: exit 1 or 2)', async () => {
  await failsWith(['--frobnicate'], /--frobnicate/, [1, 2]);
  await failsWith(['--override', 'novalue'], /novalue/, [1, 2]);
});

// Runs the `samsa` command the way a user does: a separate process, from source through tsx
// (so tests exercise the code as it is now, with no build step that could be stale or broken by
// someone else's half-finished file), stdin/stdout/stderr as pipes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(root, 'src/cli/main.ts');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to stdin, which is then closed (stdin is closed at once without it). */
  input?: string;
  env?: Record<string, string | undefined>;
  /** The process is killed after this (and the test fails). Default 60 s. */
  timeoutMs?: number;
}

/** Runs `samsa ARGS` to completion. */
export function samsa(args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env };
    delete env.SAMSA_DEBUG;
    delete env.FORCE_COLOR;
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: root,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `samsa ${args.join(' ')} did not exit in time\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Exit 0, with stderr shown when not. */
export function ok(r: Run): Run {
  assert.equal(r.code, 0, `exit code\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

/** Exit 0 and stdout parsed as one JSON document. */
export function json<T = unknown>(r: Run): T {
  ok(r);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    assert.fail(`stdout is not JSON:\n${r.stdout}`);
  }
}

/**
 * The failure contract: exit `code`, nothing on stdout, and stderr exactly one line
 * `samsa: ...` matching `pattern` (no stack trace, no client log noise).
 */
export function fails(r: Run, code: number, pattern: RegExp): string {
  assert.equal(r.code, code, `exit code\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `exactly one line on stderr:\n${r.stderr}`);
  assert.match(lines[0]!, /^samsa: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  return lines[0]!;
}

/** A TCP port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Lines of a text table, split on runs of two or more spaces. */
export function tableRows(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => l.trim().split(/ {2,}/));
}

// Shared plumbing for the third-party client suites (npm run test:compat): find each tool,
// skip locally or fail in CI when one is missing, start a broker process per suite, and run
// client commands with a deadline so a hung client fails the test instead of the run.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BrokerProcess, startBrokerProcess } from '../helpers/broker-process.js';

export const IN_CI = Boolean(process.env.CI);
export const CACHE = process.env.SAMSA_CACHE ?? join(homedir(), '.cache', 'samsa');
export const COMPAT_DIR = dirname(fileURLToPath(import.meta.url));
const INSTALL_HINT = 'run scripts/install-compat.sh';

/** A tool found on this machine, or why it is not there. */
export type Tool = { ok: true; path: string; version: string } | { ok: false; why: string };

function onPath(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function findKcat(): Tool {
  const path = onPath('kcat');
  if (!path) return { ok: false, why: `kcat not found on PATH (${INSTALL_HINT})` };
  const v = spawnSync(path, ['-V'], { encoding: 'utf8' }).stdout;
  const m = /Version (\S+).*librdkafka (\S+)/s.exec(v);
  return { ok: true, path, version: m ? `${m[1]} (librdkafka ${m[2]})` : 'unknown' };
}

export function findPython(): Tool {
  const path = process.env.SAMSA_PYTHON ?? join(CACHE, 'venv', 'bin', 'python');
  if (!existsSync(path)) return { ok: false, why: `${path} missing (${INSTALL_HINT})` };
  const r = spawnSync(
    path,
    ['-c', 'import confluent_kafka as c; print(c.version()[0], c.libversion()[0])'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) return { ok: false, why: `confluent_kafka not importable from ${path}` };
  const [ck, lib] = r.stdout.trim().split(' ');
  return { ok: true, path, version: `${ck} (librdkafka ${lib})` };
}

/** kafka-clients jars of one version (fetched by install-compat.sh) plus a javac to build with. */
export function findJavaClients(version: string): Tool {
  const libs = join(CACHE, `kafka-clients-${version}`, 'libs');
  if (!onPath('javac') || !onPath('java')) return { ok: false, why: `no JDK (${INSTALL_HINT})` };
  if (!existsSync(join(libs, '.complete'))) {
    return { ok: false, why: `${libs} missing (${INSTALL_HINT})` };
  }
  return { ok: true, path: libs, version };
}

/**
 * Declares a suite that needs `tools`. All present: `body` runs. One missing: in CI (env CI
 * set) a failing test says which; locally the suite is skipped with the same message.
 */
export function compatSuite(name: string, tools: Tool[], body: () => void): void {
  const missing = tools.filter((t): t is { ok: false; why: string } => !t.ok);
  if (missing.length === 0) {
    body();
    return;
  }
  const why = missing.map((t) => t.why).join('; ');
  if (IN_CI) {
    test(name, () => {
      throw new Error(`required compat tool missing in CI: ${why}`);
    });
  } else {
    test(name, { skip: why }, () => {});
  }
}

/** A broker child process with its own temp data dir; stop() kills it and removes the dir. */
export interface CompatBroker {
  bootstrap: string;
  port: number;
  process: BrokerProcess;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startCompatBroker(
  overrides: Record<string, string> = {},
): Promise<CompatBroker | ExternalBroker> {
  // Pointing the suites at Apache Kafka (tools/capture/kafka-broker.sh) checks the tests
  // themselves: what passes there and fails here is a Samsa bug, not a test bug.
  const external = process.env.SAMSA_COMPAT_EXTERNAL_BOOTSTRAP;
  if (external) return externalBroker(external);
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-compat-'));
  let proc: BrokerProcess;
  try {
    proc = await startBrokerProcess({
      dataDir,
      overrides: { 'group.initial.rebalance.delay.ms': '0', ...overrides },
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    bootstrap: proc.bootstrap,
    port: proc.port,
    process: proc,
    dataDir,
    async stop() {
      // A broker whose graceful stop hangs must not hang the suite.
      const force = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
      await proc.kill('SIGTERM');
      clearTimeout(force);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ExternalBroker {
  bootstrap: string;
  port: number;
  process: undefined;
  dataDir: undefined;
  stop(): Promise<void>;
}

function externalBroker(bootstrap: string): ExternalBroker {
  return {
    bootstrap,
    port: Number(bootstrap.split(':').pop()),
    process: undefined,
    dataDir: undefined,
    stop: async () => {},
  };
}

/** A topic name unique to this run, so suites can share an external broker. */
export function topicName(base: string): string {
  return `${base}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

/**
 * Runs a client command to completion. A non-zero exit or a timeout rejects with the command's
 * stderr, so a failing assertion shows what the client said.
 */
export function run(
  cmd: string,
  args: string[],
  options: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdin!.on('error', () => {});
    child.stdin!.end(options.input ?? '');
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      const result = { code, signal, stdout, stderr };
      const shown = `${cmd} ${args.join(' ')}`.slice(0, 300);
      if (timedOut) {
        reject(new Error(`timed out after ${timeoutMs} ms: ${shown}\nstderr:\n${tail(stderr)}`));
      } else if (code !== 0) {
        reject(
          new Error(
            `exit ${code ?? signal}: ${shown}\nstderr:\n${tail(stderr)}\nstdout:\n${tail(stdout)}`,
          ),
        );
      } else resolve(result);
    });
  });
}

function tail(s: string, lines = 40): string {
  return s.split('\n').slice(-lines).join('\n');
}

/** Kills client processes still running (after a failed assertion); call from after(). */
export function killClients(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

/** JSON documents printed one per line, ignoring anything else a client logs to stdout. */
export function jsonLines<T = unknown>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as T);
}

/**
 * Compiles test/compat/java/*.java against one kafka-clients version into a cache folder named
 * by the sources' hash, so reruns skip javac; returns the classpath to run with.
 */
export function compileJava(libs: string, version: string): string {
  const srcDir = join(COMPAT_DIR, 'java');
  const sources = readdirSync(srcDir)
    .filter((f) => f.endsWith('.java'))
    .sort()
    .map((f) => join(srcDir, f));
  const hash = createHash('sha256');
  for (const s of sources) hash.update(readFileSync(s));
  const classes = join(CACHE, `compat-java-${version}`, hash.digest('hex').slice(0, 16));
  if (!existsSync(join(classes, '.complete'))) {
    rmSync(classes, { recursive: true, force: true });
    mkdirSync(classes, { recursive: true });
    const r = spawnSync('javac', ['-nowarn', '-d', classes, '-cp', `${libs}/*`, ...sources], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`javac failed:\n${r.stderr}`);
    mkdirSync(join(classes, '.complete'));
  }
  return `${classes}:${libs}/*`;
}

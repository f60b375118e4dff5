// Runs `samsa broker` as a real child process (through tsx, from source) on a free port, for
// tests that kill it with SIGKILL or talk to it from third-party clients. Every process started
// here is registered and killed by stopAllBrokers(), which tests call from after().
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const running = new Set<ChildProcess>();

export interface BrokerProcess {
  port: number;
  bootstrap: string;
  child: ChildProcess;
  /** Everything the broker wrote to stderr so far (its log). */
  output(): string;
  /** Sends a signal and waits for the process to exit; resolves with its exit code or signal. */
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function startBrokerProcess(options: {
  dataDir: string;
  overrides?: Record<string, string>;
  port?: number;
  timeoutMs?: number;
}): Promise<BrokerProcess> {
  const overrides = {
    'log.dirs': options.dataDir,
    listeners: `PLAINTEXT://127.0.0.1:${options.port ?? 0}`,
    ...options.overrides,
  };
  const args = ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'broker'];
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, SAMSA_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let log = '';
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(signal ?? code ?? -1);
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`broker did not start in time:\n${log}`)),
      options.timeoutMs ?? 30_000,
    );
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /ready on [^\s,]+:(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', (c: Buffer) => {
      log += c.toString();
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${how}) before it was ready:\n${log}`));
    });
  });
  return {
    port,
    bootstrap: `127.0.0.1:${port}`,
    child,
    output: () => log,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Kills every broker process still running; call from after() so failures leave nothing behind. */
export async function stopAllBrokers(): Promise<void> {
  const waits = [...running].map(
    (child) =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}

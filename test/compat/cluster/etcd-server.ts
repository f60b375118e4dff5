// Starts a real etcd for a test file: loopback only, free ports, a temp data dir, and a kill
// on exit even when a test fails. In CI (env CI set) a missing etcd binary fails the suite;
// elsewhere the suite is skipped with a message.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** ETCD_BIN when set (and only it), else etcd on PATH or in /usr/bin (Debian's etcd-server). */
export function findEtcd(): string | undefined {
  const candidates = process.env.ETCD_BIN
    ? [process.env.ETCD_BIN]
    : [...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'etcd')), '/usr/bin/etcd'];
  for (const c of candidates) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {}
  }
  return undefined;
}

/** `false` when etcd can be run; a skip message otherwise. Throws in CI when it is missing. */
export function etcdSkipReason(): string | false {
  if (findEtcd()) return false;
  const why = 'etcd not found (set ETCD_BIN, or run scripts/install-compat.sh)';
  if (process.env.CI) throw new Error(`${why}: the cluster compat tests must run in CI`);
  process.stderr.write(`# skipping etcd tests: ${why}\n`);
  return why;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** PEM files for an etcd serving TLS and checking client certificates. */
export interface EtcdTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

async function waitForPort(port: number, until: number, log: () => string): Promise<void> {
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`etcd did not open its client port: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

export class EtcdServer {
  private child: ChildProcess | undefined;
  private stderr: string[] = [];

  private constructor(
    private readonly bin: string,
    readonly dataDir: string,
    readonly clientPort: number,
    readonly peerPort: number,
    private readonly tls?: EtcdTls,
  ) {}

  /** With `tls`, clients speak https and must present a certificate signed by `tls.caFile`. */
  static async start(options: { tls?: EtcdTls } = {}): Promise<EtcdServer> {
    const bin = findEtcd();
    if (!bin) throw new Error('etcd binary not found');
    const server = new EtcdServer(
      bin,
      mkdtempSync(join(tmpdir(), 'samsa-etcd-')),
      await freePort(),
      await freePort(),
      options.tls,
    );
    await server.resume();
    return server;
  }

  get endpoint(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.clientPort}`;
  }

  get isRunning(): boolean {
    return this.child !== undefined;
  }

  /** Starts etcd again on the same ports and data (after kill()). */
  async resume(): Promise<void> {
    if (this.child) return;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    this.stderr = [];
    const child = spawn(
      this.bin,
      [
        '--name=samsa-test',
        `--data-dir=${join(this.dataDir, 'data')}`,
        `--listen-client-urls=${this.endpoint}`,
        `--advertise-client-urls=${this.endpoint}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=samsa-test=${peer}`,
        '--initial-cluster-state=new',
        // A short election timeout lets etcd grant 1 s leases (its minimum TTL is 1.5 x that).
        '--heartbeat-interval=50',
        '--election-timeout=250',
        '--logger=zap',
        '--log-level=error',
        ...(this.tls
          ? [
              `--cert-file=${this.tls.certFile}`,
              `--key-file=${this.tls.keyFile}`,
              `--trusted-ca-file=${this.tls.caFile}`,
              '--client-cert-auth',
            ]
          : []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    running.add(child);
    this.child = child;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr.push(chunk);
      if (this.stderr.length > 50) this.stderr.shift();
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => {
        running.delete(child);
        if (this.child === child) this.child = undefined;
        reject(new Error(`etcd exited (${code ?? signal}): ${this.stderr.join('').slice(-2000)}`));
      }),
    );
    exited.catch(() => {});
    await Promise.race([this.waitHealthy(), exited]);
  }

  /** SIGKILL, as a crash or a pulled plug; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /** Kills etcd and removes its data. Safe to call twice and after a failed start. */
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async waitHealthy(): Promise<void> {
    const until = Date.now() + 15_000;
    // Over TLS /health wants a client certificate: an open port is enough, clients retry.
    if (this.tls) return waitForPort(this.clientPort, until, () => this.stderr.join(''));
    for (;;) {
      try {
        const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) });
        const body = (await res.json()) as { health?: string };
        if (body.health === 'true') return;
      } catch {}
      if (Date.now() > until)
        throw new Error(`etcd did not become healthy: ${this.stderr.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

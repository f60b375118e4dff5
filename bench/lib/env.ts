// What the report says about the machine and the software, and where the tools live.
// Tools outside the repo come from the same cache as the compatibility tests
// (scripts/install-compat.sh writes $SAMSA_CACHE/env.sh); nothing here is committed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, homedir, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';

export const CACHE = process.env.SAMSA_CACHE ?? join(homedir(), '.cache/samsa');
/** Extra Node clients for the client comparison live here, outside the repo. */
export const BENCH_CLIENTS_DIR = join(CACHE, 'bench-clients');
/** The newest 1.x: 2.x needs Node >= 22.22 and the project runs on Node 20. */
export const PLATFORMATIC_VERSION = '1.35.0';

function capture(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`;
}

export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
}

export function machineInfo(dataDir: string): Record<string, string> {
  const cpu = cpus();
  const fs = capture('df', ['-T', dataDir])?.trim().split('\n')[1]?.split(/\s+/)[1];
  return {
    cpu: cpu[0]?.model ?? '?',
    cores: String(cpu.length),
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `Linux ${release()}`,
    'data dirs': `${dataDir} (${fs ?? '?'})`,
  };
}

export function repoVersion(repo: string): string {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
  const rev = capture('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'])?.trim() ?? '?';
  const dirty = capture('git', [
    '-C',
    repo,
    'status',
    '--porcelain',
    '--untracked-files=no',
    'src',
  ])?.trim();
  return `${pkg.version} (git ${rev}${dirty ? ', with uncommitted changes in src/' : ''})`;
}

export function javaVersion(java: string): string | undefined {
  return capture(java, ['-version'])?.split('\n')[0]?.trim();
}

export function kcatVersion(): string | undefined {
  const out = capture('kcat', ['-V']);
  if (!out) return undefined;
  const m = /Version ([^\s]+) .*?librdkafka ([^\s]+)/.exec(out);
  return m ? `${m[1]} (librdkafka ${m[2]})` : 'unknown version';
}

export function pythonWithConfluent(): { python: string; version: string } | undefined {
  const candidates = [process.env.SAMSA_PYTHON, join(CACHE, 'venv/bin/python')].filter(
    (x): x is string => !!x && existsSync(x),
  );
  for (const python of candidates) {
    const out = capture(python, [
      '-c',
      'import confluent_kafka as c; print(c.version(), "(librdkafka", c.libversion()[0] + ")")',
    ]);
    if (out) return { python, version: out.trim() };
  }
  return undefined;
}

export function packageVersion(dir: string, name: string): string | undefined {
  const p = join(dir, 'node_modules', name, 'package.json');
  if (!existsSync(p)) return undefined;
  return (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
}

/** Installs @platformatic/kafka into the bench cache (outside the repo) when missing. */
export function ensurePlatformatic(): { dir?: string; version?: string; problem?: string } {
  let version = packageVersion(BENCH_CLIENTS_DIR, '@platformatic/kafka');
  if (!version) {
    try {
      execFileSync(
        'npm',
        [
          'install',
          '--prefix',
          BENCH_CLIENTS_DIR,
          '--no-audit',
          '--no-fund',
          '--silent',
          `@platformatic/kafka@${PLATFORMATIC_VERSION}`,
        ],
        { stdio: 'pipe', timeout: 300_000 },
      );
    } catch (err) {
      return {
        problem: `@platformatic/kafka could not be installed: ${(err as Error).message.split('\n')[0]}`,
      };
    }
    version = packageVersion(BENCH_CLIENTS_DIR, '@platformatic/kafka');
  }
  return version
    ? { dir: join(BENCH_CLIENTS_DIR, 'node_modules'), version }
    : { problem: '@platformatic/kafka missing after install' };
}

/** Fetches Kafka's jars (mvn, cached) through the capture script; returns the libs dir. */
export function kafkaLibs(repo: string, version: string): string {
  const out = execFileSync(join(repo, 'tools/capture/kafka-broker.sh'), ['fetch'], {
    env: { ...process.env, KAFKA_VERSION: version },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 900_000,
  });
  return out.trim().split('\n').pop()!;
}

/** True once the CLI has a `perf` command (the hook in generators.ts). */
export function cliHasPerf(repo: string, entry: string): boolean {
  const r = spawnSync(process.execPath, [entry, 'perf', '--help'], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return r.status === 0;
}

/**
 * Bytes of log segments (*.log) under a data dir. Not `du`: Kafka preallocates sparse 10 MB
 * index files per segment, which would count as data.
 */
export function segmentBytes(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.log')) total += statSync(p).size;
    }
  };
  walk(dir);
  return total;
}

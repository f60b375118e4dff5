// The broker the client tests run against: by default an embedded Samsa broker
// (startBroker({ port: 0 })); with SAMSA_TEST_TARGET=kafka a real Apache Kafka (KRaft, one
// node) started through tools/capture/kafka-broker.sh in a temp run dir on a free port. One
// broker per test file: start it in `before`, stop it in `after`.
//
// A test states the APIs it needs; it is skipped only when the target is Samsa and Samsa's
// ApiVersions answer lacks one of them, with the reason printed.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { Connection } from '../../src/client/connection.js';
import { ApiKey, apiCodec } from '../../src/protocol/messages/index.js';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '../../tools/capture/kafka-broker.sh');

export type TargetKind = 'samsa' | 'kafka';

export interface Target {
  kind: TargetKind;
  /** "127.0.0.1:PORT" */
  bootstrap: string;
  /** API keys the broker advertises. */
  apiKeys: ReadonlySet<number>;
  /** Skips the test (returning true) when the target is Samsa and lacks one of `apis`. */
  skipUnless(t: TestContext, ...apis: number[]): boolean;
  stop(): Promise<void>;
}

export function targetKind(): TargetKind {
  const v = process.env.SAMSA_TEST_TARGET ?? 'samsa';
  if (v !== 'samsa' && v !== 'kafka')
    throw new Error(`SAMSA_TEST_TARGET must be samsa or kafka, not ${v}`);
  return v;
}

/** Starts the broker this run tests against. */
export async function startTarget(
  options: { kafkaProps?: Record<string, string> } = {},
): Promise<Target> {
  return targetKind() === 'kafka' ? startKafka(options.kafkaProps ?? {}) : startSamsa();
}

async function advertisedApis(bootstrap: string): Promise<Set<number>> {
  const [host, port] = bootstrap.split(':') as [string, string];
  const c = await Connection.connect({ host, port: Number(port), clientId: 'samsa-test-probe' });
  try {
    return new Set(c.apiVersions.keys());
  } finally {
    c.close();
  }
}

function makeTarget(
  kind: TargetKind,
  bootstrap: string,
  apiKeys: Set<number>,
  stop: () => Promise<void>,
): Target {
  return {
    kind,
    bootstrap,
    apiKeys,
    skipUnless(t, ...apis) {
      if (kind !== 'samsa') return false;
      const missing = apis.filter((k) => !apiKeys.has(k));
      if (missing.length === 0) return false;
      const names = missing.map((k) => apiCodec(k)?.name ?? String(k)).join(', ');
      const reason = `the Samsa broker does not serve ${names} yet (not in its ApiVersions)`;
      t.skip(reason);
      return true;
    },
    stop,
  };
}

async function startSamsa(): Promise<Target> {
  const { startBroker } = await import('../../src/broker/index.js');
  const broker = await startBroker({ port: 0 });
  try {
    return makeTarget('samsa', broker.bootstrap, await advertisedApis(broker.bootstrap), () =>
      broker.stop(),
    );
  } catch (err) {
    await broker.stop();
    throw err;
  }
}

async function startKafka(props: Record<string, string>): Promise<Target> {
  const runDir = mkdtempSync(join(tmpdir(), 'samsa-client-kafka-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_RUN_DIR: runDir,
    KAFKA_EXTRA_PROPS: Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  };
  delete env.KAFKA_PORT;
  delete env.KAFKA_CONTROLLER_PORT;
  delete env.KAFKA_INTERNAL_PORT;
  delete env.KAFKA_ADVERTISED;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    try {
      await run(SCRIPT, ['stop'], { env });
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  };
  // If the test process dies before `after` runs, do not leave a JVM behind.
  const killOnExit = () => {
    try {
      process.kill(Number(readFileSync(join(runDir, 'pid'), 'utf8')), 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.on('exit', killOnExit);
  try {
    const { stdout } = await run(SCRIPT, ['start'], { env, timeout: 180_000 });
    const port = Number(stdout.trim().split('\n').pop());
    if (!Number.isInteger(port) || port <= 0)
      throw new Error(`kafka-broker.sh start printed '${stdout}'`);
    const bootstrap = `127.0.0.1:${port}`;
    return makeTarget('kafka', bootstrap, await advertisedApis(bootstrap), stop);
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** APIs the producer and consumer tests need (topics are created through the admin client). */
export const PRODUCE_CONSUME_APIS = [
  ApiKey.Metadata,
  ApiKey.CreateTopics,
  ApiKey.Produce,
  ApiKey.Fetch,
  ApiKey.ListOffsets,
];
export const GROUP_APIS = [
  ...PRODUCE_CONSUME_APIS,
  ApiKey.FindCoordinator,
  ApiKey.JoinGroup,
  ApiKey.SyncGroup,
  ApiKey.Heartbeat,
  ApiKey.LeaveGroup,
  ApiKey.OffsetCommit,
  ApiKey.OffsetFetch,
];

let counter = 0;
/** A topic name unique within this run. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

// The two brokers under test, started the same way: a child process on fixed loopback ports,
// a data dir of its own, timed from spawn to the first useful Metadata answer (probe.ts).
//
// Kafka is launched here rather than through tools/capture/kafka-broker.sh because the bench
// needs what that script does not offer: restarting on the same data dir (recovery after
// SIGKILL), Kafka's stock JVM flags (the script uses C1-only JIT, which would handicap Kafka),
// and start-up timing finer than its 0.5 s poll. The script still fetches the jars (mvn).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitReady } from './probe.js';
import { readMemory, type Started, shellLine, signalGroup, start } from './proc.js';

/** The two brokers under test, and the null broker that measures a generator's ceiling. */
export type BrokerKind = 'kafka' | 'samsa' | 'null';

/** Settings both brokers get, in Kafka's names (Samsa reads the same ones). */
export const SHARED_SETTINGS: Record<string, string> = {
  'num.partitions': '1',
  'default.replication.factor': '1',
  'offsets.topic.replication.factor': '1',
  'offsets.topic.num.partitions': '1',
  'group.initial.rebalance.delay.ms': '0',
  'auto.create.topics.enable': 'true',
  'delete.topic.enable': 'true',
  // Kafka's defaults, spelled out so both sides provably run with them: 1 GiB segments,
  // 7 days of retention, no size limit, and no fsync per write (flush left to the OS).
  'log.segment.bytes': '1073741824',
  'log.retention.hours': '168',
  'log.retention.bytes': '-1',
};

/** Kafka's stock start script flags (kafka-server-start.sh / kafka-run-class.sh). */
export const KAFKA_JVM_FLAGS = [
  '-Xmx1G',
  '-Xms1G',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
  '-Djava.awt.headless=true',
];

export interface BrokerUnderTest {
  kind: BrokerKind;
  port: number;
  dataDir: string;
  /** The command line of the last start, for the report. */
  commandLine: string;
  pid(): number | undefined;
  /** Starts (fresh wipes the data dir first); resolves with ms from spawn to ready. */
  start(options?: { fresh?: boolean; readyTopic?: string; nodeArgs?: string[] }): Promise<number>;
  /** Graceful stop (SIGTERM), waits for exit. */
  stop(): Promise<void>;
  /** SIGKILL, waits for exit. */
  kill(): Promise<void>;
  output(): string;
}

abstract class ChildBroker implements BrokerUnderTest {
  abstract kind: BrokerKind;
  commandLine = '';
  protected proc: Started | undefined;

  constructor(
    readonly port: number,
    readonly dataDir: string,
  ) {}

  pid(): number | undefined {
    return this.proc?.isRunning() ? this.proc.pid : undefined;
  }

  output(): string {
    return this.proc?.output() ?? '';
  }

  protected abstract spawn(nodeArgs: string[]): Started;
  protected prepare(_fresh: boolean): void {}

  async start(
    options: { fresh?: boolean; readyTopic?: string; nodeArgs?: string[] } = {},
  ): Promise<number> {
    if (this.proc?.isRunning()) throw new Error(`${this.kind} is already running`);
    const fresh = options.fresh ?? true;
    if (this.dataDir) {
      if (fresh) rmSync(this.dataDir, { recursive: true, force: true });
      mkdirSync(this.dataDir, { recursive: true });
    }
    this.prepare(fresh);
    const since = performance.now();
    const proc = this.spawn(options.nodeArgs ?? []);
    this.proc = proc;
    try {
      return await waitReady({
        port: this.port,
        since,
        alive: () => proc.isRunning(),
        topic: options.readyTopic,
        timeoutMs: 300_000,
      });
    } catch (err) {
      signalGroup(proc.pid, 'SIGKILL');
      throw new Error(`${this.kind}: ${(err as Error).message}\n${proc.output().slice(-3000)}`);
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p?.isRunning()) return;
    signalGroup(p.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(p.pid, 'SIGKILL'), 60_000);
    await p.exited;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    const p = this.proc;
    if (!p?.isRunning()) return;
    signalGroup(p.pid, 'SIGKILL');
    await p.exited;
  }
}

export class SamsaBroker extends ChildBroker {
  readonly kind = 'samsa';

  /** `entry` is dist/cli/main.js (compiled) or src/cli/main.ts run through tsx. */
  constructor(
    port: number,
    dataDir: string,
    private readonly entry: { script: string; tsx: boolean; cwd: string },
  ) {
    super(port, dataDir);
  }

  protected spawn(nodeArgs: string[]): Started {
    const args = [...nodeArgs];
    if (this.entry.tsx) args.push('--import', 'tsx');
    args.push(this.entry.script, 'broker');
    const settings = {
      ...SHARED_SETTINGS,
      'log.dirs': this.dataDir,
      listeners: `PLAINTEXT://127.0.0.1:${this.port}`,
    };
    for (const [k, v] of Object.entries(settings)) args.push('--override', `${k}=${v}`);
    this.commandLine = shellLine('node', args);
    return start(process.execPath, args, { cwd: this.entry.cwd, env: { ...process.env } });
  }
}

export class KafkaBroker extends ChildBroker {
  readonly kind = 'kafka';

  constructor(
    port: number,
    private readonly controllerPort: number,
    dataDir: string,
    private readonly libs: string,
    private readonly java = 'java',
  ) {
    super(port, dataDir);
  }

  get runDir(): string {
    return `${this.dataDir}-run`;
  }

  protected override prepare(fresh: boolean): void {
    mkdirSync(this.runDir, { recursive: true });
    if (!fresh) return;
    // A fresh KRaft node needs a formatted metadata log; the format is not part of start-up.
    const props = join(this.runDir, 'server.properties');
    writeFileSync(props, this.serverProperties());
    writeFileSync(
      join(this.runDir, 'log4j.properties'),
      [
        'log4j.rootLogger=INFO, F',
        'log4j.appender.F=org.apache.log4j.FileAppender',
        `log4j.appender.F.File=${join(this.runDir, 'server.log')}`,
        'log4j.appender.F.layout=org.apache.log4j.PatternLayout',
        'log4j.appender.F.layout.ConversionPattern=[%d] %p %m (%c)%n',
        '',
      ].join('\n'),
    );
    const clusterId = Buffer.from(crypto.getRandomValues(new Uint8Array(16)))
      .toString('base64url')
      .slice(0, 22);
    execFileSync(
      this.java,
      [
        ...this.logFlags(),
        '-cp',
        `${this.libs}/*`,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        props,
      ],
      { stdio: 'pipe' },
    );
  }

  private logFlags(): string[] {
    return [
      `-Dlog4j.configuration=file:${join(this.runDir, 'log4j.properties')}`,
      `-Dkafka.logs.dir=${this.runDir}`,
    ];
  }

  private serverProperties(): string {
    const settings = {
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.voters': `1@127.0.0.1:${this.controllerPort}`,
      listeners: `PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${this.port}`,
      'inter.broker.listener.name': 'PLAINTEXT',
      'controller.listener.names': 'CONTROLLER',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'log.dirs': this.dataDir,
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      ...SHARED_SETTINGS,
    };
    return `${Object.entries(settings)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`;
  }

  protected spawn(): Started {
    const args = [
      ...KAFKA_JVM_FLAGS,
      ...this.logFlags(),
      '-cp',
      `${this.libs}/*`,
      'kafka.Kafka',
      join(this.runDir, 'server.properties'),
    ];
    this.commandLine = shellLine(this.java, args).replace(this.libs, '$KAFKA_LIBS');
    return start(this.java, args, { env: { ...process.env } });
  }
}

/**
 * bench/lib/null-broker.ts in its own process: answers Produce without storing anything, so a
 * load generator run against it shows how fast that generator can go on this machine at all.
 */
export class NullBroker extends ChildBroker {
  readonly kind = 'null';

  /** `retain`: topics whose batches it keeps in memory, so consumers can read them back. */
  constructor(
    port: number,
    private readonly repoDir: string,
    private readonly retain: readonly string[] = [],
  ) {
    super(port, '');
  }

  protected override prepare(): void {}

  protected spawn(nodeArgs: string[]): Started {
    const args = [
      ...nodeArgs,
      '--import',
      'tsx',
      join(this.repoDir, 'bench/lib/null-broker.ts'),
      String(this.port),
      SHARED_SETTINGS['num.partitions']!,
      this.retain.join(','),
    ];
    this.commandLine = shellLine('node', args).replace(this.repoDir, '.');
    return start(process.execPath, args, { cwd: this.repoDir, env: { ...process.env } });
  }
}

/** Idle memory after the broker has been left alone for settleMs. */
export async function idleMemory(broker: BrokerUnderTest, settleMs: number) {
  await new Promise((r) => setTimeout(r, settleMs));
  const pid = broker.pid();
  return pid === undefined ? undefined : readMemory(pid);
}

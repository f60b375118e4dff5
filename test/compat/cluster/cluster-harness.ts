// A cluster of `samsa broker` processes on one real etcd, for the third-party failover tests and
// bench/cluster-bench.ts: start, SIGKILL/SIGTERM and restart brokers on their own ports and
// data, and read a partition's leader and ISR from whichever broker still answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '../../../src/client/connection.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { CreateTopicsApi } from '../../../src/protocol/messages/create-topics.js';
import { MetadataApi, type MetadataResponse } from '../../../src/protocol/messages/metadata.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import { type BrokerProcess, startBrokerProcess } from '../../helpers/broker-process.js';
import { EtcdServer } from './etcd-server.js';

export interface ClusterNode {
  id: number;
  dataDir: string;
  /** Kept across restarts, so clients' bootstrap lists stay valid. */
  port: number;
  proc: BrokerProcess | undefined;
}

export interface PartitionState {
  leader: number;
  epoch: number;
  isr: number[];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it gives a value (errors count as not yet), or throws after `ms`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export class EtcdCluster {
  readonly nodes = new Map<number, ClusterNode>();
  /** Logs of broker processes already stopped, so a failure can show what happened. */
  pastLogs = '';
  private readonly root = mkdtempSync(join(tmpdir(), 'samsa-cluster-'));

  private constructor(
    readonly etcd: EtcdServer,
    private readonly overrides: Record<string, string>,
  ) {}

  /** etcd and `size` brokers (node ids 1..size), all started in parallel. */
  static async start(size: number, overrides: Record<string, string> = {}): Promise<EtcdCluster> {
    const etcd = await EtcdServer.start();
    const cluster = new EtcdCluster(etcd, overrides);
    try {
      for (let id = 1; id <= size; id++) {
        cluster.nodes.set(id, {
          id,
          dataDir: join(cluster.root, `broker-${id}`),
          port: 0,
          proc: undefined,
        });
      }
      await Promise.all([...cluster.nodes.values()].map((n) => cluster.startNode(n)));
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  get bootstrap(): string {
    return [...this.nodes.values()].map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  node(id: number): ClusterNode {
    return this.nodes.get(id)!;
  }

  alive(): ClusterNode[] {
    return [...this.nodes.values()].filter((n) => n.proc && n.proc.child.exitCode === null);
  }

  async startNode(node: ClusterNode): Promise<void> {
    node.proc = await startBrokerProcess({
      dataDir: node.dataDir,
      port: node.port,
      timeoutMs: 60_000,
      overrides: {
        'node.id': String(node.id),
        'metadata.store': `etcd://127.0.0.1:${this.etcd.clientPort}`,
        'metadata.store.prefix': '/samsa-cluster',
        'broker.session.timeout.ms': '2000',
        'replica.lag.time.max.ms': '5000',
        'replica.fetch.wait.max.ms': '200',
        'auto.create.topics.enable': 'false',
        'group.initial.rebalance.delay.ms': '0',
        ...this.overrides,
      },
    });
    node.port = node.proc.port;
  }

  /** Stops a broker with `signal` and waits for it to exit; its log is kept in pastLogs. */
  async stopNode(node: ClusterNode, signal: NodeJS.Signals): Promise<void> {
    if (!node.proc) return;
    await node.proc.kill(signal);
    this.pastLogs += `--- broker ${node.id} (${signal}) ---\n${node.proc.output()}\n`;
    node.proc = undefined;
  }

  async withConnection<T>(port: number, work: (c: Connection) => Promise<T>): Promise<T> {
    const c = await Connection.connect({
      host: '127.0.0.1',
      port,
      clientId: 'cluster-harness',
      connectTimeoutMs: 2000,
      requestTimeoutMs: 8000,
    });
    try {
      return await work(c);
    } finally {
      c.close();
    }
  }

  metadata(port: number, topics: string[] = []): Promise<MetadataResponse> {
    return this.withConnection(port, (c) =>
      c.send(
        MetadataApi,
        {
          topics: topics.map((name) => ({ name, topicId: ZERO_UUID })),
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        },
        { version: 12 },
      ),
    );
  }

  /** Leader, epoch and ISR of one partition as the first live broker that knows a leader says. */
  async partitionState(topic: string, partition = 0): Promise<PartitionState | undefined> {
    for (const n of this.alive()) {
      const md = await this.metadata(n.port, [topic]).catch(() => undefined);
      const p = md?.topics[0]?.partitions.find((x) => x.partitionIndex === partition);
      if (p && p.errorCode === ErrorCode.NONE && p.leaderId >= 0) {
        return { leader: p.leaderId, epoch: p.leaderEpoch ?? -1, isr: p.isrNodes };
      }
    }
    return undefined;
  }

  /** Waits until every replica of the partition is in its ISR. */
  fullIsr(topic: string, partition = 0, ms = 60_000): Promise<PartitionState> {
    return until(
      `a full ISR of ${topic}-${partition}`,
      async () => {
        const s = await this.partitionState(topic, partition);
        return s && s.isr.length === this.nodes.size ? s : undefined;
      },
      ms,
    );
  }

  async createTopic(
    name: string,
    numPartitions: number,
    replicationFactor: number,
    configs: Record<string, string> = {},
  ): Promise<void> {
    const port = this.alive()[0]!.port;
    const res = await this.withConnection(port, (c) =>
      c.send(
        CreateTopicsApi,
        {
          topics: [
            {
              name,
              numPartitions,
              replicationFactor,
              assignments: [],
              configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
            },
          ],
          timeoutMs: 10_000,
          validateOnly: false,
        },
        { version: 5 },
      ),
    );
    const t = res.topics[0]!;
    if (t.errorCode !== ErrorCode.NONE) {
      throw new Error(`CreateTopics ${name}: error ${t.errorCode} ${t.errorMessage ?? ''}`);
    }
    for (let p = 0; p < numPartitions; p++) {
      await until(`a leader for ${name}-${p}`, () => this.partitionState(name, p));
    }
  }

  /** Every broker's log (stopped ones too), for a failing test to print. */
  logs(): string {
    const live = [...this.nodes.values()]
      .filter((n) => n.proc)
      .map((n) => `--- broker ${n.id} (running) ---\n${n.proc!.output()}\n`);
    return this.pastLogs + live.join('');
  }

  /** SIGKILLs every broker and etcd and removes their data; safe after a failed start. */
  async destroy(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.proc?.kill('SIGKILL')));
    await this.etcd.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }
}

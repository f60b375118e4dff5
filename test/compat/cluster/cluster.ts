// Three `samsa broker` processes sharing a real etcd, for tests that kill and restart brokers
// under client load: each broker keeps its port across restarts (so a client's bootstrap list
// stays valid), and the test can ask any live broker for metadata, the ISR and a coordinator.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '../../../src/client/connection.js';
import { FindCoordinatorApi } from '../../../src/protocol/messages/find-coordinator.js';
import { MetadataApi, type MetadataResponse } from '../../../src/protocol/messages/metadata.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import {
  type BrokerProcess,
  startBrokerProcess,
  stopAllBrokers,
} from '../../helpers/broker-process.js';
import { EtcdServer } from './etcd-server.js';

export interface ClusterNode {
  id: number;
  dataDir: string;
  port: number;
  proc: BrokerProcess | undefined;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (errors count as not yet). */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve()
      .then(check)
      .catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(200);
  }
}

export class BrokerCluster {
  readonly nodes = new Map<number, ClusterNode>();
  /** Logs of broker processes that were stopped, kept for the failure report. */
  private pastLogs = '';

  private constructor(
    private readonly etcd: EtcdServer,
    private readonly root: string,
    private readonly overrides: Record<string, string>,
  ) {}

  static async start(
    ids: number[],
    overrides: Record<string, string> = {},
  ): Promise<BrokerCluster> {
    const etcd = await EtcdServer.start();
    const cluster = new BrokerCluster(etcd, mkdtempSync(join(tmpdir(), 'samsa-cluster-')), {
      'metadata.store': `etcd://127.0.0.1:${etcd.clientPort}`,
      'metadata.store.prefix': '/samsa-cluster-test',
      ...overrides,
    });
    for (const id of ids) {
      cluster.nodes.set(id, {
        id,
        dataDir: join(cluster.root, `broker-${id}`),
        port: 0,
        proc: undefined,
      });
    }
    try {
      await Promise.all([...cluster.nodes.values()].map((n) => cluster.startNode(n)));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get bootstrap(): string[] {
    return [...this.nodes.values()].map((n) => `127.0.0.1:${n.port}`);
  }

  async startNode(node: ClusterNode): Promise<void> {
    node.proc = await startBrokerProcess({
      dataDir: node.dataDir,
      port: node.port,
      timeoutMs: 60_000,
      overrides: { 'node.id': String(node.id), ...this.overrides },
    });
    node.port = node.proc.port;
  }

  /** Stops a broker with `signal` (SIGTERM: controlled shutdown) and starts it again. */
  async stopNode(id: number, signal: NodeJS.Signals): Promise<void> {
    const node = this.nodes.get(id)!;
    // A graceful stop that hangs must not hang the test.
    const force = setTimeout(() => node.proc?.child.kill('SIGKILL'), 30_000);
    await node.proc!.kill(signal);
    clearTimeout(force);
    this.pastLogs += `--- broker ${id} (stopped with ${signal}) ---\n${node.proc!.output()}`;
    node.proc = undefined;
  }

  alive(): ClusterNode[] {
    return [...this.nodes.values()].filter((n) => n.proc && n.proc.child.exitCode === null);
  }

  async withConnection<T>(port: number, work: (c: Connection) => Promise<T>): Promise<T> {
    const c = await Connection.connect({
      host: '127.0.0.1',
      port,
      clientId: 'cluster-test',
      connectTimeoutMs: 2000,
      requestTimeoutMs: 8000,
    });
    try {
      return await work(c);
    } finally {
      c.close();
    }
  }

  /** Metadata from the first live broker that answers. */
  async metadata(topics: string[]): Promise<MetadataResponse> {
    for (const n of this.alive()) {
      const md = await this.withConnection(n.port, (c) =>
        c.send(
          MetadataApi,
          {
            topics: topics.map((name) => ({ name, topicId: ZERO_UUID })),
            allowAutoTopicCreation: false,
            includeTopicAuthorizedOperations: false,
          },
          { version: 12 },
        ),
      ).catch(() => undefined);
      if (md) return md;
    }
    throw new Error('no live broker answered Metadata');
  }

  /** Every partition of the topics has a leader and all three replicas in its ISR. */
  async waitFullIsr(topics: string[], ms = 90_000): Promise<void> {
    await until(
      `a full ISR on ${topics.join(', ')}`,
      async () => {
        const md = await this.metadata(topics);
        const full = md.topics.every(
          (t) =>
            t.errorCode === 0 &&
            t.partitions.length > 0 &&
            t.partitions.every(
              (p) => p.errorCode === 0 && p.leaderId >= 0 && p.isrNodes.length === this.nodes.size,
            ),
        );
        return full ? true : undefined;
      },
      ms,
    );
  }

  /** The group's coordinator as a live broker names it (retrying while it is not available). */
  async findCoordinator(groupId: string, ms = 60_000): Promise<number> {
    return until(
      `a coordinator for ${groupId}`,
      async () => {
        for (const n of this.alive()) {
          const r = await this.withConnection(n.port, (c) =>
            c.send(FindCoordinatorApi, { key: groupId, keyType: 0 }, { version: 2 }),
          ).catch(() => undefined);
          if (r && r.errorCode === 0 && r.nodeId !== undefined && r.nodeId >= 0) return r.nodeId;
        }
        return undefined;
      },
      ms,
    );
  }

  /** The brokers' logs (stopped ones too), for a failing test's report. */
  logs(): string {
    const current = [...this.nodes.values()]
      .map((n) => `--- broker ${n.id} ---\n${n.proc?.output() ?? '(not running)'}`)
      .join('\n');
    return `${this.pastLogs}\n${current}`;
  }

  async stop(): Promise<void> {
    await stopAllBrokers();
    await this.etcd.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }
}

// The broker process: owns the listener, the connections and the domain objects handlers
// call into. Everything runs on one event loop, so domain state needs no locks; handlers and
// domain objects must simply not yield (await) in the middle of a state change.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { LocalMetadataStore } from '../cluster/local-metadata-store.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
import { ReplicaManager } from '../cluster/replica-manager.js';
import { TopicRegistry } from '../cluster/topic-registry.js';
import { groupCoordinatorConfig } from '../coordinator/group/config.js';
import { GroupCoordinator } from '../coordinator/group/coordinator.js';
import { randomUuid } from '../protocol/primitives/uuid.js';
import { LogManager } from '../storage/log-manager.js';
import { type BrokerConfig, ConfigError, parseListener } from './config.js';
import { Connection } from './connection.js';
import type { Handler } from './handler.js';
import { createLogger, type Logger } from './logger.js';
import { loadHandlers, Router } from './router.js';
import { brokerDefaultLogConfig, topicLogConfig } from './topic-config.js';

export interface Endpoint {
  listenerName: string;
  host: string;
  port: number;
}

export class Broker {
  readonly config: BrokerConfig;
  readonly log: Logger;
  readonly router: Router;
  readonly nodeId: number;
  /** Kept in meta.properties in the data dir, like Kafka, so it survives restarts. */
  readonly clusterId: string;
  /** What clients are told to connect to (advertised.listeners, else the bound address). */
  advertised: Endpoint[] = [];
  readonly metadataStore: MetadataStore;
  readonly topics: TopicRegistry;
  readonly logManager: LogManager;
  readonly replicaManager: ReplicaManager;
  readonly groupCoordinator: GroupCoordinator;
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  private stopping: Promise<void> | undefined;

  private constructor(
    config: BrokerConfig,
    router: Router,
    log: Logger,
    store: MetadataStore,
    topics: TopicRegistry,
  ) {
    this.config = config;
    this.router = router;
    this.log = log;
    this.nodeId = config.nodeId;
    this.clusterId = loadOrCreateClusterId(config);
    this.metadataStore = store;
    this.topics = topics;
    const defaults = brokerDefaultLogConfig(config);
    const storageLog = log.child('storage');
    this.logManager = LogManager.open({
      dataDir: config.dataDir,
      defaultConfig: defaults,
      configFor: (name) => topicLogConfig(defaults, topics.topic(name)?.configs ?? {}),
      logger: { info: (m) => storageLog.info(m), warn: (m) => storageLog.warn(m) },
      retentionCheckIntervalMs: config.long('log.retention.check.interval.ms'),
      producerIdExpirationMs: config.int('producer.id.expiration.ms'),
    });
    this.replicaManager = new ReplicaManager(this.nodeId, topics, this.logManager, (t) =>
      topicLogConfig(defaults, t.configs),
    );
    this.logManager.startSchedulers();
    this.groupCoordinator = new GroupCoordinator({
      nodeId: this.nodeId,
      config: groupCoordinatorConfig(config),
      topics,
      replicaManager: this.replicaManager,
      liveBrokerIds: () => this.liveBrokerIds(),
      log: log.child('group-coordinator'),
    });
  }

  /** The broker's ids for topic creation: just this one until cluster mode. */
  liveBrokerIds(): number[] {
    return [this.nodeId];
  }

  static async start(
    config: BrokerConfig,
    options: { log?: Logger; handlers?: Handler[] } = {},
  ): Promise<Broker> {
    const log = options.log ?? createLogger();
    const router = new Router(options.handlers ?? (await loadHandlers()));
    mkdirSync(config.dataDir, { recursive: true });
    const store = LocalMetadataStore.inDataDir(config.dataDir);
    const topics = await TopicRegistry.load(store);
    const broker = new Broker(config, router, log, store, topics);
    try {
      await broker.listen();
    } catch (err) {
      await broker.stop();
      throw err;
    }
    log.info(
      `Samsa broker ${broker.nodeId} ready on ${broker.advertised.map((e) => `${e.host}:${e.port}`).join(', ')} (cluster ${broker.clusterId}, data in ${config.dataDir})`,
    );
    return broker;
  }

  private async listen(): Promise<void> {
    const bound: Endpoint[] = [];
    for (const spec of this.config.list('listeners')) {
      const l = parseListener(spec);
      const server = createServer((socket) => this.accept(socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) =>
          reject(
            err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL'
              ? new ConfigError(
                  `Cannot listen on ${l.host}:${l.port} (setting listeners): ${err.code}`,
                )
              : err,
          ),
        );
        server.listen(l.port, l.host, () => resolve());
      });
      this.servers.push(server);
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : l.port;
      bound.push({ listenerName: l.name, host: l.host === '0.0.0.0' ? '127.0.0.1' : l.host, port });
    }
    const advertised = this.config
      .list('advertised.listeners')
      .map((s) => parseListener(s, 'advertised.listeners'));
    this.advertised =
      advertised.length > 0
        ? advertised.map((a) => ({ listenerName: a.name, host: a.host, port: a.port }))
        : bound;
  }

  private accept(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, this, this.nextConnectionId++, this.log);
    this.connections.add(conn);
  }

  /** Called by a connection when its socket closes. */
  connectionClosed(conn: Connection): void {
    this.connections.delete(conn);
  }

  /** The port of the first listener, for tests and embedders that asked for port 0. */
  get port(): number {
    return this.advertised[0]!.port;
  }

  /** Graceful stop: refuse new connections, close existing ones, flush and close logs. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const s of this.servers) s.close();
      for (const c of this.connections) c.close('broker shutting down', 'debug');
      this.groupCoordinator.close();
      this.replicaManager.close();
      this.topics.close();
      try {
        this.logManager.close();
      } finally {
        await this.metadataStore.close();
      }
      this.log.info(`Samsa broker ${this.nodeId} stopped`);
    })();
    return this.stopping;
  }
}

function loadOrCreateClusterId(config: BrokerConfig): string {
  const configured = config.raw('cluster.id');
  const path = join(config.dataDir, 'meta.properties');
  if (existsSync(path)) {
    const m = /^cluster\.id=(.*)$/m.exec(readFileSync(path, 'utf8'));
    const stored = m?.[1]?.trim();
    if (stored) {
      if (configured && configured !== stored) {
        throw new ConfigError(
          `Setting cluster.id=${configured} does not match cluster ${stored} of the data in ${config.dataDir}`,
        );
      }
      return stored;
    }
  }
  const id = configured ?? randomUuid();
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `version=1\ncluster.id=${id}\nnode.id=${config.nodeId}\n`);
  renameSync(tmp, path);
  return id;
}

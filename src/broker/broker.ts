// The broker process: owns the listener, the connections and the domain objects handlers
// call into. Everything runs on one event loop, so domain state needs no locks; handlers and
// domain objects must simply not yield (await) in the middle of a state change.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Controller } from '../cluster/controller.js';
import { ControllerElection } from '../cluster/controller-election.js';
import { HighWatermarkCheckpoints } from '../cluster/high-watermark-checkpoints.js';
import { BrokerMembership, ensureClusterId } from '../cluster/membership.js';
import {
  type MetadataStore,
  openMetadataStore,
  parseMetadataStoreSetting,
} from '../cluster/metadata-store.js';
import { ReplicaFetcherManager } from '../cluster/replica-fetcher.js';
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
import { metadataStoreSecurity } from './metadata-store-security.js';
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
  /** This broker's registration and the live set; set once registered (start()). */
  membership: BrokerMembership | undefined;
  controllerElection: ControllerElection | undefined;
  private controller: Controller | undefined;
  private replicaFetchers: ReplicaFetcherManager | undefined;
  /** metadata.store is etcd: several brokers share the metadata. */
  readonly clusterMode: boolean;
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
    clusterId: string,
    clusterMode: boolean,
  ) {
    this.config = config;
    this.router = router;
    this.log = log;
    this.nodeId = config.nodeId;
    this.clusterId = clusterId;
    this.clusterMode = clusterMode;
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
      // Retention and compaction must not pass what consumers may see: the replica manager's
      // high watermark, which in a cluster trails the log end until followers catch up.
      highWatermarkOf: (tp) =>
        this.replicaManager?.partition(tp.topic, tp.partition)?.highWatermark,
      cleaner: {
        enable: config.bool('log.cleaner.enable'),
        threads: config.int('log.cleaner.threads'),
        dedupeBufferSize: config.long('log.cleaner.dedupe.buffer.size'),
        ioBufferSize: config.int('log.cleaner.io.buffer.size'),
        ioBufferLoadFactor: Number(config.raw('log.cleaner.io.buffer.load.factor')),
        ioMaxBytesPerSecond: Number(config.raw('log.cleaner.io.max.bytes.per.second')),
        backoffMs: config.long('log.cleaner.backoff.ms'),
      },
    });
    const clusterLog = log.child('cluster');
    this.replicaManager = new ReplicaManager(
      this.nodeId,
      topics,
      this.logManager,
      (t) => topicLogConfig(defaults, t.configs),
      {
        replicaLagTimeMaxMs: config.long('replica.lag.time.max.ms'),
        fenceStartupLeadership: clusterMode,
        highWatermarkCheckpoints: new HighWatermarkCheckpoints({
          dataDir: config.dataDir,
          logger: storageLog,
        }).load(),
        highWatermarkCheckpointIntervalMs: config.long(
          'replica.high.watermark.checkpoint.interval.ms',
        ),
        logger: { info: (m) => clusterLog.info(m), warn: (m) => clusterLog.warn(m) },
      },
    );
    this.logManager.startSchedulers();
    this.groupCoordinator = new GroupCoordinator({
      nodeId: this.nodeId,
      config: groupCoordinatorConfig(config),
      topics,
      replicaManager: this.replicaManager,
      liveBrokerIds: () => this.liveBrokerIds(),
      clusterMode,
      log: log.child('group-coordinator'),
    });
  }

  /** Registered brokers (this one always: a broker answering requests is alive to itself). */
  liveBrokerIds(): number[] {
    const ids = this.membership?.liveBrokerIds() ?? [];
    return ids.includes(this.nodeId) ? ids : [...ids, this.nodeId].sort((a, b) => a - b);
  }

  /** The controller as known here, -1 while unknown (Kafka's answer then). */
  get controllerId(): number {
    return this.controllerElection?.controllerId ?? -1;
  }

  static async start(
    config: BrokerConfig,
    options: { log?: Logger; handlers?: Handler[] } = {},
  ): Promise<Broker> {
    const log = options.log ?? createLogger();
    const router = new Router(options.handlers ?? (await loadHandlers()));
    mkdirSync(config.dataDir, { recursive: true });
    let clusterMode: boolean;
    try {
      clusterMode =
        parseMetadataStoreSetting(config.raw('metadata.store') ?? 'local') !== undefined;
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    const storeLog = log.child('metadata-store');
    const store = await openMetadataStore({
      setting: config.raw('metadata.store') ?? 'local',
      dataDir: config.dataDir,
      prefix: config.raw('metadata.store.prefix') ?? '/samsa',
      requestTimeoutMs: config.int('metadata.store.request.timeout.ms'),
      connectTimeoutMs: config.int('metadata.store.connection.timeout.ms'),
      logger: { info: (m) => storeLog.info(m), warn: (m) => storeLog.warn(m) },
      security: clusterMode ? metadataStoreSecurity(config) : undefined,
    });
    let broker: Broker;
    try {
      // One cluster id for every broker sharing the store; the data dir must agree with it.
      const local = loadOrCreateClusterId(config, clusterMode);
      const clusterId = clusterMode ? await ensureClusterId(store, local) : local;
      if (clusterMode) checkOrWriteClusterId(config, clusterId);
      const topics = await TopicRegistry.load(store);
      broker = new Broker(config, router, log, store, topics, clusterId, clusterMode);
    } catch (err) {
      await store.close();
      // Settings checked by the rooms that use them (cleaner, group coordinator) throw a
      // RangeError naming the setting; to an operator that is a configuration error.
      if (err instanceof RangeError) throw new ConfigError(err.message);
      throw err;
    }
    try {
      await broker.listen();
      await broker.joinCluster();
    } catch (err) {
      await broker.stop();
      throw err;
    }
    log.info(
      `Samsa broker ${broker.nodeId} ready on ${broker.advertised.map((e) => `${e.host}:${e.port}`).join(', ')} (cluster ${broker.clusterId}, data in ${config.dataDir})`,
    );
    return broker;
  }

  /**
   * Registers this broker (membership), campaigns for controller, runs the controller's duties
   * while elected, and starts following the leaders of partitions held here. On one node the
   * same code runs against the local store: the broker is its own controller at once.
   */
  private async joinCluster(): Promise<void> {
    const clusterLog = this.log.child('cluster');
    const logger = {
      info: (m: string) => clusterLog.info(m),
      warn: (m: string) => clusterLog.warn(m),
    };
    const sessionTimeoutMs = this.config.int('broker.session.timeout.ms');
    this.membership = await BrokerMembership.register({
      store: this.metadataStore,
      brokerId: this.nodeId,
      rack: this.config.raw('broker.rack') ?? null,
      endpoints: this.advertised.map((e) => ({ ...e, securityProtocol: 'PLAINTEXT' })),
      sessionTimeoutMs,
      logger,
    });
    const membership = this.membership;
    // Racks only count when every live broker has one (Kafka refuses a mix unless told otherwise;
    // Samsa then places replicas ignoring racks).
    this.topics.rackOf = (id) => membership.broker(id)?.rack;
    const election = ControllerElection.start({
      store: this.metadataStore,
      membership: this.membership,
      logger,
    });
    this.controllerElection = election;
    this.controller = new Controller({
      topics: this.topics,
      membership: this.membership,
      election,
      uncleanLeaderElection: (t) =>
        t.configs['unclean.leader.election.enable'] !== undefined
          ? t.configs['unclean.leader.election.enable'] === 'true'
          : this.config.bool('unclean.leader.election.enable'),
      autoLeaderRebalance: this.config.bool('auto.leader.rebalance.enable')
        ? {
            intervalMs: this.config.long('leader.imbalance.check.interval.seconds') * 1000,
            imbalancePercentage: this.config.int('leader.imbalance.per.broker.percentage'),
          }
        : undefined,
      logger,
    });
    // Clients are told the controller from the first answer on: wait (briefly) until it is known.
    await new Promise<void>((resolve) => {
      if (election.controllerId !== undefined) return resolve();
      const timer = setTimeout(done, sessionTimeoutMs);
      const off = election.onChange((s) => {
        if (s.controllerId !== undefined) done();
      });
      function done() {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
    if (!this.clusterMode) return;
    this.replicaFetchers = new ReplicaFetcherManager({
      nodeId: this.nodeId,
      replicaManager: this.replicaManager,
      endpointOf: (id) => {
        const r = membership.broker(id);
        const e =
          r?.endpoints.find((x) => x.listenerName === this.advertised[0]?.listenerName) ??
          r?.endpoints[0];
        return e && { host: e.host, port: e.port };
      },
      logger,
      maxWaitMs: this.config.int('replica.fetch.wait.max.ms'),
      partitionMaxBytes: this.config.int('replica.fetch.max.bytes'),
    });
    membership.onChange((e) => {
      if (e.type === 'sessionLost') this.replicaManager.fenceLeadership();
      else if (e.type === 'sessionRestored') void this.reclaimLeadership();
      else this.replicaFetchers?.update();
    });
    this.replicaManager.startIsrMaintenance();
    void this.reclaimLeadership();
  }

  /** Partitions led before a restart are led again under a new epoch (retried until settled). */
  private async reclaimLeadership(): Promise<void> {
    while (!this.stopping) {
      await this.replicaManager.reclaimLeadership();
      const pending = this.replicaManager
        .allPartitions()
        .some(
          (p) =>
            p.staleLeaderEpoch !== undefined &&
            p.staleLeaderEpoch === p.leaderEpoch &&
            p.assignment.leader === this.nodeId,
        );
      if (!pending) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private async listen(): Promise<void> {
    const bound: Endpoint[] = [];
    for (const spec of this.config.list('listeners')) {
      const l = parseListener(spec);
      // Paused on connect: nothing is read before Connection has chosen where reads land
      // (socket-reads.ts).
      const server = createServer({ pauseOnConnect: true }, (socket) =>
        this.accept(socket, l.name),
      );
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

  private accept(socket: Socket, listenerName: string): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, this, this.nextConnectionId++, this.log, listenerName);
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
      if (this.clusterMode && this.membership) {
        const moved = await this.replicaManager
          .moveLeadershipAway(new Set(this.membership.liveBrokerIds()))
          .catch(() => 0);
        if (moved > 0) this.log.info(`moved leadership of ${moved} partition(s) to other brokers`);
      }
      for (const s of this.servers) s.close();
      for (const c of this.connections) c.close('broker shutting down', 'debug');
      // Controlled shutdown (leaderships were moved above): stop following, hand the controller
      // role over, and deregister so the controller handles whatever could not move now rather
      // than after a session timeout.
      this.replicaFetchers?.close();
      await this.controller?.close();
      await this.controllerElection?.close();
      await this.membership?.close();
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

/** In cluster mode the store's cluster id wins; a data dir of another cluster is refused. */
function checkOrWriteClusterId(config: BrokerConfig, clusterId: string): void {
  const path = join(config.dataDir, 'meta.properties');
  const m = existsSync(path) ? /^cluster\.id=(.*)$/m.exec(readFileSync(path, 'utf8')) : null;
  const stored = m?.[1]?.trim();
  if (stored === clusterId) return;
  if (stored) {
    throw new ConfigError(
      `The data in ${config.dataDir} belongs to cluster ${stored}, but the metadata store (metadata.store) holds cluster ${clusterId}`,
    );
  }
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `version=1\ncluster.id=${clusterId}\nnode.id=${config.nodeId}\n`);
  renameSync(tmp, path);
}

function loadOrCreateClusterId(config: BrokerConfig, clusterMode = false): string {
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
  // In cluster mode this is only a proposal: the store may already hold the cluster's id.
  if (clusterMode) return id;
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `version=1\ncluster.id=${id}\nnode.id=${config.nodeId}\n`);
  renameSync(tmp, path);
  return id;
}

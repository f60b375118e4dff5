// The embeddable broker: a real Samsa broker in-process, for test suites that want Kafka
// without Docker.
//
//   import { startBroker } from 'samsa/broker';
//   const broker = await startBroker({ port: 0 });
//   // ... use broker.bootstrap ('127.0.0.1:PORT') with any Kafka client ...
//   await broker.stop();
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from './broker.js';
import { loadBrokerConfig } from './config.js';
import { createLogger, type LogLevel } from './logger.js';

export { Broker } from './broker.js';
export { BrokerConfig, ConfigError, loadBrokerConfig } from './config.js';

export interface StartBrokerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Where logs are kept; a temporary directory removed by stop() when omitted. */
  dataDir?: string;
  /** Any broker setting by Kafka's name, e.g. { 'num.partitions': '3' }. */
  config?: Record<string, string>;
  /** Log level of the broker's own log lines (default 'warn' when embedded). */
  logLevel?: LogLevel;
}

export interface EmbeddedBroker {
  /** "host:port" to give clients as their bootstrap servers. */
  bootstrap: string;
  port: number;
  broker: Broker;
  stop(): Promise<void>;
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const tempDir = options.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'samsa-'));
  const config = loadBrokerConfig({
    overrides: {
      'log.dirs': options.dataDir ?? tempDir!,
      ...options.config,
      listeners: `PLAINTEXT://${host}:${options.port ?? 0}`,
    },
  });
  const log = createLogger(options.logLevel ?? 'warn');
  let broker: Broker;
  try {
    broker = await Broker.start(config, { log });
  } catch (err) {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
  return {
    bootstrap: `${host}:${broker.port}`,
    port: broker.port,
    broker,
    async stop() {
      await broker.stop();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

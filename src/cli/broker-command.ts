// `samsa broker`: runs a broker in the foreground until SIGTERM or SIGINT, then stops
// gracefully (close connections, flush and close logs).
import { Broker } from '../broker/broker.js';
import { loadBrokerConfig } from '../broker/config.js';
import { CliError } from './cli-error.js';

const HELP = `Usage: samsa broker [--config FILE] [--override key=value ...]

Runs a Samsa broker. Settings use Apache Kafka's names (see docs/configuration.md), read from
a server.properties-style FILE, then SAMSA_* environment variables (SAMSA_LOG_RETENTION_MS
sets log.retention.ms), then --override flags. Defaults: listeners=PLAINTEXT://127.0.0.1:9092,
log.dirs=./data.`;

export async function runBroker(args: string[]): Promise<number> {
  let file: string | undefined;
  const overrides = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new CliError(`Option ${a} needs a value.`);
      return v;
    };
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${HELP}\n`);
      return 0;
    } else if (a === '--config' || a === '-c') {
      file = value();
    } else if (a === '--override' || a === '-o') {
      const kv = value();
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new CliError(`--override expects key=value, got '${kv}'.`);
      overrides.set(kv.slice(0, eq), kv.slice(eq + 1));
    } else {
      throw new CliError(`Unknown option '${a}' for 'samsa broker'. Run 'samsa broker --help'.`);
    }
  }
  const config = loadBrokerConfig({ file, env: process.env, overrides });
  const broker = await Broker.start(config);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      broker.log.info(`received ${signal}, shutting down`);
      broker.stop().then(resolve, (err) => {
        broker.log.error(`shutdown failed: ${(err as Error).message}`);
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

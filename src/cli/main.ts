#!/usr/bin/env node
// The `samsa` command. Each subcommand lives in its own file, loaded only when used (so client
// commands never load broker code, and start fast); this one dispatches and turns every failure
// into one `samsa: ...` line and a non-zero exit, never a stack trace.
import { CliError, UsageError } from './cli-error.js';

const USAGE = `Usage: samsa <command> [options]

Commands:
  broker [--config FILE] [--override key=value ...]   Run a broker (Ctrl-C or SIGTERM stops it)
  topic create|list|describe|delete|alter-config      Manage topics
  produce TOPIC                                       Send lines from stdin or a file as records
  consume TOPIC                                       Print records (from beginning/end/offset/time)
  group list|describe|reset-offsets|delete            Consumer groups, their offsets and lag
  cluster info|reassign|decommission|add-broker       Brokers and controller; move partitions
  perf produce|consume                                Load test (records/s, MB/s, latency percentiles)

Brokers: --bootstrap HOST:PORT or SAMSA_BOOTSTRAP (default 127.0.0.1:9092).
Scripts: --json prints machine-readable output. Colour only on a terminal, never with NO_COLOR.
Exit status: 0 success, 1 failure, 2 bad usage.

Run 'samsa <command> --help' for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'broker':
      return (await import('./broker-command.js')).runBroker(rest);
    case 'topic':
    case 'topics':
      return (await import('./topic-command.js')).runTopic(rest);
    case 'produce':
      return (await import('./produce-command.js')).runProduce(rest);
    case 'consume':
      return (await import('./consume-command.js')).runConsume(rest);
    case 'group':
    case 'groups':
      return (await import('./group-command.js')).runGroup(rest);
    case 'cluster':
      return (await import('./cluster-command.js')).runCluster(rest);
    case 'perf':
      return (await import('./perf-command.js')).runPerf(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      throw new UsageError(`unknown command '${command}' (see 'samsa --help')`);
  }
}

// `samsa consume ... | head` closes our stdout early: that is the reader being done, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (err: unknown) => {
    // Loaded here so that `samsa broker` does not load the client.
    const { describeError } = await import('./client.js');
    const { message, exitCode } = describeError(err);
    process.stderr.write(`samsa: ${message}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : exitCode;
  },
);

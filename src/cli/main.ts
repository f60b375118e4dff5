#!/usr/bin/env node
// The `samsa` command. Each subcommand lives in its own file; this one only dispatches and
// turns expected failures into one sentence and a non-zero exit, never a stack trace.
import { runBroker } from './broker-command.js';
import { CliError } from './cli-error.js';

const USAGE = `Usage: samsa <command> [options]

Commands:
  broker [--config FILE] [--override key=value ...]   Run a broker (Ctrl-C or SIGTERM stops it)

Run 'samsa <command> --help' for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'broker':
      return runBroker(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      throw new CliError(`Unknown command '${command}'. Run 'samsa --help' for the list.`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as Error;
    if (e instanceof CliError || e.name === 'ConfigError') {
      process.stderr.write(`samsa: ${e.message}\n`);
    } else {
      process.stderr.write(`samsa: unexpected error: ${e.stack ?? e}\n`);
    }
    process.exitCode = 1;
  },
);

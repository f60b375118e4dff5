/** A failure the user can act on; printed as one `samsa: ...` line, exit code 1. */
export class CliError extends Error {
  /** 1 for failures at run time, 2 for a command line that cannot be understood. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A bad flag, a missing argument or a malformed value: exit code 2, as getopt-style tools do. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

import path from 'node:path';

/** A text sink the CLI writes to (a process stream, or a buffer in tests). */
export interface CliStream {
  write(chunk: string): unknown;
  /** True on an interactive terminal: enables the in-place progress table. */
  isTTY?: boolean;
  /** Terminal width in characters, when known. */
  columns?: number;
  /** Terminal height in lines, when known. */
  rows?: number;
}

/** Everything the CLI touches outside itself, injected so tests run it in-process. */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  /** Directory that relative paths are resolved against. */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Subscribes to Ctrl-C (SIGINT); returns the unsubscribe function. */
  onInterrupt(listener: () => void): () => void;
}

/**
 * The user's working directory. `pnpm cairn …` runs the script in the repository root, so the
 * directory the user typed the command in is pnpm's `INIT_CWD`.
 */
export function userCwd(env: CliIo['env'], processCwd: string): string {
  return env['npm_lifecycle_event'] === 'cairn' && env['INIT_CWD'] ? env['INIT_CWD'] : processCwd;
}

/** The real process: stdout, stderr, cwd, environment and SIGINT. */
export function processIo(): CliIo {
  // `cairn compile … | head -1` closes the pipe early: end quietly instead of crashing on EPIPE.
  process.stdout.once('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: userCwd(process.env, process.cwd()),
    env: process.env,
    onInterrupt(listener) {
      process.on('SIGINT', listener);
      return () => process.off('SIGINT', listener);
    },
  };
}

/** Resolves a user-given path against the CLI's working directory. */
export function resolvePath(io: Pick<CliIo, 'cwd'>, file: string): string {
  return path.resolve(io.cwd, file);
}

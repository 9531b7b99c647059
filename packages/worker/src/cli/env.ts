import { pino, type Logger } from 'pino';
import { ExitCode } from './exit.js';
import type { CliIo } from './io.js';

/** Options every command accepts (set on the root program). */
export interface GlobalOptions {
  /** `--config <file>`: the cairn.config.json to use. */
  config?: string;
  /** `--database <url>`: a PostgreSQL URL instead of the embedded SQLite store. */
  database?: string;
  /** `--log-level <level>`: pino level for logs on stderr. @defaultValue 'silent' */
  logLevel: string;
}

/**
 * What commands share: the injected I/O, the global options and, created lazily on first use and
 * closed by `close()`, the logger, configuration, store and runtime.
 */
export class CliEnv {
  /** The exit code the current command reported. */
  exitCode: ExitCode = ExitCode.Ok;
  private log: Logger | undefined;
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(
    readonly io: CliIo,
    /** Reads the parsed global options (commander fills them before any action runs). */
    readonly globals: () => GlobalOptions,
  ) {}

  /** Pino logger writing JSON lines to stderr; silent unless `--log-level` says otherwise. */
  get logger(): Logger {
    this.log ??= pino({ level: this.globals().logLevel, base: { cmd: 'cairn' } }, { write: (s: string) => this.io.stderr.write(s) });
    return this.log;
  }

  /** Wraps a command handler for commander: its result becomes the process exit code. */
  action<A extends unknown[]>(handler: (...args: A) => Promise<ExitCode>): (...args: A) => Promise<void> {
    return async (...args: A) => {
      this.exitCode = await handler(...args);
    };
  }

  /** Registers cleanup to run (in reverse order) when the command ends. */
  onClose(closer: () => Promise<void>): void {
    this.closers.push(closer);
  }

  /** Closes everything opened for the command (runtime, store), newest first. */
  async close(): Promise<void> {
    for (const closer of this.closers.splice(0).reverse()) await closer();
  }
}

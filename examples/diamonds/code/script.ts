/** What every container script shares: its logger, and running `main` with SageMaker's failure protocol. */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { optMl } from './opt-ml.js';

/** Entry point of a script: its command-line arguments and a logger. */
export type ScriptMain = (argv: readonly string[], log: Logger) => Promise<void>;

/** A pino logger named after the script; `LOG_LEVEL` sets the level. @defaultValue info */
export function createLogger(name: string): Logger {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info' });
}

/** Where SageMaker reads a failed job's reason from: training jobs' `FailureReason`, processing jobs' `ExitMessage`. */
export const FailureFile = { Training: '/opt/ml/output/failure', Processing: '/opt/ml/output/message' } as const;

/** How to run one script. */
export interface ScriptOptions {
  /** Logger name, also used in the failure log line. */
  name: string;
  /** File (an `/opt/ml` path) that receives the error message when `main` fails; none for servers. */
  failureFile?: (typeof FailureFile)[keyof typeof FailureFile];
}

/**
 * Runs `main` when the module at `moduleUrl` is the process's entry script (not when a test
 * imports it). On error it writes the reason to the failure file and exits 1.
 */
export function runIfMain(moduleUrl: string, { name, failureFile }: ScriptOptions, main: ScriptMain): void {
  const entry = process.argv[1];
  if (!entry || realpathSync(entry) !== realpathSync(fileURLToPath(moduleUrl))) return;
  const log = createLogger(name);
  main(process.argv.slice(2), log).catch((err: unknown) => {
    log.error({ err }, `${name} failed`);
    if (failureFile) {
      const file = optMl(failureFile);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, err instanceof Error ? err.message : String(err));
    }
    process.exitCode = 1;
  });
}

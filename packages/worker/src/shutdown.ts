import type { Logger } from 'pino';

/** Options of `untilShutdown`. */
export interface ShutdownOptions {
  logger: Logger;
  /** How long in-flight work may take to finish before it is handed back, in milliseconds. @defaultValue 30_000 */
  graceMs?: number;
  /** @defaultValue ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[];
}

/**
 * Resolves once the service has shut down: the first SIGTERM (or SIGINT) calls `close(graceMs)`,
 * which stops taking work and lets in-flight work finish or hands it back; a second signal exits
 * at once.
 */
export function untilShutdown(close: (graceMs: number) => Promise<void>, options: ShutdownOptions): Promise<void> {
  const graceMs = options.graceMs ?? 30_000;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  return new Promise((resolve, reject) => {
    let closing = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (closing) {
        options.logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(1);
      }
      closing = true;
      options.logger.info({ signal, graceMs }, 'shutting down: no new work; in-flight work finishes or is handed back');
      close(graceMs).then(() => {
        for (const s of signals) process.removeListener(s, onSignal);
        resolve();
      }, reject);
    };
    for (const s of signals) process.on(s, onSignal);
  });
}

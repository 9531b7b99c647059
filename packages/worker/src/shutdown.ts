import type { Logger } from 'pino';

/** Options of `watchShutdown` / `untilShutdown`. */
export interface ShutdownOptions {
  logger: Logger;
  /** How long in-flight work may take to finish before it is handed back, in milliseconds. @defaultValue 30_000 */
  graceMs?: number;
  /** @defaultValue ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[];
}

/** Why a service shuts down: a signal, or a reason of its own (e.g. a lost leader lock). */
export type ShutdownCause = { signal: NodeJS.Signals } | { reason: string };

/** A service's shutdown, watched from before it starts (see `watchShutdown`). */
export interface ShutdownWatch {
  /** Aborted on the first signal (or `trigger`): pass it to whatever waits while the service starts. */
  readonly signal: AbortSignal;
  /** Why the shutdown began, once it has. */
  readonly cause: ShutdownCause | undefined;
  /** Begins the shutdown for a reason of the service's own (no-op when one has begun). */
  trigger(reason: string): void;
  /**
   * Resolves once the service has shut down: waits for the first signal or `trigger` (at once if
   * one came while the service was starting), then calls `close(graceMs)`.
   */
  until(close: (graceMs: number) => Promise<void>): Promise<ShutdownCause>;
  /** Removes the signal handlers (after `until`, or when start-up failed). */
  dispose(): void;
}

/**
 * Watches SIGTERM/SIGINT from now on, so a signal that arrives while a service is still starting
 * (connecting, waiting as a standby scheduler) is not lost: the first signal aborts `signal` and
 * makes `until` close the service as soon as it runs; a second signal exits at once.
 */
export function watchShutdown(options: ShutdownOptions): ShutdownWatch {
  const graceMs = options.graceMs ?? 30_000;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const controller = new AbortController();
  let cause: ShutdownCause | undefined;
  const begin = (why: ShutdownCause) => {
    cause = why;
    options.logger.info({ ...why, graceMs }, 'shutting down: no new work; in-flight work finishes or is handed back');
    controller.abort(why);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (cause) {
      options.logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    begin({ signal });
  };
  for (const s of signals) process.on(s, onSignal);
  const dispose = () => {
    for (const s of signals) process.removeListener(s, onSignal);
  };
  return {
    signal: controller.signal,
    get cause() {
      return cause;
    },
    trigger: (reason) => void (cause ?? begin({ reason })),
    until: async (close) => {
      if (!controller.signal.aborted) await new Promise((resolve) => controller.signal.addEventListener('abort', resolve, { once: true }));
      try {
        await close(graceMs);
      } finally {
        dispose();
      }
      return cause!;
    },
    dispose,
  };
}

/**
 * Resolves once the service has shut down: the first SIGTERM (or SIGINT) calls `close(graceMs)`,
 * which stops taking work and lets in-flight work finish or hands it back; a second signal exits
 * at once. Prefer `watchShutdown` before starting a service, so a signal during start-up counts.
 */
export async function untilShutdown(close: (graceMs: number) => Promise<void>, options: ShutdownOptions): Promise<void> {
  await watchShutdown(options).until(close);
}

/**
 * Closes each part in order and goes on after one fails, since a later part may hold a connection,
 * a timer or the leader lock that would keep the process alive (or leading); then throws the first
 * failure. @internal
 */
export async function closeInOrder(closers: Iterable<() => void | Promise<void>>, logger: Logger, what: string): Promise<void> {
  let failure: { err: unknown } | undefined;
  for (const close of closers) {
    try {
      await close();
    } catch (err) {
      logger.error({ err }, `${what}: a part failed to close; closing the others`);
      failure ??= { err };
    }
  }
  if (failure) throw failure.err;
}

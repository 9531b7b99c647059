import type { Logger } from 'pino';
import type { EmbeddedRuntime } from '@cairn/core';

/** Options of the reconciler. */
export interface ReconcilerOptions {
  runtime: EmbeddedRuntime;
  logger: Logger;
  /** Time between passes, in milliseconds. @defaultValue 10_000 */
  intervalMs?: number;
}

/** What one reconciler pass did. */
export interface ReconcileReport {
  /** Active executions taken over (submitted by a client, or left by a scheduler that died). */
  adopted: number;
  /** In-flight attempts enqueued again (a no-op for those whose job still exists). */
  redispatched: number;
}

/**
 * Rebuilds the queues from the database, on start and every `intervalMs`: takes over every active
 * distributed execution nobody drives, then enqueues every in-flight attempt again under its
 * deterministic job id, so attempts whose job was lost (a flushed or replaced Redis) run, and
 * attempts whose job exists are untouched.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<ReconcileReport> | undefined;

  constructor(private readonly options: ReconcilerOptions) {}

  /** Runs one pass now (joins the running one, if any). */
  reconcile(): Promise<ReconcileReport> {
    this.pass ??= this.run().finally(() => (this.pass = undefined));
    return this.pass;
  }

  /** Starts periodic passes. */
  start(): void {
    this.timer = setInterval(() => void this.reconcile(), this.options.intervalMs ?? 10_000);
    this.timer.unref();
  }

  /** Stops periodic passes and waits for a running one. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.pass;
  }

  private async run(): Promise<ReconcileReport> {
    const { runtime, logger } = this.options;
    try {
      const adopted = (await runtime.resume()).length;
      const redispatched = runtime.redispatchInFlight();
      if (adopted > 0) logger.info({ adopted, redispatched }, 'reconciler took over executions');
      else logger.debug({ redispatched }, 'reconciler pass');
      return { adopted, redispatched };
    } catch (err) {
      logger.error({ err }, 'reconciler pass failed; the next one retries');
      return { adopted: 0, redispatched: 0 };
    }
  }
}

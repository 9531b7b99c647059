import type { Logger } from 'pino';
import type { EmbeddedRuntime } from '@cairn/core';
import { PeriodicPass } from './periodic-pass.js';
import type { QueueDispatcher } from './queue-dispatcher.js';

/** Options of the reconciler. */
export interface ReconcilerOptions {
  runtime: EmbeddedRuntime;
  /** The runtime's dispatcher: only attempts whose job is gone are enqueued again. @defaultValue every in-flight attempt is dispatched again */
  dispatcher?: Pick<QueueDispatcher, 'redispatchMissing'>;
  logger: Logger;
  /** Time between passes, in milliseconds. @defaultValue 10_000 */
  intervalMs?: number;
}

/** What one reconciler pass did. */
export interface ReconcileReport {
  /** Active executions taken over (submitted by a client, or left by a scheduler that died). */
  adopted: number;
  /** In-flight attempts enqueued again: those whose job was gone (with a `dispatcher`), else all of them (a no-op for those whose job exists). */
  redispatched: number;
}

/**
 * Rebuilds the queues from the database, on start and every `intervalMs`: takes over every active
 * distributed execution nobody drives, then enqueues again, under its deterministic job id, every
 * in-flight attempt whose job is gone (a flushed or replaced Redis); attempts whose job exists are
 * untouched. Finished step jobs are kept for a day, so an attempt whose result is not applied yet
 * still has its job and is never enqueued (and run) again.
 */
export class Reconciler extends PeriodicPass<ReconcileReport> {
  constructor(private readonly options: ReconcilerOptions) {
    super(options.intervalMs ?? 10_000);
  }

  /** Runs one pass now (joins the running one, if any). */
  reconcile(): Promise<ReconcileReport> {
    return this.runPass();
  }

  protected async run(): Promise<ReconcileReport> {
    const { runtime, logger } = this.options;
    try {
      const adopted = (await runtime.resume()).length;
      const { dispatcher } = this.options;
      const redispatched = dispatcher ? await dispatcher.redispatchMissing(() => runtime.redispatchInFlight()) : runtime.redispatchInFlight();
      if (adopted > 0) logger.info({ adopted, redispatched }, 'reconciler took over executions');
      else if (redispatched > 0) logger.info({ redispatched }, 'reconciler enqueued in-flight steps that had no job (Redis flushed or replaced, or an enqueue failed)');
      else logger.debug('reconciler pass');
      return { adopted, redispatched };
    } catch (err) {
      logger.error({ err }, 'reconciler pass failed; the next one retries');
      return { adopted: 0, redispatched: 0 };
    }
  }
}

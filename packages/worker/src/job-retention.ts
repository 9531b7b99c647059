import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { PeriodicPass } from './periodic-pass.js';

/** Options of `JobRetention`. */
export interface JobRetentionOptions {
  /** How long a completed job is kept, in milliseconds. */
  keepMs: number;
  /** Time between passes, in milliseconds. @defaultValue 300_000 */
  intervalMs?: number;
  /** Jobs removed per `clean` call (one Lua call each). @defaultValue 1_000 */
  batch?: number;
  /** Most jobs one pass removes; the next pass goes on. @defaultValue 100_000 */
  maxPerPass?: number;
  logger: Logger;
}

/**
 * Removes completed jobs older than `keepMs` from a queue, in batches, on a timer. Step jobs are
 * kept after they complete so that enqueueing a finished attempt again (the reconciler racing a
 * completion) stays a no-op; trimming them here in batches, instead of by every job's completion
 * (BullMQ's `removeOnComplete: { age }`), takes that work off the path of each step.
 */
export class JobRetention extends PeriodicPass<number> {
  constructor(
    private readonly queue: Queue,
    private readonly options: JobRetentionOptions,
  ) {
    super(options.intervalMs ?? 300_000);
  }

  /** One pass now (joins a running one); resolves how many jobs it removed. Errors are logged, not thrown. */
  trim(): Promise<number> {
    return this.runPass();
  }

  protected async run(): Promise<number> {
    const { keepMs, batch = 1_000, maxPerPass = 100_000, logger } = this.options;
    let removed = 0;
    try {
      for (;;) {
        const ids = await this.queue.clean(keepMs, batch, 'completed');
        removed += ids.length;
        if (ids.length < batch || removed >= maxPerPass) break;
      }
      if (removed > 0) logger.info({ queue: this.queue.name, removed, keptMs: keepMs }, 'removed completed jobs past their retention');
    } catch (err) {
      logger.warn({ err, queue: this.queue.name, removed }, 'could not remove completed jobs; the next pass tries again');
    }
    return removed;
  }
}

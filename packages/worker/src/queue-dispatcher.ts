import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClosableDispatcher, StepRef, StepWork } from '@cairn/core';
import { stepJobId } from './queues.js';

/** Options of the queue dispatcher. */
export interface QueueDispatcherOptions {
  /** The `steps` queue. */
  steps: Queue;
  /** Publishes stop requests to workers. */
  publisher: Redis;
  /** Pub/sub channel of stop requests. */
  stopChannel: string;
  logger: Logger;
}

/**
 * The distributed runtime's `StepDispatcher`: each dispatch becomes a `steps` job whose id is
 * the attempt (`<executionId>__<step>__<attempt>`), so dispatching an attempt again is a no-op
 * while its job exists. Dispatches of one tick go out in one `addBulk`.
 */
export class QueueDispatcher implements ClosableDispatcher {
  readonly idempotent = true;
  private pending: StepWork[] = [];
  private closed = false;

  constructor(private readonly options: QueueDispatcherOptions) {}

  dispatch(work: StepWork): void {
    if (this.closed) return;
    if (this.pending.length === 0) setImmediate(() => void this.flush());
    this.pending.push(work);
  }

  /** Tells the worker running the attempt to stop it, wakes a delayed (polling) job, and marks a waiting one stopped. */
  stop(ref: StepRef): void {
    const { publisher, stopChannel, steps, logger } = this.options;
    const jobId = stepJobId(ref);
    publisher.publish(stopChannel, jobId).catch((err: unknown) => logger.warn({ err, executionId: ref.executionId, step: ref.stepName, attempt: ref.attempt }, 'could not publish a stop request'));
    steps
      .getJob(jobId)
      .then(async (job) => {
        const state = await job?.getState();
        // A polling job wakes now and reads the stop from the store; a waiting one carries it (its worker trusts a first delivery).
        if (state === 'delayed') await job!.promote();
        else if (state === 'waiting' || state === 'prioritized') await job!.updateData({ ...job!.data, stopRequested: true });
      })
      .catch((err: unknown) => logger.warn({ err, executionId: ref.executionId, step: ref.stepName, attempt: ref.attempt }, 'could not wake the delayed job of a stopped step'));
  }

  close(): void {
    this.closed = true;
    this.pending = [];
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.options.steps.addBulk(batch.map((work) => ({ name: work.stepType, data: work, opts: { jobId: stepJobId(work) } })));
    } catch (err) {
      // The attempts stay in flight in the store; the reconciler enqueues them again.
      this.options.logger.error({ err, count: batch.length }, 'could not enqueue steps; the reconciler will enqueue them again');
    }
  }
}

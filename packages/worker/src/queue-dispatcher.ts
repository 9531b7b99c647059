import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClosableDispatcher, StepRef, StepWork } from '@cairn/core';
import { stepJobId } from './queues.js';

/** Options of the queue dispatcher. */
export interface QueueDispatcherOptions {
  /** The `steps` queue. */
  steps: Queue;
  /** Publishes stop requests to workers; also checks whether jobs exist (reconciler passes). */
  publisher: Redis;
  /** Pub/sub channel of stop requests. */
  stopChannel: string;
  logger: Logger;
}

/** Job existence checks sent to Redis in one pipeline. */
const EXISTS_CHUNK = 1_000;
/** Jobs added in one `addBulk` (one MULTI). */
const ADD_CHUNK = 1_000;

/**
 * The distributed runtime's `StepDispatcher`: each dispatch becomes a `steps` job whose id is
 * the attempt (`<executionId>__<step>__<attempt>`), so dispatching an attempt again is a no-op
 * while its job exists. Dispatches of one tick go out together, in `addBulk`s of up to 1,000 jobs.
 */
export class QueueDispatcher implements ClosableDispatcher {
  readonly idempotent = true;
  private pending: StepWork[] = [];
  /** Set while `redispatchMissing` collects dispatches. */
  private collected: StepWork[] | undefined;
  private closed = false;

  constructor(private readonly options: QueueDispatcherOptions) {}

  dispatch(work: StepWork): void {
    if (this.closed) return;
    if (this.collected) {
      this.collected.push(work);
      return;
    }
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

  /**
   * A reconciler pass: collects what `redispatch` dispatches (synchronously; every in-flight
   * attempt) and enqueues only the attempts whose job is gone from Redis (flushed, replaced, or a
   * failed enqueue), checked with pipelined `EXISTS`. An existing job (waiting, active, delayed, or
   * kept after completing) is left alone, which is what re-adding it would do too, at the cost of a
   * Lua script call and a serialized payload per attempt. Resolves how many were enqueued.
   */
  async redispatchMissing(redispatch: () => number): Promise<number> {
    this.collected = [];
    let batch: StepWork[];
    try {
      redispatch();
    } finally {
      batch = this.collected;
      this.collected = undefined;
    }
    if (this.closed || batch.length === 0) return 0;
    const { steps, publisher } = this.options;
    const missing: StepWork[] = [];
    for (let i = 0; i < batch.length; i += EXISTS_CHUNK) {
      const chunk = batch.slice(i, i + EXISTS_CHUNK);
      const pipeline = publisher.pipeline();
      for (const work of chunk) pipeline.exists(steps.toKey(stepJobId(work)));
      const replies = (await pipeline.exec()) ?? [];
      chunk.forEach((work, k) => {
        const [err, exists] = replies[k] ?? [null, 0];
        // When in doubt, enqueue: a duplicate add is a no-op.
        if (err || exists === 0) missing.push(work);
      });
    }
    await this.add(missing);
    return missing.length;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.add(batch);
    } catch (err) {
      // The attempts stay in flight in the store; the reconciler enqueues them again.
      this.options.logger.error({ err, count: batch.length }, 'could not enqueue steps; the reconciler will enqueue them again');
    }
  }

  /** Adds one job per attempt, in MULTIs of `ADD_CHUNK`: a 10,000-job MULTI would hold Redis (and every worker) for half a second before the first job could run. */
  private async add(works: readonly StepWork[]): Promise<void> {
    const { steps } = this.options;
    for (let i = 0; i < works.length; i += ADD_CHUNK) await steps.addBulk(works.slice(i, i + ADD_CHUNK).map((work) => ({ name: work.stepType, data: work, opts: { jobId: stepJobId(work) } })));
  }
}

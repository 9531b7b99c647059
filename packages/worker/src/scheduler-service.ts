import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { EmbeddedRuntime, type ExecutionObserver, type ResultReporter } from '@cairn/core';
import { QueueDispatcher } from './queue-dispatcher.js';
import { ControlJobSchema, QueueName, ResultJobSchema, channelNames, parsePayload, type ResultJob } from './queues.js';
import { Reconciler } from './reconciler.js';
import { assertNoEviction, logConnectionErrors } from './redis.js';
import type { ClusterServiceOptions } from './service-options.js';

/** Options of the scheduler service. */
export interface SchedulerServiceOptions extends ClusterServiceOptions {
  /** ARN prefix of new executions. @defaultValue the engine's default */
  arnPrefix?: string;
  observers?: ExecutionObserver[];
  /** Results applied at once. @defaultValue 256 */
  resultConcurrency?: number;
  /** Time between reconciler passes, in milliseconds. @defaultValue 10_000 */
  reconcileIntervalMs?: number;
  /** How often the store is checked for stop requests, in milliseconds. @defaultValue 1_000 */
  stopCheckIntervalMs?: number;
}

/** Step jobs are kept a day after they complete, so re-enqueueing a finished attempt stays a no-op. */
const STEP_JOB_OPTIONS = {
  removeOnComplete: { age: 24 * 3600, count: 1_000_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
};

/**
 * The scheduler: drives every distributed execution with the engine's coordinator (the same code
 * as the embedded runtime), enqueuing ready steps on the `steps` queue and applying the results
 * workers send on the `results` queue. It takes over submitted executions (`control` queue, and
 * the reconciler as a backstop), and on start resumes everything the store says is in flight.
 * Run one scheduler per queue prefix.
 */
export class SchedulerService {
  private constructor(
    /** The runtime (coordinator + queue dispatcher) driving the executions. */
    readonly runtime: EmbeddedRuntime,
    /** Rebuilds the queues from the database. */
    readonly reconciler: Reconciler,
    private readonly closers: (() => Promise<void>)[],
    private readonly logger: Logger,
  ) {}

  /** Checks Redis (`noeviction`), resumes what the store holds, then takes results and control requests. */
  static async start(options: SchedulerServiceOptions): Promise<SchedulerService> {
    const { connection, prefix, logger } = options;
    await assertNoEviction(connection);
    const steps = logConnectionErrors(new Queue(QueueName.Steps, { connection, prefix, defaultJobOptions: STEP_JOB_OPTIONS }), logger, 'steps queue');
    const publisher = logConnectionErrors(new Redis(connection), logger, 'stop publisher');
    let report: ResultReporter | undefined;
    const runtime = new EmbeddedRuntime({
      store: options.store,
      executors: options.router,
      artifacts: options.artifacts,
      logger,
      runtime: 'distributed',
      pollIntervalMs: options.stopCheckIntervalMs ?? 1_000,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.arnPrefix ? { arnPrefix: options.arnPrefix } : {}),
      observers: [...(options.observers ?? []), { onExecutionFinished: (e) => void publisher.publish(channelNames(prefix).finished, e.id) }],
      dispatcher: (reporter) => {
        report = reporter;
        return new QueueDispatcher({ steps, publisher, stopChannel: channelNames(prefix).stop, logger });
      },
    });
    const reconciler = new Reconciler({ runtime, logger, ...(options.reconcileIntervalMs ? { intervalMs: options.reconcileIntervalMs } : {}) });
    // Take over what is in flight before taking results, so no result finds its execution undriven.
    await reconciler.reconcile();
    const apply = report!;
    const results = new Worker(QueueName.Results, (job: Job) => applyResult(apply, parsePayload(ResultJobSchema, QueueName.Results, job.data) as ResultJob, logger), {
      connection,
      prefix,
      concurrency: options.resultConcurrency ?? 256,
    });
    const control = new Worker(QueueName.Control, (job: Job) => runControl(runtime, job, logger), { connection, prefix, concurrency: 8 });
    logConnectionErrors(results, logger, 'results worker');
    logConnectionErrors(control, logger, 'control worker');
    reconciler.start();
    logger.info({ prefix, driven: runtime.drivenExecutionIds.length }, 'scheduler started');
    const closers = [() => reconciler.stop(), () => control.close(), () => results.close(), () => runtime.close(), () => steps.close(), async () => void publisher.disconnect()];
    return new SchedulerService(runtime, reconciler, closers, logger);
  }

  /** Stops taking results and requests and stops driving (executions stay in the store for the next scheduler). */
  async close(): Promise<void> {
    for (const close of this.closers) await close();
    this.logger.info('scheduler stopped');
  }
}

async function applyResult(report: ResultReporter, result: ResultJob, logger: Logger): Promise<void> {
  const accepted = await report(result.executionId, result.stepName, result.attempt, result.state);
  if (!accepted) logger.debug({ executionId: result.executionId, step: result.stepName, attempt: result.attempt, state: result.state.state }, 'stale or duplicate result ignored');
}

async function runControl(runtime: EmbeddedRuntime, job: Job, logger: Logger): Promise<void> {
  const request = parsePayload(ControlJobSchema, QueueName.Control, job.data);
  logger.info({ executionId: request.executionId, action: request.action }, 'control request');
  if (request.action === 'adopt') await runtime.resumeExecution(request.executionId);
  else await runtime.retryExecution(request.executionId);
}

import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { EmbeddedRuntime, ErrorCode, OrchestratorError, type ExecutionObserver, type ResultReporter, type StoreFence } from '@cairn/core';
import { QueueDispatcher } from './queue-dispatcher.js';
import { ControlJobSchema, QueueName, channelNames, parsePayload } from './queues.js';
import { EventRetention } from './event-retention.js';
import { JobRetention } from './job-retention.js';
import { LeaderLock, schedulerFenceName, type LeaderLost } from './leader.js';
import { Reconciler } from './reconciler.js';
import { assertNoEviction, logConnectionErrors } from './redis.js';
import { ResultReader } from './result-stream.js';
import { closeInOrder } from './shutdown.js';
import type { ClusterServiceOptions } from './service-options.js';

/** Options of the scheduler service. */
export interface SchedulerServiceOptions extends ClusterServiceOptions {
  /** ARN prefix of new executions. @defaultValue the engine's default */
  arnPrefix?: string;
  observers?: ExecutionObserver[];
  /** Results read from the results stream and applied at once. @defaultValue 256 */
  resultConcurrency?: number;
  /** Time between reconciler passes, in milliseconds. @defaultValue 10_000 */
  reconcileIntervalMs?: number;
  /** How often the store is checked for stop requests, in milliseconds. @defaultValue 1_000 */
  stopCheckIntervalMs?: number;
  /**
   * Lifetime of the leader lock, in milliseconds: a standby takes over this long after the leader
   * died; a leader that cannot renew it (Redis unreachable) for 80 % of it stops driving.
   * @defaultValue 30_000 (a 10 s Redis outage costs no leadership)
   */
  leaderTtlMs?: number;
  /**
   * How long to wait before leading when Redis has no record of a previous leader (first start on
   * the prefix, flushed or replaced Redis), in milliseconds: long enough for a leader that may still
   * run to renew twice and see the claim. @defaultValue min(leaderTtlMs, 2 × renewal interval + 1 s) = 5 s
   */
  leaderUnknownHistoryWaitMs?: number;
  /** Aborts the wait of a standby (SIGTERM): `start` then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** How long completed step jobs are kept, in milliseconds (see `JobRetention`). @defaultValue 86_400_000 (a day) */
  completedStepJobRetentionMs?: number;
  /**
   * How long outbox events whose deliveries are all settled are kept, in milliseconds; the leader
   * deletes older ones hourly (see `EventRetention`). @defaultValue 2_592_000_000 (30 days)
   */
  eventRetentionMs?: number;
}

/** Default lifetime of the scheduler's leader lock, in milliseconds (outlives the 10 s Redis outage of the reliability tests). */
export const DEFAULT_SCHEDULER_LEADER_TTL_MS = 30_000;

/**
 * Completed step jobs are kept (so re-enqueueing a finished attempt stays a no-op) and removed by
 * the scheduler's `JobRetention` after `completedStepJobRetentionMs`, in batches.
 */
const STEP_JOB_OPTIONS = {
  removeOnComplete: false,
  removeOnFail: { age: 7 * 24 * 3600 },
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
};

/**
 * The scheduler: drives every distributed execution with the engine's coordinator (the same code
 * as the embedded runtime), enqueuing ready steps on the `steps` queue and applying the results
 * workers append to the results stream (`ResultReader`). It takes over submitted executions (`control` queue, and
 * the reconciler as a backstop), and on start resumes everything the store says is in flight.
 * Several may run on one queue prefix: one leads (a Redis lease, `LeaderLock`), the others wait as
 * standbys; a leader that cannot renew its lease stops driving before the lease can expire
 * (`lost` resolves; run it under a supervisor that restarts it). On taking the lease it advances
 * the store fence `scheduler:<prefix>` and fences every commit with that term, so a leader that was
 * paused past its lease cannot commit once another took over: its commit is refused and it stops
 * the same way (`lost` resolves with `reason: 'fenced'`).
 */
export class SchedulerService {
  private constructor(
    /** The runtime (coordinator + queue dispatcher) driving the executions. */
    readonly runtime: EmbeddedRuntime,
    /** Rebuilds the queues from the database. */
    readonly reconciler: Reconciler,
    private readonly closers: (() => Promise<void>)[],
    private readonly logger: Logger,
    /** Resolves when this scheduler lost its leader lock, or a commit was refused as fenced; it has then stopped driving (closed itself). */
    readonly lost: Promise<LeaderLost>,
  ) {}

  /**
   * Checks Redis (`noeviction`), waits until it leads the prefix, resumes what the store holds, then
   * takes results and control requests.
   */
  static async start(options: SchedulerServiceOptions): Promise<SchedulerService> {
    const { connection, prefix, logger } = options;
    await assertNoEviction(connection);
    let onLost!: (lost: LeaderLost) => void;
    const lost = new Promise<LeaderLost>((resolve) => (onLost = resolve));
    const lock = new LeaderLock({
      connection,
      prefix,
      logger,
      onLost: (l) => onLost(l),
      ...leaderTimings(options),
    });
    try {
      await lock.acquire(options.signal);
      // Before reading any state to act on: from now on commits of earlier leaders are refused.
      const name = schedulerFenceName(prefix);
      const fence: StoreFence = { name, term: await options.store.advanceFence(name) };
      logger.info({ fence }, 'scheduler fence advanced: commits of earlier leaders are refused from now on');
      // The coordinator has logged the refused commit; `lost` below logs the stop.
      const service = await SchedulerService.lead(options, lock, lost, fence, () => onLost({ reason: 'fenced', fence: name, term: fence.term }));
      void lost.then(async (l) => {
        logger.error({ lost: l }, l.reason === 'fenced' ? 'leadership lost (fenced): this scheduler stops driving executions now' : 'leader lock lost: this scheduler stops driving executions now');
        try {
          // Stop driving first (no Redis round trip needed), then close the rest.
          await service.runtime.close();
          await service.close();
        } catch (err) {
          // Nobody awaits this: a rejection here would be unhandled and crash the process.
          logger.error({ err }, 'scheduler could not close cleanly after losing its leader lock');
        }
      });
      return service;
    } catch (err) {
      await lock.close();
      throw err;
    }
  }

  private static async lead(options: SchedulerServiceOptions, lock: LeaderLock, lost: Promise<LeaderLost>, fence: StoreFence, onFenced: () => void): Promise<SchedulerService> {
    const { connection, prefix, logger } = options;
    const steps = logConnectionErrors(new Queue(QueueName.Steps, { connection, prefix, defaultJobOptions: STEP_JOB_OPTIONS }), logger, 'steps queue');
    const publisher = logConnectionErrors(new Redis(connection), logger, 'stop publisher');
    let report: ResultReporter | undefined;
    let dispatcher: QueueDispatcher | undefined;
    const runtime = new EmbeddedRuntime({
      store: options.store,
      executors: options.router,
      artifacts: options.artifacts,
      logger,
      runtime: 'distributed',
      fence,
      onFenced,
      pollIntervalMs: options.stopCheckIntervalMs ?? 1_000,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.arnPrefix ? { arnPrefix: options.arnPrefix } : {}),
      observers: [...(options.observers ?? []), { onExecutionFinished: (e) => void publisher.publish(channelNames(prefix).finished, e.id) }],
      dispatcher: (reporter) => {
        report = reporter;
        dispatcher = new QueueDispatcher({ steps, publisher, stopChannel: channelNames(prefix).stop, logger });
        return dispatcher;
      },
    });
    const reconciler = new Reconciler({ runtime, dispatcher: dispatcher!, logger, ...(options.reconcileIntervalMs ? { intervalMs: options.reconcileIntervalMs } : {}) });
    const results = new ResultReader({
      connection,
      prefix,
      report: report!,
      drivenExecutionIds: () => runtime.drivenExecutionIds,
      store: options.store,
      logger,
      ...(options.resultConcurrency ? { batchSize: options.resultConcurrency } : {}),
    });
    try {
      // Take over what is in flight before taking results, so no result finds its execution undriven.
      await reconciler.reconcile();
      await results.start();
    } catch (err) {
      // Open clients would keep the process alive; `start` releases the lock.
      await closeInOrder([() => results.close(), () => runtime.close(), () => steps.close(), () => publisher.disconnect()], logger, 'scheduler').catch(() => undefined);
      throw err;
    }
    const control = new Worker(QueueName.Control, (job: Job, token?: string) => runControl(runtime, job, token, logger), { connection, prefix, concurrency: 8 });
    logConnectionErrors(control, logger, 'control worker');
    reconciler.start();
    const retention = new JobRetention(steps, { keepMs: options.completedStepJobRetentionMs ?? 24 * 3600 * 1000, logger });
    retention.start();
    const events = new EventRetention(options.store, { logger, ...(options.eventRetentionMs !== undefined ? { keepMs: options.eventRetentionMs } : {}), ...(options.clock ? { clock: options.clock } : {}) });
    events.start();
    logger.info({ prefix, driven: runtime.drivenExecutionIds.length }, 'scheduler started');
    // The lock goes last: it is released once nothing here drives.
    // Control requests early (before a prune pass ends): a scheduler that lost its lead must leave them to the next leader.
    const closers = [() => reconciler.stop(), () => control.close(), () => retention.stop(), () => events.stop(), () => results.close(), () => runtime.close(), () => steps.close(), async () => void publisher.disconnect(), () => lock.close()];
    return new SchedulerService(runtime, reconciler, closers, logger, lost);
  }

  private closing: Promise<void> | undefined;

  /** Stops taking results and requests and stops driving (executions stay in the store for the next scheduler); safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await closeInOrder(this.closers, this.logger, 'scheduler');
      this.logger.info('scheduler stopped');
    })();
    return this.closing;
  }
}

/** Time between renewals of the scheduler's leader lock (cheap; frequent renewals let a claimant wait little). */
const LEADER_RENEW_MS = 2_000;

/** The scheduler's lock timings: a long lifetime (outages), frequent renewals, a short wait on unknown history. */
function leaderTimings(options: SchedulerServiceOptions): { ttlMs: number; renewIntervalMs: number; unknownHistoryWaitMs: number } {
  const ttlMs = options.leaderTtlMs ?? DEFAULT_SCHEDULER_LEADER_TTL_MS;
  const renewIntervalMs = Math.min(LEADER_RENEW_MS, Math.floor(ttlMs / 3));
  return { ttlMs, renewIntervalMs, unknownHistoryWaitMs: options.leaderUnknownHistoryWaitMs ?? Math.min(ttlMs, 2 * renewIntervalMs + 1_000) };
}

/** How long a control request refused by the fence waits before another scheduler may take it, in milliseconds. */
const FENCED_CONTROL_DELAY_MS = 1_000;

async function runControl(runtime: EmbeddedRuntime, job: Job, token: string | undefined, logger: Logger): Promise<void> {
  const request = parsePayload(ControlJobSchema, QueueName.Control, job.data);
  logger.info({ executionId: request.executionId, action: request.action }, 'control request');
  try {
    if (request.action === 'adopt') await runtime.resumeExecution(request.executionId);
    else await runtime.retryExecution(request.executionId);
  } catch (err) {
    // Another scheduler leads now: hand the request over instead of failing it (a retry's job id
    // would stay taken by the failed job, refusing the same retry until that job expires).
    if (!(err instanceof OrchestratorError && err.code === ErrorCode.Fenced)) throw err;
    logger.info({ executionId: request.executionId, action: request.action }, 'control request left to the new leader (this scheduler is fenced)');
    await job.moveToDelayed(Date.now() + FENCED_CONTROL_DELAY_MS, token);
    throw new DelayedError();
  }
}

import { performance } from 'node:perf_hooks';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  ErrorCode,
  OrchestratorError,
  isTerminalStepStatus,
  systemClock,
  toSerializedError,
  type ArtifactStore,
  type Clock,
  type ExecutionContext,
  type ExecutionHandle,
  type JobState,
  type ModelRegistryStore,
  type StepExecutionRecord,
  type StepExecutor,
  type StepType,
} from '@cairn/core';
import { QueueName, StepJobSchema, channelNames, parsePayload, stepJobId, type ResultJob, type StepJob } from './queues.js';
import { assertNoEviction, logConnectionErrors } from './redis.js';
import { ResultWriter } from './result-stream.js';
import type { ClusterServiceOptions } from './service-options.js';

/** Options of a step worker. */
export interface StepWorkerOptions extends ClusterServiceOptions {
  /** Attempts run at once by this worker. @defaultValue 4 */
  concurrency?: number;
  /** Longest wait between polls of a long-running backend job, in milliseconds (polls back off up to it). @defaultValue 30_000 */
  pollIntervalMs?: number;
  /** How long a worker holds a job without renewing its lock before another may take it, in milliseconds. @defaultValue 30_000 */
  lockDurationMs?: number;
  /** How often an attempt may be delivered (each worker that dies running it counts) before it fails. @defaultValue 3 */
  maxDeliveries?: number;
  /** What RegisterModel steps register with (a `ModelRegistry`, so registrations emit events). @defaultValue the store */
  registry?: ModelRegistryStore;
}

/** What every attempt's context shares (the worker's clock, artifacts, registry and logger). */
interface ContextBase {
  readonly clock: Clock;
  readonly artifacts: ArtifactStore;
  readonly registry: ModelRegistryStore;
  readonly logger: Logger;
}

/**
 * An attempt running in this worker, and the `ExecutionContext` its executor gets: one object per
 * job (the abort signal and the child logger are made on first use; most in-process jobs never
 * read them).
 */
class Running implements ExecutionContext {
  readonly executionId: string;
  readonly executionArn: string;
  readonly pipelineName: string;
  readonly stepName: string;
  readonly stepType: StepType;
  readonly attempt: number;
  readonly clock: Clock;
  readonly artifacts: ArtifactStore;
  readonly registry: ModelRegistryStore;
  /** Set at shutdown past the deadline: the attempt goes back to the queue unreported. */
  handedBack = false;
  /** An in-process job waiting for its executor: since when (`performance.now()`); -1 when it is not waiting or was reported `running`. */
  waitingSince = -1;
  /** What the `running` report of a waiting in-process job carries. */
  handle: ExecutionHandle | undefined;
  /** The `running` report sent by `reportLongRunning`, if any (the final state goes after it). */
  runningReport: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private aborted = false;
  private child: Logger | undefined;

  constructor(
    readonly work: StepJob,
    private readonly base: ContextBase,
    /** Set by a stop request: the attempt reports `stopped`. */
    public stopRequested: boolean,
  ) {
    this.executionId = work.executionId;
    this.executionArn = work.executionArn;
    this.pipelineName = work.pipelineName;
    this.stepName = work.stepName;
    this.stepType = work.stepType;
    this.attempt = work.attempt;
    this.clock = base.clock;
    this.artifacts = base.artifacts;
    this.registry = base.registry;
  }

  /** The attempt's abort signal, made on first use. */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.aborted) this.controller.abort();
    return this.controller.signal;
  }

  /** The attempt's child logger, made on first use. */
  get logger(): Logger {
    return (this.child ??= attemptLogger(this.base.logger, this.work));
  }

  abort(): void {
    this.aborted = true;
    this.controller?.abort();
  }
}

/** A child logger with the attempt's execution, step and attempt. */
function attemptLogger(logger: Logger, work: StepJob): Logger {
  return logger.child({ executionId: work.executionId, step: work.stepName, attempt: work.attempt });
}

/** The first delivery of a job is trusted (see `trustedState`): shared records, no allocation per job. */
const STARTING = Object.freeze({ status: 'Starting' as const });
const STOPPING = Object.freeze({ status: 'Stopping' as const });

const FIRST_POLL_MS = 250;
/** In-process jobs that end sooner than this send no separate `running` result. */
const RUNNING_REPORT_DELAY_MS = 100;

/**
 * Runs step attempts from the `steps` queue through the executors and reports each state on the
 * results stream (`ResultWriter`: one `XADD` for the states of jobs finishing together, written
 * before those jobs complete). In-process jobs (local processes, Lambda handlers) run to completion here;
 * backend jobs (SageMaker, callbacks) are started, then the same job is re-delayed for each poll,
 * so a long job holds no worker slot. Errors cross the queue as `SerializedError`.
 */
export class StepWorker {
  private readonly running = new Map<string, Running>();
  private readonly clock: Clock;
  private closing = false;

  private constructor(
    private readonly options: StepWorkerOptions,
    private readonly worker: Worker,
    /** The connection of the results stream. */
    private readonly results: Redis,
    private readonly subscriber: Redis,
  ) {
    this.clock = options.clock ?? systemClock;
    this.writer = new ResultWriter(results, options.prefix);
    this.base = { clock: this.clock, artifacts: options.artifacts, registry: options.registry ?? options.store, logger: options.logger };
  }

  /** What every attempt's context shares. */
  private readonly base: ContextBase;

  /** Appends reported states to the results stream, one entry per event-loop turn. */
  private readonly writer: ResultWriter;

  /** Checks Redis (`noeviction`), then starts taking jobs. */
  static async start(options: StepWorkerOptions): Promise<StepWorker> {
    await assertNoEviction(options.connection);
    const { connection, prefix } = options;
    const { logger } = options;
    const results = logConnectionErrors(new Redis(connection), logger, 'results stream');
    const subscriber = logConnectionErrors(new Redis(connection), logger, 'stop subscriber');
    const ref: { self?: StepWorker } = {};
    const worker = new Worker(QueueName.Steps, (job, token) => ref.self!.process(job, token), {
      connection,
      prefix,
      autorun: false,
      concurrency: options.concurrency ?? 4,
      lockDuration: options.lockDurationMs ?? 30_000,
      // A job whose worker died is noticed within one lock duration.
      stalledInterval: options.lockDurationMs ?? 30_000,
      // Deliveries are counted by the worker itself (`maxDeliveries`), so the failure is reported to the scheduler.
      maxStalledCount: 1_000,
    });
    const self = new StepWorker(options, worker, results, subscriber);
    ref.self = self;
    logConnectionErrors(worker, logger, 'steps worker');
    const { stop } = channelNames(prefix);
    subscriber.on('message', (_channel: string, jobId: string) => self.stopLocal(jobId));
    await subscriber.subscribe(stop);
    void worker.run();
    options.logger.info({ prefix, concurrency: options.concurrency ?? 4 }, 'step worker started');
    return self;
  }

  /** Every half `RUNNING_REPORT_DELAY_MS` while in-process jobs wait: `reportLongRunning`. */
  private sweep: NodeJS.Timeout | undefined;

  /** Marks an in-process job as waiting for its executor; `reportLongRunning` reports it `running` if it is still waiting after `RUNNING_REPORT_DELAY_MS`. */
  private startWaiting(entry: Running, handle: ExecutionHandle): void {
    entry.waitingSince = performance.now();
    entry.handle = handle;
    this.sweep ??= setInterval(() => this.reportLongRunning(), RUNNING_REPORT_DELAY_MS / 2).unref();
  }

  /**
   * Reports `running` (with the handle) for the in-process jobs waiting longer than
   * `RUNNING_REPORT_DELAY_MS` (so 100–150 ms after they started waiting); one timer for all of them
   * instead of a timer or a `Promise.race` per job. Stops itself when none is waiting.
   */
  private reportLongRunning(): void {
    const due = performance.now() - RUNNING_REPORT_DELAY_MS;
    let waiting = 0;
    for (const entry of this.running.values()) {
      if (entry.waitingSince < 0) continue;
      if (entry.waitingSince > due) {
        waiting += 1;
        continue;
      }
      entry.waitingSince = -1;
      entry.runningReport = this.report(entry.work, { state: 'running', handle: entry.handle! });
      // Awaited (and its failure surfaced) when the job ends; marked handled meanwhile.
      entry.runningReport.catch(() => undefined);
    }
    if (waiting === 0) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
  }

  /** Attempts running in this worker now. */
  get activeCount(): number {
    return this.running.size;
  }

  /**
   * Graceful shutdown: takes no new jobs, lets running attempts finish for up to `graceMs`, then
   * stops the rest and hands their jobs back to the queue (another worker runs them), and closes.
   */
  async close(graceMs = 30_000): Promise<void> {
    this.closing = true;
    const deadline = setTimeout(() => {
      for (const entry of this.running.values()) {
        entry.handedBack = true;
        entry.abort();
      }
    }, graceMs);
    try {
      await this.worker.close();
    } finally {
      clearTimeout(deadline);
      // Queued after every XADD of the finished jobs, so none is cut off.
      await this.results.quit().catch(() => this.results.disconnect());
      this.subscriber.disconnect();
    }
    this.options.logger.info('step worker stopped');
  }

  private stopLocal(jobId: string): void {
    const entry = this.running.get(jobId);
    if (!entry) return;
    entry.stopRequested = true;
    entry.abort();
  }

  /** The BullMQ processor: the worker edge, where non-retryable errors become `UnrecoverableError`. */
  private async process(job: Job, token: string | undefined): Promise<void> {
    try {
      await this.runJob(job, token);
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      const serialized = toSerializedError(err);
      this.options.logger.error({ err, jobId: job.id }, 'step job failed in the worker');
      if (!serialized.retryable) throw new UnrecoverableError(serialized.message);
      throw err;
    }
  }

  private async runJob(job: Job, token: string | undefined): Promise<void> {
    const work = parsePayload(StepJobSchema, QueueName.Steps, job.data) as StepJob;
    const record = this.trustedState(job, work) ?? (await this.storedState(work));
    if (!record) {
      attemptLogger(this.options.logger, work).debug('stale step job skipped (the attempt is over)');
      return;
    }
    const maxDeliveries = this.options.maxDeliveries ?? 3;
    if (job.stalledCounter >= maxDeliveries) {
      attemptLogger(this.options.logger, work).error({ deliveries: job.stalledCounter }, 'step lost its worker too often; failing it');
      await this.report(work, { state: 'failed', error: toSerializedError(workerLost(work, job.stalledCounter)) });
      return;
    }
    const executor = this.options.router.executorFor(work.request.step);
    if (!executor) {
      const fix = `register an executor for type '${work.stepType}' in the worker's configuration.`;
      await this.report(work, { state: 'failed', error: toSerializedError(new OrchestratorError(ErrorCode.ExecutorMissing, `No executor of this worker runs ${work.stepType} step "${work.stepName}".`, { fix })) });
      return;
    }
    const jobId = stepJobId(work);
    const entry = new Running(work, this.base, record.status === 'Stopping');
    this.running.set(jobId, entry);
    try {
      const state = executor.wait ? await this.runInProcess(executor, record, entry) : await this.pollOnce(executor, work, record, entry, { job, token });
      if (state === undefined) return;
      if (entry.handedBack || (this.closing && state.state !== 'succeeded')) return await handBack(job, token, entry.logger);
      await this.report(work, state);
    } finally {
      this.running.delete(jobId);
    }
  }

  /**
   * A job's first delivery is trusted without a read of the store: the scheduler dispatches only
   * after committing the attempt (a stop requested meanwhile is marked in the job). Redeliveries,
   * polls and jobs under another id are not (`undefined`: read the store, `storedState`).
   */
  private trustedState(job: Job, work: StepJob): Pick<StepExecutionRecord, 'status'> | undefined {
    if (job.attemptsStarted <= 1 && job.stalledCounter === 0 && !work.handle && job.id === stepJobId(work)) return work.stopRequested ? STOPPING : STARTING;
    return undefined;
  }

  /** What the store says of the attempt, or `undefined` when it is over (a stale or duplicate job). */
  private async storedState(work: StepJob): Promise<Pick<StepExecutionRecord, 'status' | 'handle'> | undefined> {
    const record = await this.options.store.getStepExecution(work.executionId, work.stepName);
    return record && record.attempt === work.attempt && !isTerminalStepStatus(record.status) ? record : undefined;
  }

  /** Local processes and Lambda handlers: start (idempotent per job name) and wait in this worker. */
  private async runInProcess(executor: StepExecutor, record: Pick<StepExecutionRecord, 'status'>, entry: Running): Promise<JobState> {
    // A stopped attempt that is not running here has nothing left to stop.
    if (record.status === 'Stopping') return { state: 'stopped' };
    let state: JobState;
    try {
      const handle = await executor.start(entry.work.request, entry);
      // Short jobs go Starting → Succeeded in one result; longer ones report `running` (progress, the handle) first (`reportLongRunning`).
      this.startWaiting(entry, handle);
      try {
        state = await executor.wait!(handle, entry);
      } finally {
        entry.waitingSince = -1;
      }
      // Appended before the final state, so it is in the stream first; awaited so that its failure is the attempt's, as before.
      if (entry.runningReport) await entry.runningReport;
    } catch (err) {
      state = { state: 'failed', error: toSerializedError(err) };
    }
    return entry.stopRequested && state.state === 'failed' ? { state: 'stopped' } : state;
  }

  /** Backend jobs: start once, then one poll per delivery; while running, the job is re-delayed (returns `undefined`). */
  private async pollOnce(executor: StepExecutor, work: StepJob, record: Pick<StepExecutionRecord, 'status' | 'handle'>, ctx: ExecutionContext, { job, token }: { job: Job; token: string | undefined }): Promise<JobState | undefined> {
    let handle: ExecutionHandle | undefined = work.handle ?? record.handle;
    if (record.status === 'Stopping' && handle === undefined) return { state: 'stopped' };
    const state = await attempt(async () => {
      if (handle === undefined) {
        handle = await executor.start(work.request, ctx);
        await this.report(work, { state: 'running', handle });
      }
      if (record.status === 'Stopping' && !job.data.stopSent) {
        await executor.stop(handle, ctx);
        await job.updateData({ ...job.data, stopSent: true });
      }
      return executor.poll(handle, ctx);
    });
    if (state.state !== 'running') return state;
    const polls = (work.polls ?? 0) + 1;
    const delay = Math.min(FIRST_POLL_MS * 2 ** Math.min(polls - 1, 16), this.options.pollIntervalMs ?? 30_000);
    await job.updateData({ ...job.data, handle, polls });
    await job.moveToDelayed(this.clock.now() + delay, token);
    throw new DelayedError();
  }

  /** Sends a state to the scheduler (a state sent twice is rejected there). */
  private async report(work: StepJob, state: JobState): Promise<void> {
    const result: ResultJob = { executionId: work.executionId, stepName: work.stepName, attempt: work.attempt, state };
    await this.writer.append(result);
  }
}

/** Runs executor calls; what they throw is the attempt's failure (reported), not the worker's. */
async function attempt(run: () => Promise<JobState>): Promise<JobState> {
  try {
    return await run();
  } catch (err) {
    return { state: 'failed', error: toSerializedError(err) };
  }
}

/** Puts a job back in the queue at once, unreported (shutdown): another worker runs the same attempt. */
async function handBack(job: Job, token: string | undefined, log: Logger): Promise<never> {
  log.info('step handed back to the queue (worker shutting down)');
  await job.moveToDelayed(Date.now(), token);
  throw new DelayedError();
}

function workerLost(work: StepJob, deliveries: number): OrchestratorError {
  return new OrchestratorError(ErrorCode.StepFailed, `Step "${work.stepName}" (attempt ${work.attempt}) lost its worker ${deliveries} times: the worker process died or stopped renewing its lock while running it.`, {
    fix: "check the step for what kills its worker (memory limits, process.exit in a handler) in the workers' logs; raise --max-deliveries if workers are restarted often.",
    retryable: false,
  });
}

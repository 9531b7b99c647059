import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts.js';
import type { Clock } from '../clock.js';
import { ErrorCode, toSerializedError } from '../errors.js';
import type { ExecutionContext, ExecutionHandle, ExecutorRouter, JobState, StepExecutor } from '../executor.js';
import type { ModelRegistryStore } from '../store/registry-store.js';
import type { ResultReporter, StepDispatcher, StepRef, StepWork } from './types.js';

/** Options of the in-process dispatcher. */
export interface InProcessDispatcherOptions {
  router: ExecutorRouter;
  report: ResultReporter;
  artifacts: ArtifactStore;
  registry: ModelRegistryStore;
  logger: Logger;
  clock: Clock;
  /** Longest wait between polls of executors without `wait`, in milliseconds (polls back off up to it). */
  pollIntervalMs: number;
}

interface Running {
  controller: AbortController;
  executor: StepExecutor;
  ctx: ExecutionContext;
  handle?: ExecutionHandle;
  stopRequested: boolean;
}

/** Runs steps in this process: `executor.start`, then `wait` (or `poll` with backoff), reporting each state. */
export class InProcessDispatcher implements StepDispatcher {
  private readonly running = new Map<string, Running>();
  private closed = false;

  constructor(private readonly options: InProcessDispatcherOptions) {}

  dispatch(work: StepWork): void {
    void this.run(work);
  }

  stop(ref: StepRef): void {
    const entry = this.running.get(keyOf(ref));
    if (!entry) return;
    entry.stopRequested = true;
    entry.controller.abort();
    if (entry.handle) void this.stopJob(entry, entry.handle);
  }

  /** Aborts every attempt in flight and ignores their results (shutdown; `resume` picks them up). */
  close(): void {
    this.closed = true;
    for (const entry of this.running.values()) entry.controller.abort();
  }

  private async run(work: StepWork): Promise<void> {
    const { executionId, stepName, attempt } = work;
    const executor = this.options.router.executorFor(work.request.step);
    if (!executor) {
      await this.report(work, { state: 'failed', error: { code: ErrorCode.ExecutorMissing, message: `No executor runs ${work.stepType} step "${stepName}". To fix: register an executor for type '${work.stepType}'.`, retryable: false } });
      return;
    }
    const controller = new AbortController();
    const o = this.options;
    let logger: Logger | undefined;
    const ctx: ExecutionContext = {
      executionId,
      executionArn: work.executionArn,
      pipelineName: work.pipelineName,
      stepName,
      stepType: work.stepType,
      attempt,
      // Node makes an AbortSignal only on first access (≈ 10 µs): executors that never look at it skip that.
      get signal() {
        return controller.signal;
      },
      // A child logger per attempt is made only when the executor logs (it is the hot path).
      get logger() {
        return (logger ??= o.logger.child({ executionId, step: stepName, attempt }));
      },
      clock: o.clock,
      artifacts: o.artifacts,
      registry: o.registry,
    };
    const entry: Running = { controller, executor, ctx, stopRequested: false, ...(work.handle ? { handle: work.handle } : {}) };
    const key = keyOf(work);
    this.running.set(key, entry);
    try {
      let handle = work.handle;
      if (!handle) {
        handle = await executor.start(work.request, ctx);
        entry.handle = handle;
        void this.report(work, { state: 'running', handle });
        if (entry.stopRequested) await this.stopJob(entry, handle);
      }
      const state = executor.wait ? await executor.wait(handle, ctx) : await this.pollUntilDone(executor, entry, handle, work);
      await this.report(work, state);
    } catch (err) {
      await this.report(work, entry.stopRequested ? { state: 'stopped' } : { state: 'failed', error: toSerializedError(err) });
    } finally {
      this.running.delete(key);
    }
  }

  /** Reports an attempt's state (ignored once closed). */
  private report(work: StepWork, state: JobState): Promise<boolean> {
    return this.closed ? Promise.resolve(false) : this.options.report(work.executionId, work.stepName, work.attempt, state);
  }

  private async stopJob(entry: Running, handle: ExecutionHandle): Promise<void> {
    try {
      await entry.executor.stop(handle, entry.ctx);
    } catch (err) {
      entry.ctx.logger.warn({ err }, 'executor could not stop the step');
    }
  }

  /**
   * Polls until the job ends. A `running` state that carries a handle replaces the handle (the
   * next poll and a stop use it) and is reported so the store keeps it; a `pollDelayMs` in the
   * handle sets the next delay, else polls back off up to `pollIntervalMs`.
   */
  private async pollUntilDone(executor: StepExecutor, entry: Running, first: ExecutionHandle, work: StepWork): Promise<JobState> {
    let handle = first;
    let delay = Math.min(20, this.options.pollIntervalMs);
    for (;;) {
      const state = await executor.poll(handle, entry.ctx);
      if (state.state !== 'running') return state;
      if (state.handle) {
        handle = entry.handle = state.handle;
        void this.report(work, state);
      }
      const hint = handle['pollDelayMs'];
      await new Promise((r) => setTimeout(r, typeof hint === 'number' ? hint : delay));
      delay = Math.min(delay * 2, this.options.pollIntervalMs);
    }
  }
}

function keyOf(ref: { executionId: string; stepName: string; attempt: number }): string {
  return `${ref.executionId}/${ref.stepName}/${ref.attempt}`;
}

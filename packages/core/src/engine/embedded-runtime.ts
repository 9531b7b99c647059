import { pino, type Logger } from 'pino';
import type { ArtifactStore } from '../artifacts.js';
import { systemClock, type Clock } from '../clock.js';
import type { ExecutorRouter } from '../executor.js';
import { isTerminalExecutionStatus } from '../scheduler/status.js';
import type { OrchestratorError } from '../errors.js';
import type { ExecutionRecord, StoreFence } from '../store/execution-store.js';
import type { CairnStore } from '../store/store.js';
import type { ModelRegistryStore } from '../store/registry-store.js';
import { createCallbackExecutor, type CallbackMessage } from './callback-executor.js';
import { Coordinator } from './coordinator.js';
import { InProcessDispatcher } from './in-process-dispatcher.js';
import { PipelineLoader, type LoadedPipeline } from './pipeline-loader.js';
import { getExecutionOrThrow, planSelective, requestStopInStore, submitExecution, type StartExecutionInput } from './submit.js';
import type { ExecutionObserver, ResultReporter, RuntimeEvent, StepDispatcher } from './types.js';

/** Options of the embedded runtime. */
export interface RuntimeOptions {
  store: CairnStore;
  executors: ExecutorRouter;
  artifacts: ArtifactStore;
  /** @defaultValue pino at level info */
  logger?: Logger;
  clock?: Clock;
  /** ARN prefix `arn:aws:sagemaker:<region>:<account>`. @defaultValue 'arn:aws:sagemaker:local:000000000000' */
  arnPrefix?: string;
  /** Receives Callback step messages. @defaultValue logs them */
  callbackSink?: (message: CallbackMessage) => void | Promise<void>;
  observers?: ExecutionObserver[];
  /** How often the store is checked for an external stop or a callback redemption, in milliseconds. @defaultValue 500 */
  pollIntervalMs?: number;
  /** Which runtime this is (stored on executions; `resume` adopts only its own). @defaultValue 'embedded' */
  runtime?: string;
  /** Makes the dispatcher (default: in-process); the distributed runtime passes a queue-backed one. */
  dispatcher?: (report: ResultReporter) => ClosableDispatcher;
  /** What RegisterModel steps register with (a `ModelRegistry`, so registrations emit events). @defaultValue the store */
  registry?: ModelRegistryStore;
  /**
   * First wait before `resume` tries again an execution whose stored definition does not load, in
   * milliseconds; it doubles per failure, up to an hour. @defaultValue 60_000
   */
  unloadableRetryMs?: number;
  /**
   * A fencing token every commit of the coordinator carries (the distributed scheduler's leader
   * term); see `CoordinatorOptions.fence`. @defaultValue none (commits are not fenced)
   */
  fence?: StoreFence;
  /** Called once when a fenced commit was refused: the runtime has stopped driving every execution. */
  onFenced?: (err: OrchestratorError) => void;
}

/** A dispatcher the runtime closes on `close()`. */
export interface ClosableDispatcher extends StepDispatcher {
  /** Stops dispatching; results reported afterwards are ignored. */
  close(): void | Promise<void>;
  /** Whether dispatching the same attempt twice is a no-op (then unstarted attempts resume as themselves). */
  readonly idempotent?: boolean;
}

export { newExecutionId } from './execution-id.js';
export type { StartExecutionInput } from './submit.js';

/**
 * Runs pipelines in this process against a `CairnStore`: the public API the CLI uses. Executions
 * survive a crash (`resume`), can be stopped from another process (`stopExecution` marks the
 * store; the driving process notices within `pollIntervalMs`) and retried in place. Executions of
 * one pipeline version share one compiled (frozen) pipeline.
 */
export class EmbeddedRuntime {
  private readonly coordinator: Coordinator;
  private readonly dispatcher: ClosableDispatcher;
  private readonly runtimeName: string;
  private readonly adopting = new Set<string>();
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private readonly store: CairnStore;
  private readonly router: ExecutorRouter;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly arnPrefix: string;
  private readonly pollIntervalMs: number;
  private readonly watcher: NodeJS.Timeout;
  private readonly pipelines: PipelineLoader;

  constructor(options: RuntimeOptions) {
    this.store = options.store;
    this.logger = options.logger ?? pino();
    this.clock = options.clock ?? systemClock;
    this.arnPrefix = options.arnPrefix ?? 'arn:aws:sagemaker:local:000000000000';
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.runtimeName = options.runtime ?? 'embedded';
    this.pipelines = new PipelineLoader({ logger: this.logger, clock: this.clock, ...(options.unloadableRetryMs !== undefined ? { retryBaseMs: options.unloadableRetryMs } : {}) });
    const callback = createCallbackExecutor({ store: this.store, logger: this.logger, ...(options.callbackSink ? { sink: options.callbackSink } : {}) });
    const base = options.executors;
    this.router = {
      executors: [...base.executors, callback],
      executorFor: (step) => base.executorFor(step) ?? (step.Type === 'Callback' ? callback : undefined),
    };
    const report: ResultReporter = (...args) => this.coordinator.reportResult(...args);
    this.dispatcher = options.dispatcher
      ? options.dispatcher(report)
      : new InProcessDispatcher({ router: this.router, report, artifacts: options.artifacts, registry: options.registry ?? this.store, logger: this.logger, clock: this.clock, pollIntervalMs: this.pollIntervalMs });
    this.coordinator = new Coordinator({
      store: this.store,
      artifacts: options.artifacts,
      dispatcher: this.dispatcher,
      logger: this.logger,
      clock: this.clock,
      observers: options.observers ?? [],
      onEvent: (event) => this.emit(event),
      redispatchUnstarted: this.dispatcher.idempotent ?? false,
      ...(options.fence ? { fence: options.fence } : {}),
      ...(options.onFenced ? { onFenced: options.onFenced } : {}),
    });
    this.watcher = setInterval(() => void this.watchStops(), this.pollIntervalMs);
    this.watcher.unref();
  }

  /**
   * Parses, compiles and checks parameters (throwing `DefinitionError` / `PARAMETER_INVALID` /
   * `EXECUTOR_MISSING` before anything runs), stores the pipeline version and the execution, and
   * starts driving it. Returns at once.
   */
  async startExecution(input: StartExecutionInput): Promise<ExecutionRecord> {
    const { record, compiled, plan } = await submitExecution(input, { store: this.store, router: this.router, clock: this.clock, arnPrefix: this.arnPrefix, runtime: this.runtimeName });
    this.emit({ type: 'execution', execution: { ...record } });
    const loaded = this.pipelines.share(record.definition, compiled, typeof input.definition === 'string');
    this.coordinator.start(withSharedDefinition(record, loaded), loaded.compiled, plan);
    return record;
  }

  /** Resolves with the execution once it is terminal (also for executions driven elsewhere). */
  async waitForExecution(id: string): Promise<ExecutionRecord> {
    const driven = this.coordinator.waitFor(id);
    if (driven) return driven;
    for (;;) {
      const record = await this.getExecution(id);
      if (isTerminalExecutionStatus(record.status)) return record;
      await new Promise((r) => setTimeout(r, this.pollIntervalMs));
    }
  }

  /** Stops an execution; for one driven by another process it marks it Stopping in the store. */
  async stopExecution(id: string): Promise<void> {
    if (this.coordinator.requestStop(id)) return;
    await requestStopInStore(this.store, id, this.clock);
  }

  /**
   * Retries a Failed or Stopped execution in place (same id; succeeded steps kept). Throws
   * `EXECUTION_NOT_RETRYABLE` when it cannot be: still running, ended at a Fail step, or its stored
   * definition does not load with this version of Cairn (the reason is the error's cause).
   */
  async retryExecution(id: string): Promise<ExecutionRecord> {
    const record = await this.getExecution(id);
    const loaded = this.pipelines.loadForRetry(record);
    await this.coordinator.retry(withSharedDefinition(record, loaded), loaded.compiled);
    return { ...record, status: 'Executing' };
  }

  /**
   * Takes over every active execution of this runtime not driven here (after a crash or restart, or
   * submitted by a client). An execution whose stored definition does not load is skipped (its
   * status unchanged): logged once, then tried again after a backoff (see `resumeExecution`).
   */
  async resume(): Promise<ExecutionRecord[]> {
    const driven = new Set(this.coordinator.executionIds);
    const listed = await this.store.listActiveExecutions();
    this.pipelines.retainFailures(new Set(listed.map((e) => e.id)));
    const active = listed.filter((e) => e.runtime === this.runtimeName && !driven.has(e.id) && !this.pipelines.isDeferred(e.id));
    const adopted: ExecutionRecord[] = [];
    // Re-read each one: an execution that ended since the listing must not be driven again.
    for (const record of active) if (await this.take(record.id, false)) adopted.push(record);
    return adopted;
  }

  /**
   * Takes over one active execution of this runtime if it is not driven here yet; resolves whether
   * it did. Tries even an execution `resume` is holding back, and throws `DEFINITION_INVALID` (or
   * `DEFINITION_TOO_LARGE`) naming it when its stored definition does not load.
   */
  resumeExecution(id: string): Promise<boolean> {
    return this.take(id, true);
  }

  /** Dispatches every in-flight attempt of every driven execution again (see `Coordinator.redispatchInFlight`); returns how many. */
  redispatchInFlight(): number {
    return this.coordinator.executionIds.reduce((n, id) => n + this.coordinator.redispatchInFlight(id), 0);
  }

  /** Executions this runtime drives now. */
  get drivenExecutionIds(): string[] {
    return this.coordinator.executionIds;
  }

  /** Adopts an execution after reading it again; a load failure is thrown when `explicit`, else only logged (once) by the loader. */
  private async take(id: string, explicit: boolean): Promise<boolean> {
    const record = await this.store.getExecution(id);
    return record !== undefined && record.runtime === this.runtimeName && !isTerminalExecutionStatus(record.status) && this.adopt(record, explicit);
  }

  private async adopt(stored: ExecutionRecord, explicit: boolean): Promise<boolean> {
    if (this.adopting.has(stored.id) || this.coordinator.drives(stored.id)) return false;
    let loaded: LoadedPipeline;
    try {
      loaded = this.pipelines.load(stored);
    } catch (err) {
      if (explicit) throw err;
      return false;
    }
    const compiled = loaded.compiled;
    const record = withSharedDefinition(stored, loaded);
    this.adopting.add(record.id);
    try {
      // A submitted execution nobody has started yet: start it (selective plans copy steps first).
      const fresh = record.selectiveExecution !== undefined && (await this.store.listStepExecutions(record.id)).length === 0;
      if (fresh) this.coordinator.start(record, compiled, await planSelective(this.store, compiled, record.pipelineName, record.selectiveExecution!));
      else await this.coordinator.resume(record, compiled);
      return true;
    } finally {
      this.adopting.delete(record.id);
    }
  }

  /** Subscribes to progress events; returns the unsubscribe function. */
  on(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops driving executions (they stay resumable); does not close the store or the executors. */
  async close(): Promise<void> {
    clearInterval(this.watcher);
    await this.dispatcher.close();
    this.coordinator.close();
  }

  private emit(event: RuntimeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error({ err }, 'a runtime event listener failed');
      }
    }
  }

  private getExecution(id: string): Promise<ExecutionRecord> {
    return getExecutionOrThrow(this.store, id);
  }

  /** Notices stops requested by other processes (one query for all driven executions). */
  private async watchStops(): Promise<void> {
    const driven = new Set(this.coordinator.executionIds);
    if (driven.size === 0) return;
    try {
      const stopping = await this.store.listExecutions({ status: 'Stopping', limit: 10_000 });
      for (const record of stopping) if (driven.has(record.id)) this.coordinator.requestStop(record.id);
    } catch (err) {
      this.logger.warn({ err }, 'could not check executions for stop requests');
    }
  }
}

/**
 * The execution as the coordinator keeps it: its definition text (equal to the loader's) swapped for
 * the loader's shared copy, so the executions of one pipeline version hold one string, not one each.
 */
function withSharedDefinition(record: ExecutionRecord, loaded: LoadedPipeline): ExecutionRecord {
  return { ...record, definition: loaded.definition };
}

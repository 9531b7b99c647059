import { randomInt } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { ArtifactStore } from '../artifacts.js';
import { systemClock, type Clock } from '../clock.js';
import { compilePipeline } from '../compile/compile-pipeline.js';
import type { CompiledPipeline } from '../compile/types.js';
import { parsePipelineDefinition, serializePipelineDefinition } from '../definition/parse.js';
import type { PipelineDefinition } from '../definition/pipeline.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { ExecutorRouter } from '../executor.js';
import { resolveParameters } from '../expressions/parameters.js';
import { isTerminalExecutionStatus } from '../scheduler/status.js';
import type { ExecutionRecord, StepExecutionRecord } from '../store/execution-store.js';
import type { CairnStore } from '../store/store.js';
import { createCallbackExecutor, type CallbackMessage } from './callback-executor.js';
import { Coordinator, type StartPlan } from './coordinator.js';
import { InProcessDispatcher } from './in-process-dispatcher.js';
import { planSelectiveExecution } from './selective-execution.js';
import type { ExecutionObserver, RuntimeEvent } from './types.js';

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
}

/** Input of `startExecution`. */
export interface StartExecutionInput {
  pipelineName: string;
  /** A parsed definition or its JSON text. */
  definition: PipelineDefinition | string;
  /** Parameter overrides as strings, as `StartPipelineExecution` takes them. */
  parameters?: Record<string, string>;
  displayName?: string;
  description?: string;
  maxParallelExecutionSteps?: number;
  selectiveExecution?: { sourceExecutionId?: string; selectedSteps: string[] };
}

/** Step types the coordinator evaluates itself (no executor needed). */
const BUILT_IN_TYPES = new Set(['Condition', 'Fail', 'Callback']);
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A new execution id: 12 lowercase alphanumerics from a cryptographic source. */
export function newExecutionId(): string {
  let id = '';
  for (let i = 0; i < 12; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/**
 * Runs pipelines in this process against a `CairnStore`: the public API the CLI uses. Executions
 * survive a crash (`resume`), can be stopped from another process (`stopExecution` marks the
 * store; the driving process notices within `pollIntervalMs`) and retried in place.
 */
export class EmbeddedRuntime {
  private readonly coordinator: Coordinator;
  private readonly dispatcher: InProcessDispatcher;
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private readonly store: CairnStore;
  private readonly router: ExecutorRouter;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly arnPrefix: string;
  private readonly pollIntervalMs: number;
  private readonly watcher: NodeJS.Timeout;

  constructor(options: RuntimeOptions) {
    this.store = options.store;
    this.logger = options.logger ?? pino();
    this.clock = options.clock ?? systemClock;
    this.arnPrefix = options.arnPrefix ?? 'arn:aws:sagemaker:local:000000000000';
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    const callback = createCallbackExecutor({ store: this.store, logger: this.logger, ...(options.callbackSink ? { sink: options.callbackSink } : {}) });
    const base = options.executors;
    this.router = {
      executors: [...base.executors, callback],
      executorFor: (step) => base.executorFor(step) ?? (step.Type === 'Callback' ? callback : undefined),
    };
    this.dispatcher = new InProcessDispatcher({
      router: this.router,
      report: (...args) => this.coordinator.reportResult(...args),
      artifacts: options.artifacts,
      registry: this.store,
      logger: this.logger,
      clock: this.clock,
      pollIntervalMs: this.pollIntervalMs,
    });
    this.coordinator = new Coordinator({
      store: this.store,
      artifacts: options.artifacts,
      dispatcher: this.dispatcher,
      logger: this.logger,
      clock: this.clock,
      observers: options.observers ?? [],
      onEvent: (event) => this.emit(event),
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
    const definition = parsePipelineDefinition(input.definition);
    const compiled = compilePipeline(definition);
    const parameters = resolveParameters(definition.Parameters ?? [], input.parameters ?? {});
    this.assertExecutors(compiled);
    const plan = input.selectiveExecution ? await this.planSelective(compiled, input.pipelineName, input.selectiveExecution) : undefined;
    const text = typeof input.definition === 'string' ? input.definition : serializePipelineDefinition(definition);
    const pipeline = await this.store.putPipeline({ name: input.pipelineName, definition: text });
    const id = newExecutionId();
    const now = this.clock.now();
    const pipelineArn = `${this.arnPrefix}:pipeline/${input.pipelineName.toLowerCase()}`;
    const maxParallel = input.maxParallelExecutionSteps ?? pipeline.maxParallelExecutionSteps;
    const record: ExecutionRecord = {
      id,
      arn: `${pipelineArn}/execution/${id}`,
      pipelineName: input.pipelineName,
      pipelineArn,
      pipelineVersion: pipeline.version,
      definition: text,
      status: 'Executing',
      parameters,
      runtime: 'embedded',
      createdAt: now,
      updatedAt: now,
      version: 1,
      ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(maxParallel !== undefined ? { maxParallelExecutionSteps: maxParallel } : {}),
      ...(input.selectiveExecution ? { selectiveExecution: input.selectiveExecution } : {}),
    };
    await this.store.createExecution(record);
    this.emit({ type: 'execution', execution: { ...record } });
    this.coordinator.start({ ...record }, compiled, plan);
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
    const record = await this.getExecution(id);
    if (record.status !== 'Executing') return;
    await this.store.commit({ execution: { id, patch: { status: 'Stopping', updatedAt: this.clock.now() }, expectedVersion: record.version } });
  }

  /** Retries a Failed or Stopped execution in place (same id; succeeded steps kept). */
  async retryExecution(id: string): Promise<ExecutionRecord> {
    const record = await this.getExecution(id);
    await this.coordinator.retry(record, compilePipeline(parsePipelineDefinition(record.definition)));
    return { ...record, status: 'Executing' };
  }

  /** Takes over every active embedded execution not driven here (after a crash or restart). */
  async resume(): Promise<ExecutionRecord[]> {
    const driven = new Set(this.coordinator.executionIds);
    const active = (await this.store.listActiveExecutions()).filter((e) => e.runtime === 'embedded' && !driven.has(e.id));
    for (const record of active) await this.coordinator.resume(record, compilePipeline(parsePipelineDefinition(record.definition)));
    return active;
  }

  /** Subscribes to progress events; returns the unsubscribe function. */
  on(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops driving executions (they stay resumable); does not close the store or the executors. */
  async close(): Promise<void> {
    clearInterval(this.watcher);
    this.dispatcher.close();
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

  private async getExecution(id: string): Promise<ExecutionRecord> {
    const record = await this.store.getExecution(id);
    if (!record) {
      throw new OrchestratorError(ErrorCode.ExecutionNotFound, `There is no execution "${id}".`, { fix: 'list executions with `cairn executions list` and use one of their ids.' });
    }
    return record;
  }

  /** Notices stops requested by other processes. */
  private async watchStops(): Promise<void> {
    for (const id of this.coordinator.executionIds) {
      try {
        const record = await this.store.getExecution(id);
        if (record?.status === 'Stopping') this.coordinator.requestStop(id);
      } catch (err) {
        this.logger.warn({ err, executionId: id }, 'could not check the execution for a stop request');
      }
    }
  }

  private assertExecutors(compiled: CompiledPipeline): void {
    const missing = [...compiled.steps.values()].filter((s) => !BUILT_IN_TYPES.has(s.step.Type) && !this.router.executorFor(s.step));
    if (missing.length === 0) return;
    const types = [...new Set(missing.map((s) => s.step.Type))];
    throw new OrchestratorError(ErrorCode.ExecutorMissing, `No executor runs step(s) ${missing.map((s) => `"${s.name}" (${s.step.Type})`).join(', ')}.`, {
      fix: `register an executor for type ${types.map((t) => `'${t}'`).join(', ')}, or route these steps to one.`,
    });
  }

  private async planSelective(compiled: CompiledPipeline, pipelineName: string, selection: NonNullable<StartExecutionInput['selectiveExecution']>): Promise<StartPlan> {
    let sourceSteps: StepExecutionRecord[] | undefined;
    if (selection.sourceExecutionId !== undefined) {
      const source = await this.getExecution(selection.sourceExecutionId);
      if (source.pipelineName !== pipelineName || !isTerminalExecutionStatus(source.status)) {
        throw new OrchestratorError(ErrorCode.ParameterInvalid, `Execution ${source.id} cannot be the source: it belongs to pipeline "${source.pipelineName}" and is ${source.status}.`, {
          fix: 'use a Succeeded, Failed or Stopped execution of the same pipeline as the source.',
        });
      }
      sourceSteps = await this.store.listStepExecutions(source.id);
    }
    const plan = planSelectiveExecution(compiled, selection.selectedSteps, sourceSteps);
    const reused = new Set(plan.reused);
    return { reused: (sourceSteps ?? []).filter((r) => reused.has(r.stepName)), excluded: plan.excluded };
  }
}

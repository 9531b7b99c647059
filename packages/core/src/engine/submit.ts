import type { Clock } from '../clock.js';
import { compilePipeline } from '../compile/compile-pipeline.js';
import type { CompiledPipeline } from '../compile/types.js';
import { parsePipelineDefinition, serializePipelineDefinition } from '../definition/parse.js';
import type { PipelineDefinition } from '../definition/pipeline.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { ExecutorRouter } from '../executor.js';
import { resolveParameters } from '../expressions/parameters.js';
import { isTerminalExecutionStatus } from '../scheduler/status.js';
import type { ExecutionRecord, ExecutionStore, StepExecutionRecord } from '../store/execution-store.js';
import type { CairnStore } from '../store/store.js';
import type { StartPlan } from './coordinator.js';
import { newExecutionId } from './execution-id.js';
import { planSelectiveExecution } from './selective-execution.js';

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

/** What `submitExecution` needs: the store, the executors to check against and how to name the execution. */
export interface SubmitContext {
  store: CairnStore;
  router: ExecutorRouter;
  clock: Clock;
  /** ARN prefix `arn:aws:sagemaker:<region>:<account>`. */
  arnPrefix: string;
  /** Which runtime will drive the execution: 'embedded' or 'distributed'. */
  runtime: string;
}

/** A stored, not yet driven execution with what its coordinator needs to start it. */
export interface SubmittedExecution {
  record: ExecutionRecord;
  compiled: CompiledPipeline;
  plan: StartPlan | undefined;
}

/** Step types the coordinator evaluates itself (no executor needed). */
const BUILT_IN_TYPES = new Set(['Condition', 'Fail', 'Callback']);

/**
 * Parses, compiles and checks parameters and executors (throwing `DefinitionError` /
 * `PARAMETER_INVALID` / `EXECUTOR_MISSING` before anything is stored), then stores the pipeline
 * version and the execution (status Executing). Used by every runtime and by cluster clients.
 */
export async function submitExecution(input: StartExecutionInput, ctx: SubmitContext): Promise<SubmittedExecution> {
  const definition = parsePipelineDefinition(input.definition);
  const compiled = compilePipeline(definition);
  const parameters = resolveParameters(definition.Parameters ?? [], input.parameters ?? {});
  assertExecutors(ctx.router, compiled);
  const plan = input.selectiveExecution ? await planSelective(ctx.store, compiled, input.pipelineName, input.selectiveExecution) : undefined;
  const text = typeof input.definition === 'string' ? input.definition : serializePipelineDefinition(definition);
  const pipeline = await ctx.store.putPipeline({ name: input.pipelineName, definition: text });
  const id = newExecutionId();
  const now = ctx.clock.now();
  const pipelineArn = `${ctx.arnPrefix}:pipeline/${input.pipelineName.toLowerCase()}`;
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
    runtime: ctx.runtime,
    createdAt: now,
    updatedAt: now,
    version: 1,
    ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(maxParallel !== undefined ? { maxParallelExecutionSteps: maxParallel } : {}),
    ...(input.selectiveExecution ? { selectiveExecution: input.selectiveExecution } : {}),
  };
  await ctx.store.createExecution(record);
  return { record, compiled, plan };
}

/** Reads an execution; `EXECUTION_NOT_FOUND` when the store has none. */
export async function getExecutionOrThrow(store: ExecutionStore, id: string): Promise<ExecutionRecord> {
  const record = await store.getExecution(id);
  if (!record) {
    throw new OrchestratorError(ErrorCode.ExecutionNotFound, `There is no execution "${id}".`, { fix: 'list executions with `cairn executions list` and use one of their ids.' });
  }
  return record;
}

/** Marks an execution driven by another process Stopping in the store (its driver notices); no-op unless Executing. */
export async function requestStopInStore(store: ExecutionStore, id: string, clock: Clock): Promise<void> {
  const record = await getExecutionOrThrow(store, id);
  if (record.status !== 'Executing') return;
  await store.commit({ executions: [{ id, patch: { status: 'Stopping', updatedAt: clock.now() }, expectedVersion: record.version }] });
}

function assertExecutors(router: ExecutorRouter, compiled: CompiledPipeline): void {
  const missing = [...compiled.steps.values()].filter((s) => !BUILT_IN_TYPES.has(s.step.Type) && !router.executorFor(s.step));
  if (missing.length === 0) return;
  const types = [...new Set(missing.map((s) => s.step.Type))];
  throw new OrchestratorError(ErrorCode.ExecutorMissing, `No executor runs step(s) ${missing.map((s) => `"${s.name}" (${s.step.Type})`).join(', ')}.`, {
    fix: `register an executor for type ${types.map((t) => `'${t}'`).join(', ')}, or route these steps to one.`,
  });
}

/** The start plan of a selective execution: which steps are copied from the source and which are left out. */
export async function planSelective(store: ExecutionStore, compiled: CompiledPipeline, pipelineName: string, selection: NonNullable<StartExecutionInput['selectiveExecution']>): Promise<StartPlan> {
  let sourceSteps: StepExecutionRecord[] | undefined;
  if (selection.sourceExecutionId !== undefined) {
    const source = await getExecutionOrThrow(store, selection.sourceExecutionId);
    if (source.pipelineName !== pipelineName || !isTerminalExecutionStatus(source.status)) {
      throw new OrchestratorError(ErrorCode.ParameterInvalid, `Execution ${source.id} cannot be the source: it belongs to pipeline "${source.pipelineName}" and is ${source.status}.`, {
        fix: 'use a Succeeded, Failed or Stopped execution of the same pipeline as the source.',
      });
    }
    sourceSteps = await store.listStepExecutions(source.id);
  }
  const plan = planSelectiveExecution(compiled, selection.selectedSteps, sourceSteps);
  const reused = new Set(plan.reused);
  return { reused: (sourceSteps ?? []).filter((r) => reused.has(r.stepName)), excluded: plan.excluded };
}

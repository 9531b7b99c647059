import type { ArtifactStore } from '../artifacts.js';
import type { Clock } from '../clock.js';
import type { JsonGetExpression, JoinExpression } from '../definition/expressions.js';
import { isExpression } from '../definition/expressions.js';
import type { ParameterValue } from '../definition/parameters.js';
import type { Step } from '../definition/steps.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { JsonObject, JsonValue } from '../json.js';
import type { PropertySegment } from '../compile/properties.js';
import { parsePath, selectPath } from './property-path.js';
import { renderJoinItem } from './render.js';

/** Execution facts that `Get Execution.*` reads (reference §5.4). */
export interface ExecutionVariables {
  executionId: string;
  executionArn: string;
  pipelineName: string;
  pipelineArn: string;
  /** Execution start, epoch milliseconds (rendered as ISO-8601). */
  startTime: number;
}

/** A step as the resolver sees it: its definition and, once it succeeded, its properties. */
export interface ResolvableStep {
  step: Step;
  properties?: JsonObject | undefined;
}

/** Everything `resolveValue` may read. */
export interface ResolveContext {
  parameters: Readonly<Record<string, ParameterValue>>;
  execution: ExecutionVariables;
  /** Resolved `PipelineExperimentConfig`; `undefined` when the definition disables it (`null`). */
  experiment?: { ExperimentName?: string; TrialName?: string } | undefined;
  /** The step being resolved and its job name (for `Execution.TrainingJobName` / `ProcessingJobName`). */
  current?: { stepType: string; jobName?: string } | undefined;
  /** Looks up another step of the execution. */
  step(name: string): ResolvableStep | undefined;
  artifacts: ArtifactStore;
  clock: Clock;
}

/** True when `value` contains an expression anywhere (used to skip resolution on the fast path). */
export function hasExpressions(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (isExpression(value)) return true;
  if (Array.isArray(value)) return value.some(hasExpressions);
  for (const k in value) if (hasExpressions((value as Record<string, unknown>)[k])) return true;
  return false;
}

/**
 * Resolves every expression inside a JSON value. Throws `EXPRESSION_FAILED` naming the expression,
 * its JSON path (`at`, e.g. `Arguments.ProcessingInputs[0].S3Input.S3Uri`) and the fix.
 */
export async function resolveValue(value: unknown, ctx: ResolveContext, at = ''): Promise<JsonValue> {
  if (value === null || typeof value !== 'object') return value as JsonValue;
  if (isExpression(value)) {
    if ('Get' in value) return resolveGet(value.Get, ctx, at);
    if ('Std:Join' in value) return resolveJoin(value, ctx, at);
    return resolveJsonGet(value, ctx, at);
  }
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) out.push(await resolveValue(value[i], ctx, `${at}[${i}]`));
    return out;
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) out[k] = await resolveValue(v, ctx, at ? `${at}.${k}` : k);
  return out;
}

function fail(expression: string, at: string, problem: string, fix: string): OrchestratorError {
  return new OrchestratorError(ErrorCode.ExpressionFailed, `${expression} at ${at || '(root)'} failed: ${problem}.`, {
    fix,
    details: { expression, path: at },
  });
}

async function resolveGet(ref: string, ctx: ResolveContext, at: string): Promise<JsonValue> {
  const expr = `{"Get": "${ref}"}`;
  const dot = ref.indexOf('.');
  const root = dot < 0 ? ref : ref.slice(0, dot);
  const rest = dot < 0 ? '' : ref.slice(dot + 1);
  switch (root) {
    case 'Parameters': {
      if (!Object.hasOwn(ctx.parameters, rest)) throw fail(expr, at, `there is no parameter "${rest}"`, 'declare the parameter in the definition\'s "Parameters".');
      return ctx.parameters[rest]!;
    }
    case 'Execution':
      return executionVariable(rest, ctx, expr, at);
    case 'PipelineExperimentConfig': {
      const v = ctx.experiment?.[rest as 'ExperimentName' | 'TrialName'];
      if (v === undefined) throw fail(expr, at, 'the pipeline has no experiment configuration with that field', 'use ExperimentName or TrialName, and do not set PipelineExperimentConfig to null.');
      return v;
    }
    case 'Steps':
      return stepProperty(rest, ctx, expr, at);
    default:
      throw fail(expr, at, `"${root}" is not a reference root`, 'start the reference with Parameters., Execution., Steps. or PipelineExperimentConfig.');
  }
}

function executionVariable(name: string, ctx: ResolveContext, expr: string, at: string): JsonValue {
  const e = ctx.execution;
  switch (name) {
    case 'PipelineExecutionId':
      return e.executionId;
    case 'PipelineExecutionArn':
      return e.executionArn;
    case 'PipelineName':
      return e.pipelineName;
    case 'PipelineArn':
      return e.pipelineArn;
    case 'StartDateTime':
      return new Date(e.startTime).toISOString();
    case 'CurrentDateTime':
      return new Date(ctx.clock.now()).toISOString();
    case 'TrainingJobName':
    case 'ProcessingJobName': {
      const want = name === 'TrainingJobName' ? 'Training' : 'Processing';
      if (ctx.current?.stepType === want && ctx.current.jobName) return ctx.current.jobName;
      throw fail(expr, at, `only a ${want} step has a ${name}`, `use Execution.${name} only inside a ${want} step's arguments.`);
    }
    default:
      throw fail(expr, at, `"${name}" is not an execution variable`, 'use PipelineExecutionId, PipelineExecutionArn, PipelineName, PipelineArn, StartDateTime, CurrentDateTime, TrainingJobName or ProcessingJobName.');
  }
}

/** Parsed property paths, shared by every execution in the process (bounded: cleared when full). */
const pathCache = new Map<string, PropertySegment[]>();
const PATH_CACHE_LIMIT = 10_000;
function cachedPath(path: string): PropertySegment[] {
  let segs = pathCache.get(path);
  if (!segs) {
    segs = parsePath(path);
    if (pathCache.size >= PATH_CACHE_LIMIT) pathCache.clear();
    pathCache.set(path, segs);
  }
  return segs;
}

function stepProperty(rest: string, ctx: ResolveContext, expr: string, at: string): JsonValue {
  const m = /^([A-Za-z0-9_-]+)\.?(.*)$/.exec(rest);
  const stepName = m?.[1] ?? rest;
  const found = ctx.step(stepName);
  if (!found) throw fail(expr, at, `there is no step "${stepName}"`, 'reference a step defined in this pipeline.');
  if (!found.properties) throw fail(expr, at, `step "${stepName}" has not succeeded, so it has no properties`, `make sure "${stepName}" succeeds before this step runs.`);
  const result = selectPath(found.properties, cachedPath(m?.[2] ?? ''));
  if ('miss' in result) {
    throw fail(expr, at, `step "${stepName}" has no property at ${result.miss.at} (${result.miss.reason})`, `check the property path against the ${found.step.Type} step's properties (reference §6).`);
  }
  return result.value;
}

async function resolveJoin(value: JoinExpression, ctx: ResolveContext, at: string): Promise<string> {
  const join = value['Std:Join'];
  const parts: string[] = [];
  for (let i = 0; i < join.Values.length; i++) parts.push(renderJoinItem(await resolveValue(join.Values[i], ctx, `${at}['Std:Join'].Values[${i}]`)));
  return parts.join(join.On);
}

async function resolveJsonGet(value: JsonGetExpression, ctx: ResolveContext, at: string): Promise<JsonValue> {
  const spec = value['Std:JsonGet'];
  const expr = `{"Std:JsonGet": ${JSON.stringify(spec)}}`;
  const uri = 'PropertyFile' in spec ? propertyFileUri(spec.PropertyFile.Get, ctx, expr, at) : await resolveValue(spec.S3Uri, ctx, `${at}['Std:JsonGet'].S3Uri`);
  if (typeof uri !== 'string') throw fail(expr, at, 'S3Uri did not resolve to a string', 'make S3Uri a string or a Std:Join.');
  let text: string;
  try {
    text = await ctx.artifacts.readText(uri);
  } catch (err) {
    throw fail(expr, at, `${uri} could not be read (${(err as Error).message})`, 'check that the step wrote the file at that location.');
  }
  let doc: JsonValue;
  try {
    doc = JSON.parse(text) as JsonValue;
  } catch {
    throw fail(expr, at, `${uri} is not valid JSON`, 'write the file as a JSON document.');
  }
  const result = selectPath(doc, cachedPath(spec.Path));
  if ('miss' in result) throw fail(expr, at, `${uri} has nothing at ${result.miss.at} (${result.miss.reason})`, `fix Path "${spec.Path}" or the file's content.`);
  return result.value;
}

function propertyFileUri(ref: string, ctx: ResolveContext, expr: string, at: string): string {
  const m = /^Steps\.([A-Za-z0-9_-]+)\.PropertyFiles\.(.+)$/.exec(ref);
  if (!m) throw fail(expr, at, `"${ref}" is not a property file reference`, 'use {"Get": "Steps.<step>.PropertyFiles.<PropertyFileName>"}.');
  const [, stepName, fileName] = m as unknown as [string, string, string];
  const found = ctx.step(stepName);
  const decl = found?.step.Type === 'Processing' ? found.step.PropertyFiles?.find((f) => f.PropertyFileName === fileName) : undefined;
  if (!found || !decl) throw fail(expr, at, `step "${stepName}" declares no property file "${fileName}"`, 'declare it in the Processing step\'s PropertyFiles.');
  if (!found.properties) throw fail(expr, at, `step "${stepName}" has not succeeded`, `make sure "${stepName}" succeeds first.`);
  const out = selectPath(found.properties, cachedPath(`ProcessingOutputConfig.Outputs['${decl.OutputName}'].S3Output.S3Uri`));
  if ('miss' in out || typeof out.value !== 'string') {
    throw fail(expr, at, `step "${stepName}" has no output "${decl.OutputName}" with an S3Uri`, 'make the property file\'s OutputName match one of the step\'s ProcessingOutputConfig.Outputs.');
  }
  return `${out.value.replace(/\/+$/, '')}/${decl.FilePath.replace(/^\/+/, '')}`;
}

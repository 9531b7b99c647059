import { createHash } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { ArtifactStore } from '../artifacts.js';
import { systemClock, type Clock } from '../clock.js';
import type { StepType } from '../definition/steps.js';
import type { ExecutionObserver } from '../engine/types.js';
import type { StepRequest } from '../executor.js';
import type { JsonObject, JsonValue } from '../json.js';
import type { ExecutionRecord, StepExecutionRecord } from '../store/execution-store.js';
import type { AssociationType, LineageEntity, LineageStore } from '../store/lineage-store.js';

/** What lineage recording needs. */
export interface LineageRecorderOptions {
  store: LineageStore;
  /** Computes content digests (SHA-256 locally, the ETag on S3); without it artifacts have no digest. */
  artifacts?: ArtifactStore;
  /** ARN prefix `arn:aws:sagemaker:<region>:<account>` of the entities' ARNs. */
  arnPrefix: string;
  clock?: Clock;
  logger?: Logger;
}

/** A URI found in a step's request or properties, and what it is. */
interface FoundArtifact {
  uri: string;
  type: string;
  role: 'input' | 'output';
}

const URI = /^(s3|file):\/\/\S+$/;
/** Request sections whose URIs are where a job writes, not what it reads. */
const OUTPUT_SECTIONS = new Set(['ProcessingOutputConfig', 'TransformOutput']);
/** Request sections that name output prefixes, checkpoints or debug data: not lineage artifacts. */
const IGNORED_SECTIONS = new Set([
  'OutputDataConfig',
  'CheckpointConfig',
  'OutputConfig',
  'DebugHookConfig',
  'DebugRuleConfigurations',
  'TensorBoardOutputConfig',
  'ProfilerConfig',
  'ProfilerRuleConfigurations',
]);
/** Properties that name what a step made. */
const OUTPUT_PROPERTIES: readonly { path: readonly string[]; type: string }[] = [
  { path: ['ModelArtifacts', 'S3ModelArtifacts'], type: 'Model' },
  { path: ['ModelPackageArn'], type: 'ModelPackage' },
  { path: ['ModelArn'], type: 'Model' },
];
const ACTION_TYPES: Partial<Record<StepType, string>> = {
  Processing: 'ProcessingJob',
  Training: 'TrainingJob',
  Tuning: 'HyperParameterTuningJob',
  Transform: 'TransformJob',
  Model: 'ModelCreation',
  RegisterModel: 'ModelRegistration',
};

/** Every `s3://` or `file://` string in `value`, with the key path that leads to it. */
function findUris(value: JsonValue | undefined, path: string[] = []): { uri: string; path: string[] }[] {
  if (typeof value === 'string') return URI.test(value) ? [{ uri: value, path }] : [];
  if (Array.isArray(value)) return value.flatMap((v) => findUris(v, path));
  if (value && typeof value === 'object') {
    // Name list items by their InputName/OutputName, so "code" inputs and "evaluation" outputs are recognisable.
    const name = typeof value['InputName'] === 'string' ? value['InputName'] : typeof value['OutputName'] === 'string' ? value['OutputName'] : undefined;
    const here = name ? [...path, name] : path;
    return Object.entries(value).flatMap(([k, v]) => findUris(v, [...here, k]));
  }
  return [];
}

/** The artifact type a URI's position suggests. */
function artifactType(path: readonly string[]): string {
  const joined = path.join('.');
  if (/ModelDataUrl|ModelArtifacts|ModelDataSource/.test(joined)) return 'Model';
  if (/ModelMetrics|DriftCheckBaselines|eval|report|metric/i.test(joined)) return 'EvaluationReport';
  if (/(^|\.)code(\.|$)|sagemaker_submit_directory|SourceDir/i.test(joined)) return 'Code';
  return 'DataSet';
}

function valueAt(value: JsonValue | undefined, path: readonly string[]): JsonValue | undefined {
  return path.reduce<JsonValue | undefined>((v, k) => (v && typeof v === 'object' && !Array.isArray(v) ? v[k] : undefined), value);
}

/** Inputs and outputs of a step, from its resolved arguments and (when it succeeded) its properties. */
export function findStepArtifacts(step: StepExecutionRecord, args: JsonObject | undefined): FoundArtifact[] {
  const found = new Map<string, FoundArtifact>();
  for (const { uri, path } of findUris(args)) {
    if (path.some((k) => IGNORED_SECTIONS.has(k))) continue;
    const role = path.some((k) => OUTPUT_SECTIONS.has(k)) ? 'output' : 'input';
    if (role === 'output' && step.status !== 'Succeeded') continue;
    found.set(uri, { uri, type: artifactType(path), role });
  }
  if (step.status === 'Succeeded') {
    for (const { path, type } of OUTPUT_PROPERTIES) {
      const uri = valueAt(step.properties, path);
      if (typeof uri === 'string' && uri.length > 0) found.set(uri, { uri, type, role: 'output' });
    }
  }
  return [...found.values()];
}

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);
const slug = (text: string): string => text.toLowerCase().replace(/[^a-z0-9-]+/g, '-');

/**
 * Records the lineage of one finished step: the step run as an Action, the pipeline and the
 * execution as Contexts, every input and output as a de-duplicated Artifact (with its digest),
 * and the associations between them (inputs ContributedTo the action, the action Produced its
 * outputs, the action AssociatedWith the execution, a registered model package DerivedFrom its
 * model data).
 */
export async function recordStepLineage(
  options: LineageRecorderOptions,
  execution: ExecutionRecord,
  step: StepExecutionRecord,
  request?: StepRequest,
): Promise<void> {
  const { store, arnPrefix } = options;
  const now = (options.clock ?? systemClock).now();
  const link = (source: LineageEntity, destination: LineageEntity, type: AssociationType) =>
    store.addAssociation({ sourceArn: source.arn, destinationArn: destination.arn, type, createdAt: now });

  const pipeline = await store.putLineageEntity({
    arn: `${arnPrefix}:context/${slug(execution.pipelineName)}`,
    kind: 'Context',
    name: execution.pipelineName,
    type: 'SageMakerPipeline',
    sourceUri: execution.pipelineArn,
    createdAt: now,
  });
  const executionContext = await store.putLineageEntity({
    arn: `${arnPrefix}:context/${slug(execution.pipelineName)}-${execution.id}`,
    kind: 'Context',
    name: `${execution.pipelineName}-${execution.id}`,
    type: 'PipelineExecution',
    sourceUri: execution.arn,
    properties: { PipelineVersion: execution.pipelineVersion, Parameters: execution.parameters as JsonObject },
    createdAt: now,
  });
  await link(executionContext, pipeline, 'AssociatedWith');

  const args = request?.arguments ?? step.resolvedArguments;
  const action = await store.putLineageEntity({
    arn: `${arnPrefix}:action/${execution.id}-${slug(step.stepName)}`,
    kind: 'Action',
    name: step.stepName,
    type: ACTION_TYPES[step.stepType] ?? step.stepType,
    sourceUri: `${execution.arn}/step/${step.stepName}`,
    properties: actionProperties(execution, step, args),
    createdAt: now,
  });
  await link(action, executionContext, 'AssociatedWith');

  const artifacts = findStepArtifacts(step, args);
  const entities = await Promise.all(artifacts.map((a) => putArtifact(options, a, now)));
  for (const [i, found] of artifacts.entries()) {
    const entity = entities[i];
    if (!entity) continue;
    await (found.role === 'input' ? link(entity, action, 'ContributedTo') : link(action, entity, 'Produced'));
  }
  if (step.stepType === 'RegisterModel') {
    const modelPackage = entities.find((e) => e.type === 'ModelPackage');
    for (const model of entities.filter((e, i) => e.type === 'Model' && artifacts[i]?.role === 'input')) {
      if (modelPackage) await link(model, modelPackage, 'DerivedFrom');
    }
  }
}

function actionProperties(execution: ExecutionRecord, step: StepExecutionRecord, args: JsonObject | undefined): JsonObject {
  const pick = (key: string): JsonObject => (args?.[key] !== undefined ? { [key]: args[key] } : {});
  return {
    StepName: step.stepName,
    StepType: step.stepType,
    Status: step.status,
    Attempt: step.attempt,
    ExecutionArn: execution.arn,
    ...(step.cacheHit ? { CacheHitSource: step.cacheHit.sourceExecutionArn } : {}),
    ...pick('HyperParameters'),
    ...pick('Environment'),
    ...pick('ContainerArguments'),
  };
}

async function putArtifact(options: LineageRecorderOptions, found: FoundArtifact, now: number): Promise<LineageEntity> {
  const digest = found.uri.startsWith('arn:') ? undefined : await options.artifacts?.digest(found.uri).catch((err: unknown) => {
    (options.logger ?? pino({ level: 'silent' })).warn({ err, uri: found.uri }, 'cannot digest artifact; recording it without a digest');
    return undefined;
  });
  return options.store.putLineageEntity({
    arn: `${options.arnPrefix}:artifact/${shortHash(found.uri)}`,
    kind: 'Artifact',
    name: found.uri.split('/').filter(Boolean).pop() ?? found.uri,
    type: found.type,
    sourceUri: found.uri,
    ...(digest ? { digest } : {}),
    createdAt: now,
  });
}

/** An `ExecutionObserver` that records lineage for every finished step (errors are logged by the engine). */
export function lineageObserver(options: LineageRecorderOptions): ExecutionObserver {
  return { onStepFinished: (execution, step, request) => recordStepLineage(options, execution, step, request) };
}

import { createHash } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { ArtifactDigest, ArtifactStore } from '../artifacts.js';
import { systemClock, type Clock } from '../clock.js';
import type { StepType } from '../definition/steps.js';
import type { StepRequest } from '../executor.js';
import type { JsonObject, JsonValue } from '../json.js';
import type { ExecutionRecord, StepExecutionRecord } from '../store/execution-store.js';
import type { AssociationType, LineageAssociation, LineageEntity, LineageStore } from '../store/lineage-store.js';

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
const silent = pino({ level: 'silent' });

/** An entity known to be stored: what links to it need. @internal */
export interface StoredLineageRef {
  arn: string;
  type: string;
}

/** What a recorder knows to be stored already (written by this process), so it is neither written nor digested again. @internal */
export interface KnownLineage {
  /** Whether the context with this ARN is stored. */
  hasContext(arn: string): boolean;
  /** The stored artifact of a URI. */
  artifact(uri: string): StoredLineageRef | undefined;
}

/** The lineage of one finished step, ready to write. @internal */
export interface StepLineage {
  /** `<execution id>/<step name>`, for logs. */
  ref: string;
  entities: LineageEntity[];
  associations: LineageAssociation[];
  /**
   * A RegisterModel step's artifacts (stored already, or entities of this write) with their roles:
   * its input models are linked DerivedFrom its model package once their stored types are known.
   */
  registered?: { artifact: StoredLineageRef | LineageEntity; role: FoundArtifact['role'] }[];
  createdAt: number;
}

/** Artifact digests computed at once unless configured otherwise. @internal */
export const DEFAULT_DIGEST_CONCURRENCY = 8;

/**
 * Artifact digests, at most `concurrency` computed at once; steps asking for a URI whose digest
 * is being computed share that computation. @internal
 */
export class ArtifactDigests {
  private readonly concurrency: number;
  private readonly inFlight = new Map<string, Promise<ArtifactDigest | undefined>>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;

  constructor(
    private readonly options: Pick<LineageRecorderOptions, 'artifacts' | 'logger'>,
    concurrency: number,
  ) {
    this.concurrency = Math.max(1, Math.floor(concurrency));
  }

  /** The digest of `uri`, or undefined (no artifact store, an ARN, or the digest failed: logged). */
  digest(uri: string): Promise<ArtifactDigest | undefined> {
    const artifacts = this.options.artifacts;
    if (!artifacts || uri.startsWith('arn:')) return Promise.resolve(undefined);
    let found = this.inFlight.get(uri);
    if (!found) {
      found = this.run(() => artifacts.digest(uri)).catch((err: unknown) => {
        (this.options.logger ?? silent).warn({ err, uri }, 'cannot digest artifact; recording it without a digest');
        return undefined;
      });
      this.inFlight.set(uri, found);
      void found.finally(() => this.inFlight.delete(uri));
    }
    return found;
  }

  private async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.concurrency) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      // The slot passes to the next waiter, if any.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * The lineage of one finished step: the step run as an Action, the pipeline and the execution as
 * Contexts (unless `known` has them), every input and output as an Artifact (with its digest,
 * unless `known` has it), and the associations between them. The clock is read before this
 * returns; digests are awaited. @internal
 */
export async function prepareStepLineage(
  options: LineageRecorderOptions,
  execution: ExecutionRecord,
  step: StepExecutionRecord,
  request: StepRequest | undefined,
  digests: ArtifactDigests,
  known?: KnownLineage,
): Promise<StepLineage> {
  const { arnPrefix } = options;
  const now = (options.clock ?? systemClock).now();
  const entities: LineageEntity[] = [];
  const associations: LineageAssociation[] = [];
  const link = (sourceArn: string, destinationArn: string, type: AssociationType) => associations.push({ sourceArn, destinationArn, type, createdAt: now });

  const pipelineArn = `${arnPrefix}:context/${slug(execution.pipelineName)}`;
  if (!known?.hasContext(pipelineArn)) {
    entities.push({ arn: pipelineArn, kind: 'Context', name: execution.pipelineName, type: 'SageMakerPipeline', sourceUri: execution.pipelineArn, createdAt: now });
  }
  const executionArn = `${arnPrefix}:context/${slug(execution.pipelineName)}-${execution.id}`;
  if (!known?.hasContext(executionArn)) {
    entities.push({
      arn: executionArn,
      kind: 'Context',
      name: `${execution.pipelineName}-${execution.id}`,
      type: 'PipelineExecution',
      sourceUri: execution.arn,
      properties: { PipelineVersion: execution.pipelineVersion, Parameters: execution.parameters as JsonObject },
      createdAt: now,
    });
    // Written with the execution's context, so known with it.
    link(executionArn, pipelineArn, 'AssociatedWith');
  }

  const args = request?.arguments ?? step.resolvedArguments;
  const actionArn = stepActionArn(arnPrefix, execution.id, step.stepName);
  entities.push({
    arn: actionArn,
    kind: 'Action',
    name: step.stepName,
    type: ACTION_TYPES[step.stepType] ?? step.stepType,
    sourceUri: `${execution.arn}/step/${step.stepName}`,
    properties: actionProperties(execution, step, args),
    createdAt: now,
  });
  link(actionArn, executionArn, 'AssociatedWith');

  const found = findStepArtifacts(step, args);
  const artifacts = await Promise.all(found.map(async (a) => known?.artifact(a.uri) ?? artifactEntity(arnPrefix, a, await digests.digest(a.uri), now)));
  for (const [i, artifact] of artifacts.entries()) {
    const role = found[i]?.role;
    if (isEntity(artifact)) entities.push(artifact);
    if (role === 'input') link(artifact.arn, actionArn, 'ContributedTo');
    else link(actionArn, artifact.arn, 'Produced');
  }
  const registered = step.stepType === 'RegisterModel' ? artifacts.map((artifact, i) => ({ artifact, role: found[i]?.role ?? 'input' })) : undefined;
  return { ref: `${execution.id}/${step.stepName}`, entities, associations, ...(registered ? { registered } : {}), createdAt: now };
}

/** The ARN of the Action that records a step's run in an execution. */
export function stepActionArn(arnPrefix: string, executionId: string, stepName: string): string {
  return `${arnPrefix}:action/${executionId}-${slug(stepName)}`;
}

/**
 * Writes the lineage of several steps: one `writeLineage`, and a second one for the DerivedFrom
 * links of RegisterModel steps (they depend on the stored types of the artifacts). Returns the
 * stored entity of each written entity. @internal
 */
export async function writeStepLineage(store: LineageStore, steps: readonly StepLineage[]): Promise<Map<LineageEntity, LineageEntity>> {
  const entities = steps.flatMap((s) => s.entities);
  const stored = await store.writeLineage({ entities, associations: steps.flatMap((s) => s.associations) });
  const storedOf = new Map(entities.map((e, i) => [e, stored[i] ?? e]));
  const derived = steps.flatMap((s) => derivedFrom(s, storedOf));
  if (derived.length > 0) await store.writeLineage({ entities: [], associations: derived });
  return storedOf;
}

const isEntity = (value: StoredLineageRef | LineageEntity): value is LineageEntity => 'kind' in value;

/** A registered model package DerivedFrom its input models (by stored type, as SageMaker's lineage). */
function derivedFrom(step: StepLineage, storedOf: ReadonlyMap<LineageEntity, LineageEntity>): LineageAssociation[] {
  if (!step.registered) return [];
  const resolved = step.registered.map(({ artifact, role }) => ({ entity: (isEntity(artifact) && storedOf.get(artifact)) || artifact, role }));
  const modelPackage = resolved.find((r) => r.entity.type === 'ModelPackage')?.entity;
  if (!modelPackage) return [];
  return resolved
    .filter((r) => r.entity.type === 'Model' && r.role === 'input')
    .map((r) => ({ sourceArn: r.entity.arn, destinationArn: modelPackage.arn, type: 'DerivedFrom' as const, createdAt: step.createdAt }));
}

/**
 * Records the lineage of one finished step: the step run as an Action, the pipeline and the
 * execution as Contexts, every input and output as a de-duplicated Artifact (with its digest),
 * and the associations between them (inputs ContributedTo the action, the action Produced its
 * outputs, the action AssociatedWith the execution, a registered model package DerivedFrom its
 * model data). One `writeLineage` call (two for a RegisterModel step); `lineageObserver` batches
 * the writes of many steps.
 */
export async function recordStepLineage(
  options: LineageRecorderOptions,
  execution: ExecutionRecord,
  step: StepExecutionRecord,
  request?: StepRequest,
): Promise<void> {
  const lineage = await prepareStepLineage(options, execution, step, request, new ArtifactDigests(options, DEFAULT_DIGEST_CONCURRENCY));
  await writeStepLineage(options.store, [lineage]);
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

function artifactEntity(arnPrefix: string, found: FoundArtifact, digest: ArtifactDigest | undefined, now: number): LineageEntity {
  return {
    arn: `${arnPrefix}:artifact/${shortHash(found.uri)}`,
    kind: 'Artifact',
    name: found.uri.split('/').filter(Boolean).pop() ?? found.uri,
    type: found.type,
    sourceUri: found.uri,
    ...(digest ? { digest } : {}),
    createdAt: now,
  };
}

import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import {
  ErrorCode,
  OrchestratorError,
  toSerializedError,
  type ExecutionContext,
  type ExecutionHandle,
  type JobState,
  type JsonObject,
  type StepExecutor,
  type StepRequest,
} from '@cairn/core';
import { isAwsClient, parseOptions } from './options.js';
import { checkResult, pickCheckFields } from './check-properties.js';
import { classifyAwsError, isAwsError, isTransientAwsError, jobFailureError } from './aws-errors.js';
import { JOB_KINDS, type JobKind } from './job-kinds.js';
import { prefixedName, sagemakerName } from './job-names.js';
import { SAGEMAKER_ARN_KEY, sagemakerModelPackageArn } from './mirrored-versions.js';
import { SAGEMAKER_STEP_TYPES, isSageMakerStepType } from './step-types.js';

/** Options of {@link sagemakerExecutor}; validated when the executor is made. */
export const SageMakerExecutorOptionsSchema = z.strictObject({
  /** The client to use; by default one is made for `region` with the SDK's default credential chain. */
  client: z.custom<SageMakerClient>(isAwsClient, 'client must be a SageMakerClient').optional(),
  /** AWS region of the default client. @defaultValue the SDK's own resolution (AWS_REGION, profile) */
  region: z.string().min(1).optional(),
  /** Delay before the first status poll of a job, in milliseconds. @defaultValue 30_000 */
  pollIntervalMs: z.number().int().positive().optional(),
  /** Longest delay between polls as the backoff grows, in milliseconds. @defaultValue 300_000 */
  maxPollIntervalMs: z.number().int().positive().optional(),
  /** Consecutive throttled or failed Describe* calls tolerated before the step fails. @defaultValue 10 */
  maxPollErrors: z.number().int().positive().optional(),
});
/** Options of {@link sagemakerExecutor}. */
export type SageMakerExecutorOptions = z.input<typeof SageMakerExecutorOptionsSchema>;

/** Growth of the delay between polls. */
const BACKOFF_RATE = 1.5;

/**
 * The persisted state of a started SageMaker job. `pollDelayMs` is the delay the executor asks for
 * before the next `poll` (backing off while the job runs).
 */
export const SageMakerHandleSchema = z.object({
  executor: z.literal('sagemaker'),
  stepType: z.enum(SAGEMAKER_STEP_TYPES),
  /** The SageMaker name of the resource. */
  name: z.string(),
  /** What Describe* takes: the name, or the ARN for model packages. */
  id: z.string(),
  polls: z.number().int().nonnegative(),
  pollErrors: z.number().int().nonnegative(),
  pollDelayMs: z.number().nonnegative(),
  /** QualityCheck / ClarifyCheck step-level keys (CheckType, baselines …), for their properties. */
  check: z.custom<JsonObject>((value) => typeof value === 'object' && value !== null && !Array.isArray(value)).optional(),
});
/** The persisted state of a started SageMaker job. */
export type SageMakerHandle = z.infer<typeof SageMakerHandleSchema>;

/**
 * Runs job-like steps as SageMaker jobs (Processing, Training, Tuning, AutoML, Model,
 * RegisterModel, Transform, QualityCheck, ClarifyCheck) through `@aws-sdk/client-sagemaker`.
 * Start, poll and stop work from a persisted handle, so a long job never holds a worker slot.
 *
 * @example createExecutorRouter([localExecutor(config), sagemakerExecutor({ region: 'eu-west-1' })])
 */
export function sagemakerExecutor(options: SageMakerExecutorOptions = {}): StepExecutor {
  const parsed = parseOptions(SageMakerExecutorOptionsSchema, options, 'SageMaker executor');
  return new SageMakerExecutor(parsed);
}

class SageMakerExecutor implements StepExecutor {
  readonly id = 'sagemaker';
  readonly stepTypes = SAGEMAKER_STEP_TYPES;
  private readonly client: SageMakerClient;
  private readonly ownsClient: boolean;
  private readonly pollIntervalMs: number;
  private readonly maxPollIntervalMs: number;
  private readonly maxPollErrors: number;

  constructor(options: z.output<typeof SageMakerExecutorOptionsSchema>) {
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? new SageMakerClient(options.region ? { region: options.region } : {});
    this.pollIntervalMs = options.pollIntervalMs ?? 30_000;
    this.maxPollIntervalMs = options.maxPollIntervalMs ?? 300_000;
    this.maxPollErrors = options.maxPollErrors ?? 10;
  }

  async start(request: StepRequest, ctx: ExecutionContext): Promise<ExecutionHandle> {
    const stepType = request.step.Type;
    if (!isSageMakerStepType(stepType)) {
      throw new OrchestratorError(ErrorCode.ExecutorMissing, `The SageMaker executor cannot run ${stepType} step "${ctx.stepName}".`, {
        fix: `route ${stepType} steps to another executor (types it runs: ${SAGEMAKER_STEP_TYPES.join(', ')}).`,
      });
    }
    const kind: JobKind = JOB_KINDS[stepType];
    const prefix = kind.nameKey ? request.arguments[kind.nameKey] : undefined;
    const name =
      typeof prefix === 'string' && prefix
        ? prefixedName(prefix, request.jobName, kind.maxNameLength)
        : sagemakerName(request.jobName, kind.maxNameLength);
    const log = ctx.logger.child({ executor: this.id, jobName: name });
    const id = await this.createOrAdopt(kind, name, request, ctx);
    log.info({ stepType }, 'SageMaker job started');
    const handle: SageMakerHandle = {
      executor: 'sagemaker',
      stepType,
      name,
      id,
      polls: 0,
      pollErrors: 0,
      pollDelayMs: this.pollIntervalMs,
      ...(stepType === 'QualityCheck' || stepType === 'ClarifyCheck' ? { check: pickCheckFields(request.stepFields ?? {}) } : {}),
    };
    return toExecutionHandle(handle);
  }

  /** Creates the resource, or adopts it when an earlier attempt at this create already made it. */
  private async createOrAdopt(kind: JobKind, name: string, request: StepRequest, ctx: ExecutionContext): Promise<string> {
    try {
      return await kind.create(this.client, name, request.arguments, { jobName: request.jobName, executionArn: ctx.executionArn });
    } catch (err) {
      // "Already exists" comes back as ResourceInUse or ValidationException; a Describe* that finds
      // the resource tells it apart from a real validation error without reading the message.
      if (isAwsError(err, 'ResourceInUse', 'ValidationException', 'ConflictException')) {
        const existing = await kind.describe(this.client, name).catch(() => undefined);
        if (existing) {
          ctx.logger.info({ executor: this.id, jobName: name }, 'SageMaker job already existed; adopted it');
          return name;
        }
      }
      throw classifyAwsError(err, `Creating ${kind.label} "${name}" for step "${ctx.stepName}"`);
    }
  }

  async poll(rawHandle: ExecutionHandle, ctx: ExecutionContext): Promise<JobState> {
    const handle = parseHandle(rawHandle);
    const kind: JobKind = JOB_KINDS[handle.stepType];
    let properties: JsonObject;
    try {
      properties = await kind.describe(this.client, handle.id);
    } catch (err) {
      const error = classifyAwsError(err, `Describing ${kind.label} "${handle.name}"`);
      if (isTransientAwsError(error) && handle.pollErrors + 1 < this.maxPollErrors) {
        ctx.logger.warn({ executor: this.id, jobName: handle.name, err: error }, 'SageMaker status poll failed; will poll again');
        return { state: 'running', handle: this.nextPoll(handle, handle.pollErrors + 1) };
      }
      return { state: 'failed', error: toSerializedError(error) };
    }
    const arn = kind.arn(properties);
    const metadata: JsonObject = { [kind.metadataKey]: arn ? { [kind.metadataArnKey ?? 'Arn']: arn } : {} };
    switch (kind.phase(properties)) {
      case 'running':
        return { state: 'running', handle: this.nextPoll(handle, 0) };
      case 'succeeded':
        return this.succeeded(handle, properties, metadata, ctx);
      case 'stopped':
        return { state: 'stopped', properties };
      case 'failed': {
        const failureReason = kind.failureReason(properties) ?? 'SageMaker gave no failure reason.';
        const error = jobFailureError({
          label: kind.label,
          name: handle.name,
          failureReason,
          internalErrorRetryable: kind.internalErrorRetryable,
          ...(arn ? { arn } : {}),
        });
        return { state: 'failed', error: toSerializedError(error), properties, metadata };
      }
    }
  }

  private async succeeded(handle: SageMakerHandle, properties: JsonObject, metadata: JsonObject, ctx: ExecutionContext): Promise<JobState> {
    if (handle.stepType === 'RegisterModel') await mirrorModelPackage(properties, ctx);
    if ((handle.stepType === 'QualityCheck' || handle.stepType === 'ClarifyCheck') && handle.check) {
      const arn = JOB_KINDS[handle.stepType].arn(properties);
      const check = checkResult(handle.stepType, properties, handle.check, arn);
      return { state: 'succeeded', properties: { ...properties, ...check.properties }, metadata: check.metadata };
    }
    return { state: 'succeeded', properties, metadata };
  }

  /** The handle for the next poll, with the delay backed off. */
  private nextPoll(handle: SageMakerHandle, pollErrors: number): ExecutionHandle {
    const pollDelayMs = Math.min(this.maxPollIntervalMs, Math.round(handle.pollDelayMs * BACKOFF_RATE));
    return toExecutionHandle({ ...handle, polls: handle.polls + 1, pollErrors, pollDelayMs });
  }

  async stop(rawHandle: ExecutionHandle, ctx: ExecutionContext): Promise<void> {
    const handle = parseHandle(rawHandle);
    const kind: JobKind = JOB_KINDS[handle.stepType];
    if (!kind.stop) return;
    try {
      await kind.stop(this.client, handle.id);
      ctx.logger.info({ executor: this.id, jobName: handle.name }, 'SageMaker job stop requested');
    } catch (err) {
      // A job that already finished cannot be stopped; the next poll reports how it ended.
      if (isAwsError(err, 'ValidationException', 'ResourceNotFound')) return;
      throw classifyAwsError(err, `Stopping ${kind.label} "${handle.name}"`);
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}

/** The handle as the JSON the store keeps (no `undefined` members). */
function toExecutionHandle(handle: SageMakerHandle): ExecutionHandle {
  const { check, ...rest } = handle;
  return check ? { ...rest, check } : rest;
}

function parseHandle(raw: ExecutionHandle): SageMakerHandle {
  const result = SageMakerHandleSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new OrchestratorError(ErrorCode.Internal, `The stored handle is not a SageMaker job handle: ${result.error.message}`, {
    fix: 'route the step back to the executor that started it (the handle says which).',
  });
}

/**
 * Mirrors a registered model package into Cairn's registry once, so `cairn models` lists it; the
 * record keeps the SageMaker ARN (`SAGEMAKER_ARN_KEY`), so approvals stay in step with SageMaker.
 */
async function mirrorModelPackage(properties: JsonObject, ctx: ExecutionContext): Promise<void> {
  const arn = properties['ModelPackageArn'];
  const group = properties['ModelPackageGroupName'];
  if (typeof arn !== 'string' || typeof group !== 'string') return;
  const mirrored = (await ctx.registry.listModelPackages({ groupName: group })).some((p) => sagemakerModelPackageArn(p) === arn);
  if (mirrored) return;
  await ctx.registry.createModelPackage({
    request: { ...properties, [SAGEMAKER_ARN_KEY]: arn },
    createdBy: 'sagemaker',
    executionArn: ctx.executionArn,
    stepName: ctx.stepName,
    arnPrefix: arn.slice(0, arn.indexOf(':model-package/')),
    now: ctx.clock.now(),
  });
}

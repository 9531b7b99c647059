import {
  CreateAutoMLJobCommand,
  CreateHyperParameterTuningJobCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  CreateProcessingJobCommand,
  CreateTrainingJobCommand,
  CreateTransformJobCommand,
  DescribeAutoMLJobCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  DescribeProcessingJobCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  StopAutoMLJobCommand,
  StopHyperParameterTuningJobCommand,
  StopProcessingJobCommand,
  StopTrainingJobCommand,
  StopTransformJobCommand,
  paginateListTrainingJobsForHyperParameterTuningJob,
  type CreateAutoMLJobCommandInput,
  type CreateHyperParameterTuningJobCommandInput,
  type CreateModelCommandInput,
  type CreateModelPackageCommandInput,
  type CreateProcessingJobCommandInput,
  type CreateTrainingJobCommandInput,
  type CreateTransformJobCommandInput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { JsonObject, JsonValue } from '@cairn/core';
import { isAwsError } from './aws-errors.js';
import { idempotencyToken } from './job-names.js';
import type { SageMakerStepType } from './step-types.js';
import { responseToJson } from './to-json.js';

/**
 * How each step type maps onto SageMaker's API: the Create*, Describe* and Stop* calls, the name
 * and status members, and the `Metadata` key of ListPipelineExecutionSteps (reference §4.1).
 * Arguments are passed through as the Create* request (the definition schema checked what
 * SageMaker requires; SageMaker validates the rest), plus the name.
 */

/** Where a SageMaker resource is in its life. */
export type JobPhase = 'running' | 'succeeded' | 'failed' | 'stopped';

/** The SageMaker API of one step type. */
export interface JobKind {
  /** For messages: 'Training job', 'Model', … */
  readonly label: string;
  /** ListPipelineExecutionSteps `Metadata` key. */
  readonly metadataKey: string;
  /** The member of that `Metadata` entry that holds the ARN. @defaultValue 'Arn' */
  readonly metadataArnKey?: 'Arn' | 'CheckJobArn';
  /** Longest valid name. */
  readonly maxNameLength: number;
  /** The request member that names the resource; a value there in `Arguments` is a name prefix (§4.2). */
  readonly nameKey?: string;
  /** Whether a failure reason of "InternalServerError" counts as `SageMaker.JOB_INTERNAL_ERROR`. */
  readonly internalErrorRetryable: boolean;
  /** Creates the resource; returns the id that `describe` and `stop` take (its name, or an ARN). */
  create(client: SageMakerClient, name: string, args: JsonObject, context: CreateContext): Promise<string>;
  /** The Describe* response as JSON (for Tuning, merged with its training-job list once done). */
  describe(client: SageMakerClient, id: string): Promise<JsonObject>;
  /** Stop*Job, for resources that run. */
  stop?(client: SageMakerClient, id: string): Promise<void>;
  /** The phase the Describe* response reports. */
  phase(properties: JsonObject): JobPhase;
  /** SageMaker's failure reason, when failed. */
  failureReason(properties: JsonObject): string | undefined;
  /** The resource's ARN, for `Metadata`. */
  arn(properties: JsonObject): string | undefined;
}

/** What a create may need beyond the arguments. */
export interface CreateContext {
  /** Cairn's job name for the attempt (idempotency tokens derive from it). */
  jobName: string;
  executionArn: string;
}

const string = (value: JsonValue | undefined): string | undefined => (typeof value === 'string' ? value : undefined);

/** Maps the status strings shared by SageMaker's job APIs. */
function jobPhase(status: string | undefined): JobPhase {
  switch (status) {
    case 'Completed':
      return 'succeeded';
    case 'Failed':
    case 'DeleteFailed':
      return 'failed';
    case 'Stopped':
      return 'stopped';
    default:
      return 'running';
  }
}

interface JobApi {
  label: string;
  metadataKey: string;
  maxNameLength?: number;
  internalErrorRetryable?: boolean;
  nameKey: string;
  statusKey: string;
  arnKey: string;
  create(client: SageMakerClient, name: string, args: JsonObject): Promise<unknown>;
  describe(client: SageMakerClient, name: string): Promise<object>;
  stop(client: SageMakerClient, name: string): Promise<unknown>;
}

/** A kind for the SageMaker resources that run as jobs (InProgress → Completed/Failed/Stopped). */
function jobKind(api: JobApi): JobKind {
  return {
    label: api.label,
    metadataKey: api.metadataKey,
    maxNameLength: api.maxNameLength ?? 63,
    nameKey: api.nameKey,
    internalErrorRetryable: api.internalErrorRetryable ?? true,
    create: async (client, name, args) => {
      await api.create(client, name, args);
      return name;
    },
    describe: async (client, name) => responseToJson(await api.describe(client, name)),
    stop: async (client, name) => {
      await api.stop(client, name);
    },
    phase: (properties) => jobPhase(string(properties[api.statusKey])),
    failureReason: (properties) => string(properties['FailureReason']),
    arn: (properties) => string(properties[api.arnKey]),
  };
}

const processing = jobKind({
  label: 'Processing job',
  metadataKey: 'ProcessingJob',
  nameKey: 'ProcessingJobName',
  statusKey: 'ProcessingJobStatus',
  arnKey: 'ProcessingJobArn',
  create: (c, ProcessingJobName, args) =>
    c.send(new CreateProcessingJobCommand({ ...(args as unknown as CreateProcessingJobCommandInput), ProcessingJobName })),
  describe: (c, ProcessingJobName) => c.send(new DescribeProcessingJobCommand({ ProcessingJobName })),
  stop: (c, ProcessingJobName) => c.send(new StopProcessingJobCommand({ ProcessingJobName })),
});

const training = jobKind({
  label: 'Training job',
  metadataKey: 'TrainingJob',
  nameKey: 'TrainingJobName',
  statusKey: 'TrainingJobStatus',
  arnKey: 'TrainingJobArn',
  create: (c, TrainingJobName, args) =>
    c.send(new CreateTrainingJobCommand({ ...(args as unknown as CreateTrainingJobCommandInput), TrainingJobName })),
  describe: (c, TrainingJobName) => c.send(new DescribeTrainingJobCommand({ TrainingJobName })),
  stop: (c, TrainingJobName) => c.send(new StopTrainingJobCommand({ TrainingJobName })),
});

const tuningJob = jobKind({
  label: 'Hyperparameter tuning job',
  metadataKey: 'TuningJob',
  maxNameLength: 32,
  internalErrorRetryable: false,
  nameKey: 'HyperParameterTuningJobName',
  statusKey: 'HyperParameterTuningJobStatus',
  arnKey: 'HyperParameterTuningJobArn',
  create: (c, HyperParameterTuningJobName, args) =>
    c.send(
      new CreateHyperParameterTuningJobCommand({
        ...(args as unknown as CreateHyperParameterTuningJobCommandInput),
        HyperParameterTuningJobName,
      }),
    ),
  describe: (c, HyperParameterTuningJobName) =>
    c.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName })),
  stop: (c, HyperParameterTuningJobName) => c.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName })),
});

/** Tuning: properties are DescribeHyperParameterTuningJob merged with its training jobs, best first. */
const tuning: JobKind = {
  ...tuningJob,
  describe: async (client, name) => {
    const properties = await tuningJob.describe(client, name);
    if (tuningJob.phase(properties) === 'running') return properties;
    return { ...properties, TrainingJobSummaries: await trainingJobSummaries(client, name, properties) };
  },
};

async function trainingJobSummaries(client: SageMakerClient, name: string, tuningJob: JsonObject): Promise<JsonObject[]> {
  const summaries: JsonObject[] = [];
  const pages = paginateListTrainingJobsForHyperParameterTuningJob({ client }, { HyperParameterTuningJobName: name });
  for await (const page of pages) {
    for (const summary of page.TrainingJobSummaries ?? []) summaries.push(responseToJson(summary));
  }
  const config = tuningJob['HyperParameterTuningJobConfig'] as JsonObject | undefined;
  const objective = config?.['HyperParameterTuningJobObjective'] as JsonObject | undefined;
  const sign = objective?.['Type'] === 'Maximize' ? -1 : 1;
  return summaries.sort((a, b) => sign * (objectiveValue(a, sign) - objectiveValue(b, sign)));
}

/** A summary's final objective value; jobs without one sort last. */
function objectiveValue(summary: JsonObject, sign: number): number {
  const metric = summary['FinalHyperParameterTuningJobObjectiveMetric'] as JsonObject | undefined;
  const value = metric?.['Value'];
  return typeof value === 'number' ? value : sign * Number.POSITIVE_INFINITY;
}

const transform = jobKind({
  label: 'Transform job',
  metadataKey: 'TransformJob',
  nameKey: 'TransformJobName',
  statusKey: 'TransformJobStatus',
  arnKey: 'TransformJobArn',
  create: (c, TransformJobName, args) =>
    c.send(new CreateTransformJobCommand({ ...(args as unknown as CreateTransformJobCommandInput), TransformJobName })),
  describe: (c, TransformJobName) => c.send(new DescribeTransformJobCommand({ TransformJobName })),
  stop: (c, TransformJobName) => c.send(new StopTransformJobCommand({ TransformJobName })),
});

const autoMLJob = jobKind({
  label: 'AutoML job',
  metadataKey: 'AutoMLJob',
  maxNameLength: 32,
  internalErrorRetryable: false,
  nameKey: 'AutoMLJobName',
  statusKey: 'AutoMLJobStatus',
  arnKey: 'AutoMLJobArn',
  create: (c, AutoMLJobName, args) =>
    c.send(new CreateAutoMLJobCommand({ ...(args as unknown as CreateAutoMLJobCommandInput), AutoMLJobName })),
  describe: (c, AutoMLJobName) => c.send(new DescribeAutoMLJobCommand({ AutoMLJobName })),
  stop: (c, AutoMLJobName) => c.send(new StopAutoMLJobCommand({ AutoMLJobName })),
});

/**
 * AutoML: DescribeAutoMLJob plus `BestCandidateProperties` with the best candidate's report
 * locations *(the mapping from CandidateArtifactLocations is unverified)*.
 */
const autoML: JobKind = {
  ...autoMLJob,
  describe: async (client, name) => {
    const properties = await autoMLJob.describe(client, name);
    const best = properties['BestCandidate'] as { CandidateProperties?: { CandidateArtifactLocations?: JsonObject } } | undefined;
    const locations = best?.CandidateProperties?.CandidateArtifactLocations;
    if (!locations) return properties;
    const reports: JsonObject = {};
    if (locations['ModelInsights'] !== undefined) reports['ModelInsightsJsonReportPath'] = locations['ModelInsights'];
    if (locations['Explainability'] !== undefined) reports['ExplainabilityJsonReportPath'] = locations['Explainability'];
    return { ...properties, BestCandidateProperties: reports };
  },
};

/** Model: CreateModel is synchronous, so the model is done once DescribeModel finds it. */
const model: JobKind = {
  label: 'Model',
  metadataKey: 'Model',
  maxNameLength: 63,
  nameKey: 'ModelName',
  internalErrorRetryable: false,
  create: async (client, ModelName, args) => {
    await client.send(new CreateModelCommand({ ...(args as unknown as CreateModelCommandInput), ModelName }));
    return ModelName;
  },
  describe: async (client, ModelName) => responseToJson(await client.send(new DescribeModelCommand({ ModelName }))),
  phase: () => 'succeeded',
  failureReason: () => undefined,
  arn: (properties) => string(properties['ModelArn']),
};

/**
 * RegisterModel: CreateModelPackage into its group (created when missing). Model packages have no
 * name of their own, so a token derived from the job name makes a repeated create return the
 * version it already made.
 */
const registerModel: JobKind = {
  label: 'Model package',
  metadataKey: 'RegisterModel',
  maxNameLength: 63,
  internalErrorRetryable: false,
  create: async (client, _name, args, context) => {
    const group = string(args['ModelPackageGroupName']);
    if (group) await ensureModelPackageGroup(client, group);
    const request = args as unknown as CreateModelPackageCommandInput;
    const response = await client.send(
      new CreateModelPackageCommand({
        ...request,
        MetadataProperties: { GeneratedBy: context.executionArn, ...request.MetadataProperties },
        ClientToken: idempotencyToken(context.jobName),
      }),
    );
    return response.ModelPackageArn ?? '';
  },
  describe: async (client, ModelPackageName) =>
    responseToJson(await client.send(new DescribeModelPackageCommand({ ModelPackageName }))),
  phase: (properties) => jobPhase(string(properties['ModelPackageStatus'])),
  failureReason: (properties) => {
    const details = properties['ModelPackageStatusDetails'] as JsonObject | undefined;
    const statuses = (details?.['ValidationStatuses'] ?? []) as JsonObject[];
    const reasons = statuses.map((s) => string(s['FailureReason'])).filter((r) => r !== undefined);
    return reasons.length > 0 ? reasons.join('; ') : undefined;
  },
  arn: (properties) => string(properties['ModelPackageArn']),
};

async function ensureModelPackageGroup(client: SageMakerClient, ModelPackageGroupName: string): Promise<void> {
  try {
    await client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName }));
    return;
  } catch (err) {
    // SageMaker reports a missing group as ValidationException (or ResourceNotFound).
    if (!isAwsError(err, 'ValidationException', 'ResourceNotFound')) throw err;
  }
  try {
    await client.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName }));
  } catch (err) {
    // Another attempt created it meanwhile: fine. Anything else surfaces at CreateModelPackage.
    if (!isAwsError(err, 'ValidationException', 'ResourceInUse', 'ConflictException')) throw err;
  }
}

/** Check steps run as processing jobs; `Metadata` keeps their own key. */
const qualityCheck: JobKind = { ...processing, label: 'Quality check job', metadataKey: 'QualityCheck', metadataArnKey: 'CheckJobArn' };
const clarifyCheck: JobKind = { ...processing, label: 'Clarify check job', metadataKey: 'ClarifyCheck', metadataArnKey: 'CheckJobArn' };

/** The SageMaker API of each step type the SageMaker executor runs (one entry per type of `SAGEMAKER_STEP_TYPES`). */
export const JOB_KINDS = {
  Processing: processing,
  Training: training,
  Tuning: tuning,
  AutoML: autoML,
  Model: model,
  RegisterModel: registerModel,
  Transform: transform,
  QualityCheck: qualityCheck,
  ClarifyCheck: clarifyCheck,
} as const satisfies Record<SageMakerStepType, JobKind>;

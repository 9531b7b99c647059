import type {
  CreateAutoMLJobRequest,
  CreateHyperParameterTuningJobRequest,
  CreateModelInput,
  CreateModelPackageInput,
  CreateProcessingJobRequest,
  CreateTrainingJobRequest,
  CreateTransformJobRequest,
  DescribeAutoMLJobResponse,
  DescribeHyperParameterTuningJobResponse,
  DescribeModelOutput,
  DescribeModelPackageOutput,
  DescribeProcessingJobResponse,
  DescribeTrainingJobResponse,
  DescribeTransformJobResponse,
  ListTrainingJobsForHyperParameterTuningJobResponse,
} from '@aws-sdk/client-sagemaker';
import { DefinitionError, type StepType } from '@cairn/core';
import { coerceStringFields, type JobArguments } from '../arguments.js';
import type { Properties } from '../properties.js';
import type { PropertyFile } from '../property-files.js';
import { PipelineStep, type JobStepOptions, type RetryPolicy, type StepOptions } from './step.js';

/** `CreateProcessingJob` request minus the job name. */
export type ProcessingArguments = JobArguments<CreateProcessingJobRequest, 'ProcessingJobName'>;
/** `CreateTrainingJob` request minus the job name; hyperparameters also take numbers and numeric variables. */
export type TrainingArguments = JobArguments<CreateTrainingJobRequest, 'TrainingJobName'>;
/** `CreateHyperParameterTuningJob` request minus the job name; range bounds also take numbers. */
export type TuningArguments = JobArguments<CreateHyperParameterTuningJobRequest, 'HyperParameterTuningJobName'>;
/** `CreateAutoMLJob` request minus what the pipeline sets. */
export type AutoMLArguments = JobArguments<
  CreateAutoMLJobRequest,
  'AutoMLJobName' | 'ModelDeployConfig' | 'GenerateCandidateDefinitionsOnly'
>;
/** `CreateModel` request minus the model name. */
export type ModelArguments = JobArguments<CreateModelInput, 'ModelName'>;
/** `CreateModelPackage` request minus the package name and `CertifyForMarketplace`. */
export type RegisterModelArguments = JobArguments<CreateModelPackageInput, 'ModelPackageName' | 'CertifyForMarketplace'>;
/** `CreateTransformJob` request minus the job name. */
export type TransformArguments = JobArguments<CreateTransformJobRequest, 'TransformJobName'>;

/** Properties of a Tuning step: the tuning job and its training-job list, merged. */
export type TuningProperties = Properties<DescribeHyperParameterTuningJobResponse & ListTrainingJobsForHyperParameterTuningJobResponse>;

/** Properties of an AutoML step: the job description plus the best candidate's report paths. */
export type AutoMLProperties = Properties<
  DescribeAutoMLJobResponse & { BestCandidateProperties: { ModelInsightsJsonReportPath: string; ExplainabilityJsonReportPath: string } }
>;

/** Options of a Processing step. */
export interface ProcessingStepOptions extends JobStepOptions {
  /** JSON files the job writes that `jsonGet` can read (`PropertyFiles`). */
  propertyFiles?: readonly PropertyFile[];
}

/** Options of Model and RegisterModel steps: only `Step.*` exception types may be retried. */
export interface ModelStepOptions extends StepOptions {
  /** `RetryPolicies` (the SDK forbids `SageMaker.*` types here). */
  retryPolicies?: readonly RetryPolicy<'Step.SERVICE_FAULT' | 'Step.THROTTLING'>[];
}

function jobStep<TType extends StepType, TProperties>(
  type: TType,
  name: string,
  args: unknown,
  options: JobStepOptions | ModelStepOptions,
  propertyFiles?: readonly PropertyFile[],
): PipelineStep<TType, TProperties> {
  return new PipelineStep<TType, TProperties>(name, type, {
    arguments: coerceStringFields(args),
    options,
    ...(propertyFiles === undefined ? {} : { propertyFiles }),
  });
}

function checkPropertyFileOutputs(name: string, args: ProcessingArguments, files: readonly PropertyFile[]): void {
  const outputs = (args.ProcessingOutputConfig?.Outputs ?? []).map((o) => o.OutputName);
  const issues = files
    .filter((f) => !outputs.includes(f.options.outputName))
    .map((f) => ({
      code: 'PROPERTY_FILE_OUTPUT_UNKNOWN',
      path: `Steps.${name}.PropertyFiles`,
      message: `Property file "${f.options.name}" names output "${f.options.outputName}", which step "${name}" does not declare.`,
      fix: `use one of the step's ProcessingOutputConfig output names (${outputs.map(String).join(', ') || 'none declared'}).`,
    }));
  if (issues.length > 0) throw new DefinitionError(issues);
}

/** A Processing step: runs a `CreateProcessingJob`. */
export function processing(
  name: string,
  args: ProcessingArguments,
  options: ProcessingStepOptions = {},
): PipelineStep<'Processing', Properties<DescribeProcessingJobResponse>> {
  const { propertyFiles, ...rest } = options;
  if (propertyFiles !== undefined) checkPropertyFileOutputs(name, args, propertyFiles);
  return jobStep('Processing', name, args, rest, propertyFiles);
}

/** A Training step: runs a `CreateTrainingJob`. */
export function training(
  name: string,
  args: TrainingArguments,
  options: JobStepOptions = {},
): PipelineStep<'Training', Properties<DescribeTrainingJobResponse>> {
  return jobStep('Training', name, args, options);
}

/** A Tuning step: runs a `CreateHyperParameterTuningJob`. */
export function tuning(name: string, args: TuningArguments, options: JobStepOptions = {}): PipelineStep<'Tuning', TuningProperties> {
  return jobStep('Tuning', name, args, options);
}

/** An AutoML step: runs a `CreateAutoMLJob` (ENSEMBLING mode). */
export function autoML(
  name: string,
  args: AutoMLArguments,
  options: JobStepOptions = {},
): PipelineStep<'AutoML', AutoMLProperties> {
  return jobStep('AutoML', name, args, options);
}

/** A Model step: `CreateModel` (the SDK names it `<name>-CreateModel`). */
export function createModel(
  name: string,
  args: ModelArguments,
  options: ModelStepOptions = {},
): PipelineStep<'Model', Properties<DescribeModelOutput>> {
  return jobStep('Model', name, args, options);
}

/** A RegisterModel step: `CreateModelPackage` in a model package group (the SDK names it `<name>-RegisterModel`). */
export function registerModel(
  name: string,
  args: RegisterModelArguments,
  options: ModelStepOptions = {},
): PipelineStep<'RegisterModel', Properties<DescribeModelPackageOutput>> {
  return jobStep('RegisterModel', name, args, options);
}

/** A Transform step: runs a `CreateTransformJob`. */
export function transform(
  name: string,
  args: TransformArguments,
  options: JobStepOptions = {},
): PipelineStep<'Transform', Properties<DescribeTransformJobResponse>> {
  return jobStep('Transform', name, args, options);
}

/**
 * Cairn DSL: typed TypeScript builders that write SageMaker pipeline definitions (2020-12-01).
 *
 * @example
 * const epochs = parameter.integer('Epochs', 5);
 * const train = training('Train', { RoleArn: role, AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File' },
 *   OutputDataConfig: { S3OutputPath: 's3://bucket/out' }, HyperParameters: { epochs } });
 * const model = createModel('Model', { PrimaryContainer: { Image: image, ModelDataUrl: train.properties.ModelArtifacts.S3ModelArtifacts } });
 * export default pipeline({ name: 'demo', steps: [train, model] });
 */
export { PipelineVariable, Join, join, toStringValue, type Operand, type Stringly } from './variables.js';
export { Parameter, parameter, type StringParameterOptions } from './parameters.js';
export { BuiltinVariable, execution, pipelineExperimentConfig } from './execution.js';
export { Property, type Properties, type PropertyCollection, type UntypedProperties } from './properties.js';
export { PropertyFile, JsonGet, propertyFile, jsonGet, type PropertyFileOptions } from './property-files.js';
export {
  equals,
  greaterThan,
  greaterThanOrEqualTo,
  lessThan,
  lessThanOrEqualTo,
  isIn,
  not,
  or,
  type PipelineCondition,
  type Comparison,
  type Equality,
  type Membership,
} from './conditions.js';
export type { Arg, JobArguments } from './arguments.js';
export {
  PipelineStep,
  type StepOptions,
  type CacheableStepOptions,
  type JobStepOptions,
  type RetryPolicy,
  type CacheConfig,
} from './steps/step.js';
export {
  processing,
  training,
  tuning,
  autoML,
  createModel,
  registerModel,
  transform,
  type ProcessingArguments,
  type TrainingArguments,
  type TuningArguments,
  type AutoMLArguments,
  type ModelArguments,
  type RegisterModelArguments,
  type TransformArguments,
  type TuningProperties,
  type AutoMLProperties,
  type ProcessingStepOptions,
  type ModelStepOptions,
} from './steps/jobs.js';
export { condition, type ConditionArguments, type ConditionProperties } from './steps/condition.js';
export { callback, type CallbackArguments } from './steps/callback.js';
export { lambda, type LambdaArguments } from './steps/lambda.js';
export type { OutputType, OutputDeclarations, OutputProperties } from './steps/output-parameters.js';
export { fail } from './steps/fail.js';
export {
  qualityCheck,
  clarifyCheck,
  type QualityCheckArguments,
  type ClarifyCheckArguments,
  type QualityCheckProperties,
  type ClarifyCheckProperties,
} from './steps/checks.js';
export { emr, type EMRArguments, type EMRStepDescription, type HadoopJarStep } from './steps/emr.js';
export { genericStep, type GenericStepType } from './steps/generic.js';
export { pipeline, type Pipeline, type PipelineOptions, type ExperimentConfig } from './pipeline.js';

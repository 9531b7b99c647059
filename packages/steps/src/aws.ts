/**
 * The AWS-backed part of `@cairn/steps`: the SageMaker executor, publishing to SageMaker Pipelines,
 * the SageMaker Model Registry remote and the S3 artifact store. Importing it loads the AWS SDK
 * (tens of MiB); `@cairn/steps` itself does not, and `configuredBackends` loads this entry only
 * when a step first uses SageMaker or S3.
 *
 * @example
 * const { sagemakerExecutor } = await import('@cairn/steps/aws');
 * const router = createExecutorRouter([localExecutor({ config }), sagemakerExecutor({ region: 'eu-west-1' })]);
 */
export {
  sagemakerExecutor,
  SageMakerExecutorOptionsSchema,
  SageMakerHandleSchema,
  type SageMakerExecutorOptions,
  type SageMakerHandle,
} from './sagemaker/sagemaker-executor.js';
export { sagemakerModelRegistry } from './sagemaker/registry-sync.js';
export { classifyAwsError, jobFailureError } from './sagemaker/aws-errors.js';
export {
  createSageMakerClient,
  publishPipeline,
  startPipelineExecution,
  describePipelineExecution,
  listPipelineExecutionSteps,
  stopPipelineExecution,
  followPipelineExecution,
  type PublishPipelineInput,
  type PublishedPipeline,
  type StartPipelineExecutionInput,
  type FollowPipelineExecutionInput,
  type PipelineProgress,
  type PipelineStepProgress,
} from './sagemaker/pipelines.js';
export { S3ArtifactStore, S3ArtifactStoreOptionsSchema, parseS3Uri, type S3ArtifactStoreOptions, type S3Location } from './artifacts/s3-artifact-store.js';

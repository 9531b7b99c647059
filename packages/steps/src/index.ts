/**
 * Step executors: the local executor (the SageMaker container contract on host processes, local
 * Lambda handlers) and the SageMaker executor; the local artifact store; `cairn.config.json`.
 *
 * @example
 * const config = loadCairnConfig();
 * const executor = localExecutor({ config });
 */
export {
  CONFIG_FILE_NAME,
  DEFAULT_ARN_PREFIX,
  CairnConfigSchema,
  ImageMappingSchema,
  WebhookConfigSchema,
  loadCairnConfig,
  resolveCairnConfig,
  resolveImage,
  routesToSageMaker,
  type CairnConfig,
  type ImageMapping,
  type WebhookConfig,
  type ResolvedCairnConfig,
} from './config.js';
export type { JobArtifactStore } from './artifacts/job-artifact-store.js';
export { configuredBackends, type ConfiguredBackends } from './sagemaker/backends.js';
export { LocalArtifactStore, type LocalArtifactStoreOptions, type LocalLocation } from './artifacts/local-artifact-store.js';
export { localExecutor, type LocalExecutorOptions } from './local/local-executor.js';
export { attemptDir, OPT_ML } from './local/sandbox.js';
export { PROCESS_GROUP_CHANNEL } from './local/process.js';
export { modelFile } from './local/model.js';
export { LAMBDA_TIMEOUT_MS } from './local/lambda.js';
export {
  sagemakerExecutor,
  SageMakerExecutorOptionsSchema,
  SageMakerHandleSchema,
  type SageMakerExecutorOptions,
  type SageMakerHandle,
} from './sagemaker/sagemaker-executor.js';
export { SAGEMAKER_STEP_TYPES, isSageMakerStepType, type SageMakerStepType } from './sagemaker/job-kinds.js';
export { SAGEMAKER_ARN_KEY, sagemakerModelPackageArn, sagemakerModelRegistry } from './sagemaker/registry-sync.js';
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

/**
 * Step executors: the local executor (the SageMaker container contract on host processes, local
 * Lambda handlers); the local artifact store; `cairn.config.json`; `configuredBackends`. Loading
 * this entry does not load the AWS SDK: the SageMaker executor, the S3 store and publishing live
 * in `@cairn/steps/aws`, which `configuredBackends` and `lazySageMakerModelRegistry` import on first use.
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
export { SAGEMAKER_STEP_TYPES, isSageMakerStepType, type SageMakerStepType } from './sagemaker/step-types.js';
export { SAGEMAKER_ARN_KEY, sagemakerModelPackageArn } from './sagemaker/mirrored-versions.js';
export { lazySageMakerModelRegistry } from './sagemaker/lazy-aws.js';

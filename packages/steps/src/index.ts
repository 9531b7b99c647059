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
  loadCairnConfig,
  resolveCairnConfig,
  resolveImage,
  type CairnConfig,
  type ImageMapping,
  type ResolvedCairnConfig,
} from './config.js';
export { LocalArtifactStore, type LocalArtifactStoreOptions, type LocalLocation } from './artifacts/local-artifact-store.js';
export { localExecutor, type LocalExecutorOptions } from './local/local-executor.js';
export { attemptDir, OPT_ML } from './local/sandbox.js';
export { modelFile } from './local/model.js';
export { LAMBDA_TIMEOUT_MS } from './local/lambda.js';

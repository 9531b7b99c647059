import type { ExecutorRoutes, StepExecutor } from '@cairn/core';
import type { JobArtifactStore } from '../artifacts/job-artifact-store.js';
import { LocalArtifactStore } from '../artifacts/local-artifact-store.js';
import { routesToSageMaker, type ResolvedCairnConfig } from '../config.js';
import { localExecutor } from '../local/local-executor.js';
import { lazyS3ArtifactStore, lazySageMakerExecutor } from './lazy-aws.js';

/** What `cairn.config.json` asks for: executors in routing order, their routes, and the artifact store every step shares. */
export interface ConfiguredBackends {
  /** The local executor, and the SageMaker one when a route names it; the default backend comes first. */
  readonly executors: StepExecutor[];
  /** `backends` without its unset keys, for `createExecutorRouter`. */
  readonly routes: ExecutorRoutes;
  /** A LocalArtifactStore, or an S3 store (an S3ArtifactStore made on first use) when `artifacts.backend` is `s3`. */
  readonly artifacts: JobArtifactStore;
  /** Closes the executors (their jobs and clients) and the artifact store. */
  close(): Promise<void>;
}

/**
 * Builds the executors and the artifact store from the configuration. SDK clients use the default
 * credential chain and the standard `AWS_ENDPOINT_URL_SAGEMAKER` / `AWS_ENDPOINT_URL_S3` overrides;
 * the AWS SDK itself is loaded when a step first calls SageMaker or S3, not here.
 */
export function configuredBackends(config: ResolvedCairnConfig): ConfiguredBackends {
  const { region, pollIntervalMs, s3ForcePathStyle } = config.sagemaker;
  const s3 =
    config.artifactsBackend === 's3'
      ? lazyS3ArtifactStore({ ...(region ? { region } : {}), ...(s3ForcePathStyle !== undefined ? { forcePathStyle: s3ForcePathStyle } : {}), ...config.s3Multipart })
      : undefined;
  const artifacts = s3 ?? new LocalArtifactStore({ root: config.artifactsRoot, mounts: config.mounts });
  const executors = [localExecutor({ config, artifacts })];
  if (routesToSageMaker(config.backends)) {
    const sagemaker = lazySageMakerExecutor({ ...(region ? { region } : {}), ...(pollIntervalMs ? { pollIntervalMs } : {}) });
    // The router sends a step type to the first executor that lists it, so the default goes first.
    if (config.backends.default === 'sagemaker') executors.unshift(sagemaker);
    else executors.push(sagemaker);
  }
  const routes = Object.fromEntries(Object.entries(config.backends).filter(([, v]) => v !== undefined)) as ExecutorRoutes;
  return {
    executors,
    routes,
    artifacts,
    close: async () => {
      await Promise.all([...executors.map((e) => e.close?.()), s3?.close()]);
    },
  };
}

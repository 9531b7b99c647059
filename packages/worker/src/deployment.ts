import type { Logger } from 'pino';
import { createCallbackExecutor, createExecutorRouter, type ArtifactStore, type CallbackMessage, type ExecutionStore, type ExecutorRouter } from '@cairn/core';
import { configuredBackends, type ResolvedCairnConfig } from '@cairn/steps';

/** What scheduler and workers build from `cairn.config.json`: the executors and the artifact store. */
export interface Deployment {
  router: ExecutorRouter;
  /** The local artifact store, or S3 when `artifacts.backend` is `s3` (the default when SageMaker is routed). */
  artifacts: ArtifactStore;
  /** Stops the executors' jobs and releases their resources. */
  close(): Promise<void>;
}

/**
 * The executors of a deployment, exactly as the CLI's embedded runtime builds them: the local
 * executor (processes, Lambda handlers, Model and RegisterModel), the SageMaker executor when
 * the configuration's `backends` route any step to it, and the Callback executor.
 */
export function createDeployment(config: ResolvedCairnConfig, store: ExecutionStore, logger: Logger, callbackSink?: (message: CallbackMessage) => void | Promise<void>): Deployment {
  const backends = configuredBackends(config);
  const callbacks = createCallbackExecutor({ store, logger, ...(callbackSink ? { sink: callbackSink } : {}) });
  const router = createExecutorRouter([...backends.executors, callbacks], backends.routes);
  return {
    router,
    artifacts: backends.artifacts,
    close: async () => {
      await Promise.all([backends.close(), callbacks.close?.()]);
    },
  };
}

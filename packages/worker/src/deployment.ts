import type { Logger } from 'pino';
import { createCallbackExecutor, createExecutorRouter, type CallbackMessage, type ExecutionStore, type ExecutorRouter, type ExecutorRoutes } from '@cairn/core';
import { LocalArtifactStore, localExecutor, type ResolvedCairnConfig } from '@cairn/steps';

/** What scheduler and workers build from `cairn.config.json`: the executors and the artifact store. */
export interface Deployment {
  router: ExecutorRouter;
  artifacts: LocalArtifactStore;
  /** Stops the executors' jobs and releases their resources. */
  close(): Promise<void>;
}

/**
 * The executors of a deployment: the local executor (processes, Lambda handlers, Model and
 * RegisterModel) and the Callback executor, routed by the configuration's `backends`.
 */
export function createDeployment(config: ResolvedCairnConfig, store: ExecutionStore, logger: Logger, callbackSink?: (message: CallbackMessage) => void | Promise<void>): Deployment {
  const artifacts = new LocalArtifactStore({ root: config.artifactsRoot, mounts: config.mounts });
  const executors = [localExecutor({ config, artifacts }), createCallbackExecutor({ store, logger, ...(callbackSink ? { sink: callbackSink } : {}) })];
  const routes = Object.fromEntries(Object.entries(config.backends).filter(([, v]) => v !== undefined)) as ExecutorRoutes;
  const router = createExecutorRouter(executors, routes);
  return { router, artifacts, close: async () => void (await Promise.all(executors.map((e) => e.close?.()))) };
}

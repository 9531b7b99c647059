import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CairnStore, CallbackMessage } from '@cairn/core';
import type { ResolvedCairnConfig } from '@cairn/steps';
import { ClusterClient } from './cluster-client.js';
import { createDeployment } from './deployment.js';
import { channelNames } from './queues.js';
import { ProcessGroupReaper } from './reaper.js';
import { logConnectionErrors } from './redis.js';
import { SchedulerService, type SchedulerServiceOptions } from './scheduler-service.js';
import { StepWorker, type StepWorkerOptions } from './step-worker.js';

/** What every service is built from. */
export interface ServiceSettings {
  connection: RedisOptions;
  prefix: string;
  store: CairnStore;
  config: ResolvedCairnConfig;
  logger: Logger;
}

/** A running service. */
export interface RunningService {
  /** Graceful stop: in-flight work finishes or is handed back within `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** Starts a step worker with the configuration's executors; Callback messages are published for `cairn run` to print. */
export async function startWorkerService(settings: ServiceSettings, tuning: Partial<Pick<StepWorkerOptions, 'concurrency' | 'pollIntervalMs' | 'lockDurationMs' | 'maxDeliveries'>> = {}): Promise<RunningService & { worker: StepWorker }> {
  const { connection, prefix, store, config, logger } = settings;
  const reaper = new ProcessGroupReaper();
  const publisher = logConnectionErrors(new Redis(connection), logger, 'callback publisher');
  const channel = channelNames(prefix).callbacks;
  const deployment = createDeployment(config, store, logger, async (message) => {
    logger.info({ executionArn: message.pipelineExecutionArn, step: message.stepName }, `callback step "${message.stepName}" waits for its token`);
    await publisher.publish(channel, JSON.stringify(message));
  });
  const worker = await StepWorker.start({ connection, prefix, store, router: deployment.router, artifacts: deployment.artifacts, logger, ...tuning });
  return {
    worker,
    close: async (graceMs) => {
      await worker.close(graceMs);
      await deployment.close();
      publisher.disconnect();
      reaper.close();
    },
  };
}

/** Starts the scheduler with the configuration's executors (for coverage checks) and artifact store (property files). */
export async function startSchedulerService(settings: ServiceSettings, tuning: Partial<Pick<SchedulerServiceOptions, 'resultConcurrency' | 'reconcileIntervalMs' | 'stopCheckIntervalMs' | 'observers'>> = {}): Promise<RunningService & { scheduler: SchedulerService }> {
  const { connection, prefix, store, config, logger } = settings;
  const deployment = createDeployment(config, store, logger);
  const scheduler = await SchedulerService.start({ connection, prefix, store, router: deployment.router, artifacts: deployment.artifacts, logger, arnPrefix: config.arnPrefix, ...tuning });
  return {
    scheduler,
    close: async () => {
      await scheduler.close();
      await deployment.close();
    },
  };
}

/** Opens a client of the cluster (for `cairn run|retry|stop --redis …`); Callback messages of followed executions go to `callbackSink`. */
export function openClusterClient(settings: ServiceSettings, callbackSink?: (message: CallbackMessage) => void): ClusterClient & { closeDeployment(): Promise<void> } {
  const { connection, prefix, store, config, logger } = settings;
  const deployment = createDeployment(config, store, logger);
  const client = new ClusterClient({ connection, prefix, store, router: deployment.router, arnPrefix: config.arnPrefix, ...(callbackSink ? { callbackSink } : {}) });
  return Object.assign(client, { closeDeployment: () => deployment.close() });
}

import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { lineageObserver, recoverEndedExecutionsLineage, type CairnStore, type CallbackMessage, type ModelRegistry } from '@cairn/core';
import { lazySageMakerModelRegistry, type ResolvedCairnConfig } from '@cairn/steps';
import { ClusterClient } from './cluster-client.js';
import { createDeployment } from './deployment.js';
import { openModelRegistry } from './events-sinks.js';
import { channelNames } from './queues.js';
import { ProcessGroupReaper } from './reaper.js';
import { logConnectionErrors } from './redis.js';
import type { LeaderLost } from './leader.js';
import { SchedulerService, type SchedulerServiceOptions } from './scheduler-service.js';
import { closeInOrder } from './shutdown.js';
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
  const events = serviceRegistry(settings);
  const reaper = new ProcessGroupReaper();
  const publisher = logConnectionErrors(new Redis(connection), logger, 'callback publisher');
  const channel = channelNames(prefix).callbacks;
  const deployment = createDeployment(config, store, logger, async (message) => {
    logger.info({ executionArn: message.pipelineExecutionArn, step: message.stepName }, `callback step "${message.stepName}" waits for its token`);
    await publisher.publish(channel, JSON.stringify(message));
  });
  const closeRest = () => closeInOrder([() => events.close(), () => deployment.close(), () => publisher.disconnect(), () => reaper.close()], logger, 'worker service');
  let worker: StepWorker;
  try {
    worker = await StepWorker.start({ connection, prefix, store, router: deployment.router, artifacts: deployment.artifacts, logger, registry: events.registry, ...tuning });
  } catch (err) {
    // E.g. Redis unreachable: a publisher left reconnecting would keep the process alive.
    await closeRest();
    throw err;
  }
  return {
    worker,
    close: (graceMs) => closeInOrder([() => worker.close(graceMs), closeRest], logger, 'worker service'),
  };
}

/**
 * Starts the scheduler with the configuration's executors (for coverage checks) and artifact store
 * (property files); it records lineage and delivers the registry's events (webhooks, `<prefix>:events`).
 */
export async function startSchedulerService(settings: ServiceSettings, tuning: Partial<Pick<SchedulerServiceOptions, 'resultConcurrency' | 'reconcileIntervalMs' | 'stopCheckIntervalMs' | 'observers' | 'leaderTtlMs' | 'leaderUnknownHistoryWaitMs' | 'signal'>> = {}): Promise<RunningService & { scheduler: SchedulerService; registry: ModelRegistry; lost: Promise<LeaderLost> }> {
  const { connection, prefix, store, config, logger } = settings;
  const events = serviceRegistry(settings);
  const deployment = createDeployment(config, store, logger);
  const lineage = lineageObserver({ store, artifacts: deployment.artifacts, arnPrefix: config.arnPrefix, logger });
  const observers = [lineage, ...(tuning.observers ?? [])];
  let scheduler: SchedulerService;
  try {
    const eventRetention = config.events.retentionMs !== undefined ? { eventRetentionMs: config.events.retentionMs } : {};
    scheduler = await SchedulerService.start({ connection, prefix, store, router: deployment.router, artifacts: deployment.artifacts, logger, arnPrefix: config.arnPrefix, ...eventRetention, ...tuning, observers });
  } catch (err) {
    // Not leading (aborted standby) or failed to start: nothing else of this service may stay open.
    await lineage.close();
    await events.close();
    await deployment.close();
    throw err;
  }
  // Lineage of steps that ended an execution just before the previous scheduler died (resume covers running ones).
  const recovering = recoverEndedExecutionsLineage(store, lineage, { now: Date.now(), arnPrefix: config.arnPrefix }).then(
    (checked) => logger.debug({ checked }, 'checked the lineage of recently ended executions'),
    (err: unknown) => logger.error({ err }, 'cannot check the lineage of recently ended executions; executions are not affected'),
  );
  const stopDelivering = new AbortController();
  const delivering = events.registry.dispatcher?.run(stopDelivering.signal);
  return {
    scheduler,
    registry: events.registry,
    lost: scheduler.lost,
    close: async () => {
      stopDelivering.abort();
      await delivering;
      await closeInOrder([() => scheduler.close(), () => recovering, () => lineage.close(), () => events.close(), () => deployment.close()], logger, 'scheduler service');
    },
  };
}

/** The Model Registry of a service: the configured webhooks, the `<prefix>:events` stream, SageMaker sync. */
function serviceRegistry(settings: ServiceSettings): { registry: ModelRegistry; close(): Promise<void> } {
  const { connection, prefix, store, config, logger } = settings;
  // Connects on first XADD, so a configuration error below leaks no connection.
  const redis = logConnectionErrors(new Redis({ ...connection, lazyConnect: true }), logger, 'event stream');
  // The AWS SDK loads only when a version mirrored from SageMaker is approved or read.
  const remote = lazySageMakerModelRegistry(config.sagemaker.region);
  const registry = openModelRegistry({ store, config, env: process.env, logger, stream: { redis, prefix }, remote });
  return {
    registry,
    close: async () => {
      await registry.flush(1_000);
      redis.disconnect();
      await remote.close();
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

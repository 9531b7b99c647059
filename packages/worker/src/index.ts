/**
 * The `cairn` CLI and the distributed runtime: a scheduler service that drives executions with the
 * engine's coordinator and pushes ready steps to BullMQ queues, and step workers that run them.
 * PostgreSQL holds every fact; Redis only carries work.
 * @example
 * const settings = { connection: redisOptionsFromUrl(process.env.REDIS_URL!), prefix: 'cairn', store, config, logger };
 * const scheduler = await startSchedulerService(settings);
 * const worker = await startWorkerService(settings, { concurrency: 8 });
 */
export { runCli, buildProgram, main } from './cli/main.js';
export { QueueName, DEFAULT_QUEUE_PREFIX, StepJobSchema, ResultJobSchema, ControlJobSchema, SerializedErrorSchema, JobStateSchema, stepJobId, resultStreamKey, RESULT_STREAM_GROUP, parsePayload, channelNames, type StepJob, type ResultJob, type ControlJob } from './queues.js';
export { redisOptionsFromUrl, assertNoEviction, DEFAULT_REDIS_URL } from './redis.js';
export { LeaderLock, leaderLockKey, schedulerFenceName, DEFAULT_LEADER_TTL_MS, type LeaderLockOptions, type LeaderLost } from './leader.js';
export { QueueDispatcher, type QueueDispatcherOptions } from './queue-dispatcher.js';
export { StepWorker, type StepWorkerOptions } from './step-worker.js';
export { SchedulerService, DEFAULT_SCHEDULER_LEADER_TTL_MS, type SchedulerServiceOptions } from './scheduler-service.js';
export { Reconciler, type ReconcilerOptions, type ReconcileReport } from './reconciler.js';
export { ClusterClient, type ClusterClientOptions, type ExecutionRuntime } from './cluster-client.js';
export { createDeployment, type Deployment } from './deployment.js';
export { startSchedulerService, startWorkerService, openClusterClient, type ServiceSettings, type RunningService } from './services.js';
export { untilShutdown, watchShutdown, type ShutdownOptions, type ShutdownWatch, type ShutdownCause } from './shutdown.js';
export { ProcessGroupReaper } from './reaper.js';

import type { RedisOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { ArtifactStore, CairnStore, Clock, ExecutorRouter } from '@cairn/core';

/** What the scheduler and the workers both need. */
export interface ClusterServiceOptions {
  /** Redis connection (BullMQ needs `maxRetriesPerRequest: null`; see `redisOptionsFromUrl`). */
  connection: RedisOptions;
  /** BullMQ key prefix shared by the scheduler and its workers. */
  prefix: string;
  /** The source of truth (PostgreSQL in production). */
  store: CairnStore;
  /** Executors of the deployment (workers run them; the scheduler checks that they cover each pipeline). */
  router: ExecutorRouter;
  /** Reads and writes `s3://` URIs (property files, inputs, outputs). */
  artifacts: ArtifactStore;
  logger: Logger;
  clock?: Clock;
}

/**
 * The scheduler alone in its own process, so its memory can be measured:
 * `node --import tsx scheduler-process.ts <databaseUrl> <schema> <redisUrl> <prefix>`; prints "ready", stops on SIGTERM.
 */
import { pino } from 'pino';
import { PostgresStore, createExecutorRouter } from '@cairn/core';
import { SchedulerService, redisOptionsFromUrl, untilShutdown } from '@cairn/worker';
import { noArtifacts, noop } from './noop.js';

const [databaseUrl, schema, redisUrl, prefix] = process.argv.slice(2) as [string, string, string, string];
const logger = pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'silent' }, pino.destination(2));
const store = await PostgresStore.open({ connectionString: databaseUrl, schema, maxConnections: 10 });
const scheduler = await SchedulerService.start({ connection: redisOptionsFromUrl(redisUrl), prefix, store, router: createExecutorRouter([noop]), artifacts: noArtifacts, logger, reconcileIntervalMs: 60_000 });
process.stdout.write('ready\n');
await untilShutdown(() => scheduler.close(), { logger });
await store.close();

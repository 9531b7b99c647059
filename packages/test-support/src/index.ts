/**
 * Test fixtures shared by Cairn's packages (private). Outside vitest (benchmarks, scripts) import
 * the server helpers from `@cairn/test-support/postgres-server` or `/redis-server` instead.
 *
 * @example
 * postgresTest('stores', async ({ databaseUrl, schema }) => { … });
 */
export { postgresTest } from './postgres.js';
export { startPostgres, createSchema, dropSchema, uniqueSchemaName, LOCAL_DATABASE_URL } from './postgres-server.js';
export { redisTest } from './redis.js';
export { clusterTest } from './cluster.js';
export { startRedis, uniqueRedisPrefix, deleteRedisPrefix, LOCAL_REDIS_URL } from './redis-server.js';

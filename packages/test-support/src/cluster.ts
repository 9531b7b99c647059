import { postgresTest } from './postgres.js';
import { startRedis, uniqueRedisPrefix } from './redis-server.js';

/**
 * Vitest fixture for the distributed runtime: `postgresTest`'s `databaseUrl` and fresh `schema`,
 * plus `redisUrl` (one server per worker) and a `prefix` unique per test.
 */
export const clusterTest = postgresTest
  // eslint-disable-next-line no-empty-pattern
  .extend('redisUrl', { scope: 'worker' }, async ({}, { onCleanup }) => {
    const server = await startRedis();
    onCleanup(server.stop);
    return server.url;
  })
  .extend('prefix', () => uniqueRedisPrefix());

import { postgresTest } from './postgres.js';
import { redisUrlFixture } from './redis.js';
import { uniqueRedisPrefix } from './redis-server.js';

/**
 * Vitest fixture for the distributed runtime: `postgresTest`'s `databaseUrl` and fresh `schema`,
 * plus `redisTest`'s `redisUrl` (one server per worker) and `prefix` (unique per test).
 */
export const clusterTest = postgresTest.extend('redisUrl', { scope: 'worker' }, redisUrlFixture).extend('prefix', () => uniqueRedisPrefix());

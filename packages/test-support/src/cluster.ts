import { postgresTest } from './postgres.js';
import { prefixFixture, redisUrlFixture } from './redis.js';

/**
 * Vitest fixture for the distributed runtime: `postgresTest`'s `databaseUrl` and fresh `schema`,
 * plus `redisTest`'s `redisUrl` (one server per worker) and `prefix` (unique per test, its keys deleted afterwards).
 */
export const clusterTest = postgresTest.extend('redisUrl', { scope: 'worker' }, redisUrlFixture).extend('prefix', prefixFixture);

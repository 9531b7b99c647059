import { test } from 'vitest';
import { startRedis, uniqueRedisPrefix } from './redis-server.js';

/**
 * Vitest fixture: `redisUrl` (one server per worker) and `prefix`, unique per test. Never flush
 * a shared server; isolate keys and queue names by prefix instead.
 */
export const redisTest = test
  // eslint-disable-next-line no-empty-pattern
  .extend('redisUrl', { scope: 'worker' }, async ({}, { onCleanup }) => {
    const server = await startRedis();
    onCleanup(server.stop);
    return server.url;
  })
  .extend('prefix', () => uniqueRedisPrefix());

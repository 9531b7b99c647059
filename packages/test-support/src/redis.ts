import { test } from 'vitest';
import { startRedis, uniqueRedisPrefix } from './redis-server.js';

/**
 * The `redisUrl` fixture of {@link redisTest} and `clusterTest` (worker-scoped: one server per
 * worker, stopped after its last test).
 */
// eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from this pattern
export async function redisUrlFixture({}: object, { onCleanup }: { onCleanup: (cleanup: () => Promise<void>) => void }): Promise<string> {
  const server = await startRedis();
  onCleanup(server.stop);
  return server.url;
}

/**
 * Vitest fixture: `redisUrl` (one server per worker) and `prefix`, unique per test. Never flush
 * a shared server; isolate keys and queue names by prefix instead.
 */
export const redisTest = test.extend('redisUrl', { scope: 'worker' }, redisUrlFixture).extend('prefix', () => uniqueRedisPrefix());

import { test } from 'vitest';
import { deleteRedisPrefix, startRedis, uniqueRedisPrefix } from './redis-server.js';

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
 * The `prefix` fixture of {@link redisTest} and `clusterTest`: a fresh `t-<uuid>` whose keys are
 * deleted after the test and after its `onTestFinished` callbacks, which close its queues and
 * services (those may still write keys). Vitest runs a fixture's `onCleanup` before those
 * callbacks, so the deletion is an `onTestFinished` callback itself: registered before the test
 * body runs, it runs after the test's own (they run last registered first).
 */
export function prefixFixture({ redisUrl, onTestFinished }: { redisUrl: string; onTestFinished: (fn: () => Promise<void>) => void }): string {
  const prefix = uniqueRedisPrefix();
  onTestFinished(async () => void (await deleteRedisPrefix(redisUrl, prefix)));
  return prefix;
}

/**
 * Vitest fixture: `redisUrl` (one server per worker) and `prefix`, unique per test, its keys
 * deleted afterwards. Never flush a shared server; isolate keys and queue names by prefix instead.
 */
export const redisTest = test.extend('redisUrl', { scope: 'worker' }, redisUrlFixture).extend('prefix', prefixFixture);

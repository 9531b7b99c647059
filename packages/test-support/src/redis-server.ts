import { randomUUID } from 'node:crypto';

/** Used when `REDIS_URL` is not set and Docker is not available (the local services of this repository). */
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/** A unique key prefix / BullMQ queue-name prefix: `t-<uuid>` (no `:`, which BullMQ names cannot contain). */
export function uniqueRedisPrefix(): string {
  return `t-${randomUUID()}`;
}

/**
 * The Redis URL for tests: `REDIS_URL` when set, else a testcontainer when Docker is available,
 * else `LOCAL_REDIS_URL`. Returns a stop function for a started container.
 */
export async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env['REDIS_URL']) return { url: process.env['REDIS_URL'], stop: async () => {} };
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return { url: LOCAL_REDIS_URL, stop: async () => {} }; // no Docker engine: the local server
  }
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer('redis:7.2').start();
  return { url: container.getConnectionUrl(), stop: async () => void (await container.stop()) };
}

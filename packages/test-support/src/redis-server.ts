import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

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

/**
 * Deletes the keys of one test prefix (`<prefix>:*`, and a key named `<prefix>` itself) with SCAN
 * and UNLINK; never the whole server, which other tests and sessions share. Returns how many
 * keys were deleted.
 */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<number> {
  if (!/^[\w-]+$/.test(prefix)) throw new Error(`Refusing to delete keys of the prefix "${prefix}": a test prefix has no glob characters.`);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined); // reported through the rejected commands
  let deleted = 0;
  try {
    await redis.connect();
    deleted += await redis.unlink(prefix);
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1_000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

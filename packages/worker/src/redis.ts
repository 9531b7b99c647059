import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ErrorCode, OrchestratorError, asSentence } from '@cairn/core';

/** The Redis URL used when neither a flag nor `REDIS_URL` gives one. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * ioredis options for BullMQ from a `redis://` / `rediss://` URL: `maxRetriesPerRequest: null`
 * (BullMQ's blocking commands must wait out a reconnect instead of failing) and a capped
 * reconnect backoff, so services ride out a Redis restart.
 */
export function redisOptionsFromUrl(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw invalidUrl(url, cause);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw invalidUrl(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 1_000),
  };
}

function invalidUrl(url: string, cause?: unknown): OrchestratorError {
  return new OrchestratorError(ErrorCode.ConfigInvalid, `"${url}" is not a Redis URL.`, {
    cause,
    fix: 'pass --redis (or set REDIS_URL) to a URL such as redis://127.0.0.1:6379 or rediss://user:password@host:6380/0.',
  });
}

/**
 * Refuses a Redis that may evict keys: BullMQ keeps jobs and locks in plain keys, so any
 * `maxmemory-policy` but `noeviction` can silently drop queued work.
 */
export async function assertNoEviction(options: RedisOptions): Promise<void> {
  const redis = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined); // reported through the rejected command below
  try {
    await redis.connect();
    const policy = await readEvictionPolicy(redis);
    if (policy !== undefined && policy !== 'noeviction') {
      throw new OrchestratorError(ErrorCode.ConfigInvalid, `Redis at ${options.host}:${options.port} has maxmemory-policy "${policy}", so it may evict queued jobs.`, {
        fix: 'run `redis-cli CONFIG SET maxmemory-policy noeviction` (and `CONFIG REWRITE`), or set `maxmemory-policy noeviction` in redis.conf and restart Redis.',
      });
    }
  } catch (err) {
    if (err instanceof OrchestratorError) throw err;
    throw new OrchestratorError(ErrorCode.ConfigInvalid, asSentence(`Cannot reach Redis at ${options.host}:${options.port}: ${(err as Error).message}`), {
      cause: err,
      fix: 'check --redis / REDIS_URL and that the Redis server is running.',
    });
  } finally {
    redis.disconnect();
  }
}

/** `maxmemory-policy` from INFO (works where CONFIG is disabled, e.g. managed Redis). */
async function readEvictionPolicy(redis: Redis): Promise<string | undefined> {
  const info = await redis.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/** Anything that emits connection errors (ioredis clients, BullMQ queues and workers). */
interface ErrorEmitter {
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** Logs connection errors instead of crashing on an unhandled `error` event; the client reconnects by itself. */
export function logConnectionErrors<T extends ErrorEmitter>(emitter: T, logger: Logger, what: string): T {
  emitter.on('error', (err) => logger.warn({ err: { message: err.message } }, `${what}: Redis connection error (reconnecting)`));
  return emitter;
}

import { Redis } from 'ioredis';
import { describe, expect, onTestFinished } from 'vitest';
import { redisTest as test } from '../src/redis.js';
import { uniqueRedisPrefix } from '../src/redis-server.js';

/** What the first test left, for the second to check (tests of a file run in order). */
const left: { prefix?: string; other?: string; closing?: string } = {};

function client(redisUrl: string): Redis {
  const redis = new Redis(redisUrl);
  onTestFinished(() => void redis.disconnect());
  return redis;
}

describe('the prefix fixture', () => {
  test('a test writes keys under its prefix (and one outside it)', async ({ redisUrl, prefix }) => {
    const redis = client(redisUrl);
    left.prefix = prefix;
    left.other = `${uniqueRedisPrefix()}:kept`;
    await redis.set(`${prefix}:a`, '1');
    await redis.xadd(`${prefix}:queue:events`, '*', 'k', 'v');
    await redis.set(prefix, '1');
    // Looks like the prefix but is not under it ("<prefix>-x" is another test's prefix shape).
    await redis.set(`${prefix}-x`, '1');
    await redis.set(left.other, '1');
  });

  test('a key its onTestFinished callbacks write (queues and services closing) is deleted too', async ({ redisUrl, prefix }) => {
    left.closing = prefix;
    const redis = new Redis(redisUrl);
    // As a test's queues and services do when they close: after the test, before the fixture's deletion.
    onTestFinished(async () => {
      await redis.set(`${prefix}:written-while-closing`, '1');
      redis.disconnect();
    });
  });

  test('after it, its keys are gone and the others are kept', async ({ redisUrl }) => {
    const redis = client(redisUrl);
    const { prefix, other } = left;
    expect(prefix).toBeDefined();
    onTestFinished(async () => void (await redis.unlink(`${prefix}-x`, other!)));
    expect(await redis.exists(`${prefix}:a`, `${prefix}:queue:events`, prefix!)).toBe(0);
    expect(await redis.exists(`${prefix}-x`, other!)).toBe(2);
    expect(await redis.exists(`${left.closing}:written-while-closing`)).toBe(0);
  });
});

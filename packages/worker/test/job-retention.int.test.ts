import { Queue, Worker } from 'bullmq';
import { pino } from 'pino';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { redisTest as test } from '@cairn/test-support';
import { JobRetention } from '../src/job-retention.js';
import { redisOptionsFromUrl } from '../src/redis.js';

describe('JobRetention', () => {
  test('removes completed jobs past the retention, in batches, and keeps younger ones', async ({ redisUrl, prefix }) => {
    const connection = redisOptionsFromUrl(redisUrl);
    const queue = new Queue('steps', { connection, prefix, defaultJobOptions: { removeOnComplete: false } });
    const worker = new Worker('steps', async () => undefined, { connection, prefix, concurrency: 16 });
    onTestFinished(async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    });
    await queue.addBulk(Array.from({ length: 25 }, (_, i) => ({ name: 'old', data: {}, opts: { jobId: `old-${i}` } })));
    await vi.waitFor(async () => expect(await queue.getCompletedCount()).toBe(25), { timeout: 10_000, interval: 20 });
    await new Promise((r) => setTimeout(r, 300));
    await queue.add('young', {}, { jobId: 'young' });
    await vi.waitFor(async () => expect(await queue.getCompletedCount()).toBe(26), { timeout: 10_000, interval: 20 });

    const retention = new JobRetention(queue, { keepMs: 200, batch: 10, logger: pino({ level: 'silent' }) });
    expect(await retention.trim()).toBe(25);
    expect(await queue.getCompletedCount()).toBe(1);
    expect(await queue.getJob('young')).toBeDefined();
    expect(await queue.getJob('old-0')).toBeUndefined();
    // A re-enqueued young job stays a no-op: its completed job is still there.
    await queue.add('young', {}, { jobId: 'young' });
    expect(await queue.getJobCounts('wait', 'active', 'completed')).toMatchObject({ wait: 0, active: 0, completed: 1 });
  });
});

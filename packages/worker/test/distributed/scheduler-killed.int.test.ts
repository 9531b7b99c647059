import { once } from 'node:events';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { QueueName, RESULT_STREAM_GROUP, resultStreamKey, stepJobId } from '../../src/queues.js';
import { redisOptionsFromUrl } from '../../src/redis.js';
import { clusterTest as test, definition, makeCluster, recordStep, runsOf } from './harness.js';

describe('reliability 2: the scheduler SIGKILLed between a step completion and the enqueue of its dependents', () => {
  test('after restart the execution continues; every dependent runs, none twice', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.worker();
    // A short leader lock: the restarted scheduler takes over once the dead one's lease ends.
    const scheduler = await cluster.spawnService('scheduler', { reconcileIntervalMs: 500, leaderTtlMs: 2_000 }, { CAIRN_TEST_CRASH_AFTER: 'A' });
    const log = join(cluster.workspace, 'runs.log');
    const pipeline = [recordStep('A', log), recordStep('B', log, ['A']), recordStep('C', log, ['A']), recordStep('D', log, ['B', 'C'])];
    const started = await cluster.start(definition(pipeline));
    const [, signal] = (await once(scheduler, 'exit')) as [number | null, string | null];
    expect(signal).toBe('SIGKILL');
    expect(await cluster.store.getStepExecution(started.id, 'A')).toMatchObject({ status: 'Succeeded' });
    expect(runsOf(log)).toEqual(['A']);
    // Killed inside the window: the dependents' attempts are recorded (write-ahead) but were never enqueued.
    const steps = new Queue(QueueName.Steps, { connection: redisOptionsFromUrl(redisUrl), prefix });
    onTestFinished(() => steps.close());
    for (const name of ['B', 'C']) {
      expect(await cluster.store.getStepExecution(started.id, name)).toMatchObject({ status: 'Starting', attempt: 1 });
      expect(await steps.getJob(stepJobId({ executionId: started.id, stepName: name, attempt: 1 }))).toBeUndefined();
    }
    // A's result was committed but never acknowledged: it is still pending in the results stream.
    const redis = new Redis(redisOptionsFromUrl(redisUrl));
    onTestFinished(() => redis.disconnect());
    const key = resultStreamKey(prefix);
    const pending = async () => ((await redis.xpending(key, RESULT_STREAM_GROUP)) as [number])[0];
    expect(await pending()).toBe(1);

    await cluster.scheduler({ leaderTtlMs: 2_000 });
    // The new scheduler reads its pending entries first: A's result again (rejected as a duplicate), then acknowledged.
    await vi.waitFor(async () => expect(await pending()).toBe(0), { timeout: 10_000, interval: 50 });
    const final = await cluster.client.waitForExecution(started.id);
    expect(final.status).toBe('Succeeded');
    expect(runsOf(log).sort()).toEqual(['A', 'B', 'C', 'D']);
    const records = await cluster.store.listStepExecutions(started.id);
    expect(records.every((r) => r.status === 'Succeeded' && r.attempt === 1)).toBe(true);
  });
});

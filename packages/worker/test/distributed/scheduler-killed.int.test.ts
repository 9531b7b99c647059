import { once } from 'node:events';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished } from 'vitest';
import { QueueName, stepJobId } from '../../src/queues.js';
import { redisOptionsFromUrl } from '../../src/redis.js';
import { clusterTest as test, definition, makeCluster, recordStep, runsOf } from './harness.js';

describe('reliability 2: the scheduler SIGKILLed between a step completion and the enqueue of its dependents', () => {
  test('after restart the execution continues; every dependent runs, none twice', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.worker();
    const scheduler = await cluster.spawnService('scheduler', { reconcileIntervalMs: 500 }, { CAIRN_TEST_CRASH_AFTER: 'A' });
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

    await cluster.scheduler();
    const final = await cluster.client.waitForExecution(started.id);
    expect(final.status).toBe('Succeeded');
    expect(runsOf(log).sort()).toEqual(['A', 'B', 'C', 'D']);
    const records = await cluster.store.listStepExecutions(started.id);
    expect(records.every((r) => r.status === 'Succeeded' && r.attempt === 1)).toBe(true);
  });
});

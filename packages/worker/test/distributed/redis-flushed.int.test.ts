import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { QueueName, stepJobId } from '../../src/queues.js';
import { redisOptionsFromUrl } from '../../src/redis.js';
import { deleteRedisPrefix } from '@cairn/test-support';
import { clusterTest as test, definition, hangStep, makeCluster, recordStep, runsOf } from './harness.js';

describe('reliability 5: Redis flushed mid-execution', () => {
  test('the reconciler re-enqueues what was in flight; the execution succeeds', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.scheduler({ reconcileIntervalMs: 300 });
    await cluster.worker({ concurrency: 1 });
    const steps = new Queue(QueueName.Steps, { connection: redisOptionsFromUrl(redisUrl), prefix });
    onTestFinished(async () => {
      await steps.close();
    });
    const markers = join(cluster.workspace, 'markers');
    mkdirSync(markers);
    const log = join(cluster.workspace, 'runs.log');
    // With one slot busy on B, X1 and X2 wait in Redis: the flush loses both kinds of work.
    const started = await cluster.start(definition([recordStep('A', log), hangStep('B', markers, ['A']), recordStep('X1', log, ['A']), recordStep('X2', log, ['A']), recordStep('Z', log, ['B', 'X1', 'X2'])]));
    const waitingX1 = stepJobId({ executionId: started.id, stepName: 'X1', attempt: 1 });
    await vi.waitFor(() => expect(runsOf(join(markers, 'starts'))).toHaveLength(1), { timeout: 20_000, interval: 50 });
    await vi.waitFor(async () => expect(await steps.getJob(waitingX1)).toBeDefined(), { timeout: 10_000, interval: 50 });

    expect(await deleteRedisPrefix(redisUrl, prefix)).toBeGreaterThan(0);
    expect(await steps.getJob(waitingX1)).toBeUndefined();
    await vi.waitFor(async () => expect(await steps.getJob(waitingX1)).toBeDefined(), { timeout: 10_000, interval: 50 });

    writeFileSync(join(markers, 'done'), '');
    const final = await cluster.client.waitForExecution(started.id);
    expect(final.status).toBe('Succeeded');
    expect(runsOf(log).sort()).toEqual(['A', 'X1', 'X2', 'Z']);
    const records = await cluster.store.listStepExecutions(started.id);
    expect(records.every((r) => r.status === 'Succeeded' && r.attempt === 1)).toBe(true);
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { QueueName, resultStreamKey, stepJobId, type ResultJob } from '../../src/queues.js';
import { redisOptionsFromUrl } from '../../src/redis.js';
import { appendResult } from '../../src/result-stream.js';
import { clusterTest as test, definition, hangStep, makeCluster, recordStep, runsOf } from './harness.js';

describe('reliability 3: the same step job delivered twice, and late results', () => {
  test('a duplicate delivery of a finished attempt does not run it again; a late result is rejected; each result is recorded once', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.scheduler();
    await cluster.worker();
    const connection = redisOptionsFromUrl(redisUrl);
    const steps = new Queue(QueueName.Steps, { connection, prefix });
    const redis = new Redis(connection);
    onTestFinished(async () => {
      await steps.close();
      redis.disconnect();
    });
    const markers = join(cluster.workspace, 'markers');
    mkdirSync(markers);
    const log = join(cluster.workspace, 'runs.log');
    const started = await cluster.start(definition([recordStep('A', log), hangStep('B', markers, ['A']), recordStep('C', log, ['B'])]));
    await vi.waitFor(() => expect(runsOf(join(markers, 'starts'))).toHaveLength(1), { timeout: 20_000, interval: 50 });
    const a = (await cluster.store.getStepExecution(started.id, 'A'))!;
    expect(a.status).toBe('Succeeded');

    // Enqueueing the same attempt again is a no-op: its job id is taken.
    const original = (await steps.getJob(stepJobId({ executionId: started.id, stepName: 'A', attempt: 1 })))!;
    await steps.add('Lambda', original.data, { jobId: original.id! });
    expect(await steps.getJobCountByTypes('waiting', 'active', 'delayed')).toBe(1); // only B's job
    // The same job delivered again (a worker that lost its lock, a replayed queue) is skipped by the worker.
    const duplicate = await steps.add('Lambda', original.data, { jobId: `${original.id!}__again` });
    await vi.waitFor(async () => expect(await duplicate.getState()).toBe('completed'), { timeout: 10_000, interval: 50 });
    // A late result for the finished attempt is rejected by the coordinator.
    const late: ResultJob = { executionId: started.id, stepName: 'A', attempt: 1, state: { state: 'failed', error: { code: 'STEP_FAILED', message: 'late', retryable: false } } };
    await appendResult(redis, prefix, late);
    // Applied (rejected), then acknowledged and deleted.
    await vi.waitFor(async () => expect(await redis.xlen(resultStreamKey(prefix))).toBe(0), { timeout: 10_000, interval: 50 });

    writeFileSync(join(markers, 'done'), '');
    const final = await cluster.client.waitForExecution(started.id);
    expect(final.status).toBe('Succeeded');
    expect(runsOf(log)).toEqual(['A', 'C']);
    expect(await cluster.store.getStepExecution(started.id, 'A')).toEqual(a);
  });
});

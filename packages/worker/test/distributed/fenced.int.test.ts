import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { schedulerFenceName } from '../../src/leader.js';
import { QueueName, stepJobId } from '../../src/queues.js';
import { redisOptionsFromUrl } from '../../src/redis.js';
import { clusterTest as test, definition, hangStep, makeCluster, recordStep, runsOf } from './harness.js';

/** A cluster with a worker and a leading scheduler (`old`), and a marker directory for `hangStep`. */
async function leadingCluster(urls: Parameters<typeof makeCluster>[0]) {
  const cluster = await makeCluster(urls);
  onTestFinished(() => cluster.close());
  const markers = mkdtempSync(join(tmpdir(), 'cairn-fenced-'));
  onTestFinished(() => rmSync(markers, { recursive: true, force: true }));
  await cluster.worker();
  const old = await cluster.scheduler();
  return { cluster, markers, old };
}

describe('a scheduler whose leadership was taken over (fenced in PostgreSQL)', () => {
  test('has its next commit refused, dispatches nothing of it and stops; the new leader finishes the execution', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const { cluster, markers, old } = await leadingCluster({ databaseUrl, schema, redisUrl, prefix });
    const fence = schedulerFenceName(prefix);

    const log = join(cluster.workspace, 'runs.log');
    const started = await cluster.start(definition([hangStep('A', markers), recordStep('B', log, ['A'])]));
    // A runs (its 'running' report is committed under the old leader's term) and waits for its marker.
    await vi.waitFor(async () => expect(await cluster.store.getStepExecution(started.id, 'A')).toMatchObject({ status: 'Executing' }), { timeout: 15_000, interval: 50 });

    // Another scheduler takes over while the old one still runs (paused, partitioned): it advances the fence first.
    expect(await cluster.store.advanceFence(fence)).toBe(2);
    writeFileSync(join(markers, 'done'), '');

    // A's result reaches the old leader: the commit that records it and launches B is refused.
    const lost = await Promise.race([old.lost, new Promise((_, reject) => setTimeout(() => reject(new Error('the old leader did not stop')), 15_000))]);
    expect(lost).toEqual({ reason: 'fenced', fence, term: 1 });
    expect(old.scheduler.runtime.drivenExecutionIds).toEqual([]);
    expect(await cluster.store.getStepExecution(started.id, 'A')).toMatchObject({ status: 'Executing' });
    expect(await cluster.store.getStepExecution(started.id, 'B')).toBeUndefined();
    const steps = new Queue(QueueName.Steps, { connection: redisOptionsFromUrl(redisUrl), prefix });
    onTestFinished(() => steps.close());
    expect(await steps.getJob(stepJobId({ executionId: started.id, stepName: 'B', attempt: 1 }))).toBeUndefined();
    expect(runsOf(log)).toEqual([]);

    // The new leader (term 3: it advances the fence itself) takes the unacknowledged result and finishes.
    await cluster.scheduler();
    const final = await cluster.client.waitForExecution(started.id);
    expect(final.status).toBe('Succeeded');
    expect(runsOf(log)).toEqual(['B']);
    expect(await cluster.store.advanceFence(fence)).toBe(4);
  });

  test('leaves a retry request it takes after the takeover to the new leader, which carries it out', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const { cluster, markers, old } = await leadingCluster({ databaseUrl, schema, redisUrl, prefix });
    const started = await cluster.start(definition([hangStep('A', markers)]));
    await vi.waitFor(async () => expect(await cluster.store.getStepExecution(started.id, 'A')).toMatchObject({ status: 'Executing' }), { timeout: 15_000, interval: 50 });
    await cluster.client.stopExecution(started.id);
    const stopped = await cluster.client.waitForExecution(started.id);
    expect(stopped.status).toBe('Stopped');

    // A new leader has advanced the fence, but the old scheduler has not noticed yet: it takes the request.
    await cluster.store.advanceFence(schedulerFenceName(prefix));
    const retrying = cluster.client.retryExecution(started.id);
    expect(await old.lost).toMatchObject({ reason: 'fenced' });

    await cluster.scheduler();
    const retried = await retrying;
    expect(retried.version).toBeGreaterThan(stopped.version);
    writeFileSync(join(markers, 'done'), '');
    expect((await cluster.client.waitForExecution(started.id)).status).toBe('Succeeded');
  });
});

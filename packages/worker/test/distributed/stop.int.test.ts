import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { alive, clusterTest as test, definition, hangStep, makeCluster, recordStep, runsOf } from './harness.js';

describe('stop on the cluster', () => {
  test('stopping an execution stops its running step on the worker (process group killed); the execution ends Stopped', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.scheduler();
    await cluster.worker();
    const markers = join(cluster.workspace, 'markers');
    mkdirSync(markers);
    const log = join(cluster.workspace, 'runs.log');
    const started = await cluster.start(definition([hangStep('Hang', markers), recordStep('After', log, ['Hang'])]));
    const [pid] = await vi.waitFor(() => {
      const starts = runsOf(join(markers, 'starts')).map(Number);
      expect(starts).toHaveLength(1);
      return starts;
    }, { timeout: 20_000, interval: 50 });

    await cluster.client.stopExecution(started.id);
    const final = await cluster.client.waitForExecution(started.id);
    expect(final.status).toBe('Stopped');
    expect(await cluster.store.getStepExecution(started.id, 'Hang')).toMatchObject({ status: 'Stopped' });
    await vi.waitFor(() => expect(alive(pid!)).toBe(false), { timeout: 5_000, interval: 50 });
    expect(runsOf(log)).toEqual([]);
  });

  test('a step still waiting in the queue when its execution is stopped never runs', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.scheduler();
    await cluster.worker({ concurrency: 1 });
    const markers = join(cluster.workspace, 'markers');
    mkdirSync(markers);
    const log = join(cluster.workspace, 'runs.log');
    // One slot, busy with Hang: Waiting stays in the queue.
    const started = await cluster.start(definition([hangStep('Hang', markers), recordStep('Waiting', log)]));
    await vi.waitFor(() => expect(runsOf(join(markers, 'starts'))).toHaveLength(1), { timeout: 20_000, interval: 50 });
    await vi.waitFor(async () => expect((await cluster.store.getStepExecution(started.id, 'Waiting'))?.status).toBe('Starting'), { timeout: 10_000, interval: 20 });

    await cluster.client.stopExecution(started.id);
    const final = await cluster.client.waitForExecution(started.id);
    expect(final.status).toBe('Stopped');
    expect(await cluster.store.getStepExecution(started.id, 'Waiting')).toMatchObject({ status: 'Stopped' });
    expect(runsOf(log)).toEqual([]);
  });
});

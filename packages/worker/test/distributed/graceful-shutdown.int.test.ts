import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { clusterTest as test, definition, hangStep, makeCluster, recordStep, runsOf } from './harness.js';

describe('graceful shutdown', () => {
  test('SIGTERM: the worker takes no new work, hands its running step back, and exits 0; another worker finishes it', { timeout: 60_000 }, async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.scheduler();
    const markers = join(cluster.workspace, 'markers');
    mkdirSync(markers);
    const log = join(cluster.workspace, 'runs.log');
    const first = await cluster.spawnService('worker');
    const started = await cluster.start(definition([hangStep('Hang', markers), recordStep('After', log, ['Hang'])]));
    await vi.waitFor(() => expect(runsOf(join(markers, 'starts'))).toHaveLength(1), { timeout: 20_000, interval: 50 });

    first.kill('SIGTERM');
    const [code] = (await once(first, 'exit')) as [number | null];
    expect(code).toBe(0);
    // Handed back unreported: the attempt is still in flight, not failed.
    expect((await cluster.store.getStepExecution(started.id, 'Hang'))?.status).not.toBe('Failed');

    await cluster.worker();
    await vi.waitFor(() => expect(runsOf(join(markers, 'starts'))).toHaveLength(2), { timeout: 20_000, interval: 50 });
    writeFileSync(join(markers, 'done'), '');
    const final = await cluster.client.waitForExecution(started.id);
    expect(final.status).toBe('Succeeded');
    expect(await cluster.store.getStepExecution(started.id, 'Hang')).toMatchObject({ status: 'Succeeded', attempt: 1 });
    expect(runsOf(log)).toEqual(['After']);
  });
});

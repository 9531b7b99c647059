import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { alive, clusterTest as test, definition, hangStep, makeCluster, recordStep } from './harness.js';

describe('reliability 1: a worker SIGKILLed while a local step runs', () => {
  test('the step process group dies with it, the step runs again on another worker, the execution succeeds', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.scheduler();
    const markers = join(cluster.workspace, 'markers');
    mkdirSync(markers);
    const log = join(cluster.workspace, 'runs.log');
    const first = await cluster.spawnService('worker', { lockDurationMs: 1_000 });
    const started = await cluster.start(definition([hangStep('Hang', markers), recordStep('After', log, ['Hang'])]));

    const starts = () => readFileSync(join(markers, 'starts'), 'utf8').trim().split('\n').map(Number);
    const [pid] = await vi.waitFor(() => starts(), { timeout: 20_000, interval: 50 });
    expect(alive(pid!)).toBe(true);
    first.kill('SIGKILL');
    await vi.waitFor(() => expect(alive(pid!)).toBe(false), { timeout: 5_000, interval: 50 });

    await cluster.spawnService('worker', { lockDurationMs: 1_000 });
    await vi.waitFor(() => expect(starts()).toHaveLength(2), { timeout: 20_000, interval: 50 });
    writeFileSync(join(markers, 'done'), '');
    const final = await cluster.client.waitForExecution(started.id);
    expect(final.status).toBe('Succeeded');
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['After']);
    const hang = await cluster.store.getStepExecution(started.id, 'Hang');
    expect(hang).toMatchObject({ status: 'Succeeded', attempt: 1 });
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { clusterTest as test, definition, hangStep, makeCluster } from './harness.js';

describe('in-process steps on a worker', () => {
  test('a step still running after the report delay is recorded Executing with its handle before it ends', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.scheduler();
    await cluster.worker();
    const markers = join(cluster.workspace, 'markers');
    mkdirSync(markers);
    const started = await cluster.start(definition([hangStep('Hang', markers)]));
    await vi.waitFor(async () => expect(await cluster.store.getStepExecution(started.id, 'Hang')).toMatchObject({ status: 'Executing', handle: expect.objectContaining({ executor: 'local' }) }), { timeout: 15_000, interval: 50 });
    writeFileSync(join(markers, 'done'), '');
    const final = await cluster.client.waitForExecution(started.id);
    expect(final.status).toBe('Succeeded');
    expect(await cluster.store.getStepExecution(started.id, 'Hang')).toMatchObject({ status: 'Succeeded', attempt: 1 });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, onTestFinished } from 'vitest';
import { clusterTest as test, definition, makeCluster, recordStep } from './harness.js';

describe('distributed runtime: happy path', () => {
  test('a diamond pipeline runs through scheduler and workers; every step once, in order', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.scheduler();
    await cluster.worker();
    await cluster.worker();
    const log = join(cluster.workspace, 'runs.log');
    const steps = [recordStep('A', log), recordStep('B', log, ['A']), recordStep('C', log, ['A']), recordStep('D', log, ['B', 'C'])];
    const final = await cluster.run(definition(steps));
    expect(final.status).toBe('Succeeded');
    const runs = readFileSync(log, 'utf8').trim().split('\n');
    expect(runs.sort()).toEqual(['A', 'B', 'C', 'D']);
    const records = await cluster.store.listStepExecutions(final.id);
    expect(records.map((r) => [r.stepName, r.status, r.attempt]).sort()).toEqual([
      ['A', 'Succeeded', 1],
      ['B', 'Succeeded', 1],
      ['C', 'Succeeded', 1],
      ['D', 'Succeeded', 1],
    ]);
    expect(final.runtime).toBe('distributed');
  });
});

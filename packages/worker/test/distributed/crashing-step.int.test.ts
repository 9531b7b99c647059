import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, onTestFinished } from 'vitest';
import { CRASH_ARN, clusterTest as test, definition, makeCluster, recordStep, runsOf } from './harness.js';

describe('reliability 6: a step that crashes its worker every time', () => {
  test('ends Failed after its delivery budget with a clear reason; other executions keep running', { timeout: 120_000 }, async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    let stopped = false;
    onTestFinished(() => {
      stopped = true;
      return cluster.close();
    });
    await cluster.scheduler();
    // A supervisor, as in production: a worker that dies is replaced. One slot per worker, so a crash
    // charges a delivery to the crashing step only (every job of a dead worker counts as lost).
    const supervise = async (): Promise<ChildProcess> => {
      const child = await cluster.spawnService('worker', { lockDurationMs: 1_000, maxDeliveries: 2, concurrency: 1 });
      child.once('exit', () => void (stopped || supervise().catch(() => undefined)));
      return child;
    };
    await supervise();
    await supervise();

    const crashLog = join(cluster.workspace, 'crash.log');
    const okLog = join(cluster.workspace, 'ok.log');
    const crashing = await cluster.start(definition([{ Name: 'Crash', Type: 'Lambda', FunctionArn: CRASH_ARN, Arguments: { log: crashLog, name: 'Crash' } }, recordStep('Never', okLog, ['Crash'])]), 'crashing');
    const healthy = await Promise.all([1, 2, 3].map((i) => cluster.start(definition([recordStep(`H${i}a`, okLog), recordStep(`H${i}b`, okLog, [`H${i}a`])]), `healthy-${i}`)));

    for (const h of healthy) {
      const done = await cluster.client.waitForExecution(h.id);
      expect(done.status, JSON.stringify(await cluster.store.listStepExecutions(h.id))).toBe('Succeeded');
    }
    const final = await cluster.client.waitForExecution(crashing.id);
    expect(final.status).toBe('Failed');
    const step = await cluster.store.getStepExecution(crashing.id, 'Crash');
    expect(step?.status).toBe('Failed');
    expect(step?.failureReason).toMatch(/lost its worker 2 times/);
    expect(runsOf(crashLog)).toHaveLength(2);
    expect(runsOf(okLog)).not.toContain('Never');
    expect(runsOf(okLog)).toHaveLength(6);
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { clusterTest as test, definition, hangStep, makeCluster, recordStep, runsOf } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

/** How long Redis stays unreachable (the scenario's duration, not a synchronisation wait). */
const OUTAGE_MS = 10_000;

describe('reliability 4: Redis unreachable for 10 seconds mid-execution', () => {
  test('services reconnect, the execution finishes, nothing is lost', { timeout: 90_000 }, async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const proxy = await TcpProxy.start(redisUrl);
    onTestFinished(() => proxy.close());
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl: proxy.url, prefix });
    onTestFinished(() => cluster.close());
    await cluster.scheduler();
    await cluster.worker();
    const markers = join(cluster.workspace, 'markers');
    mkdirSync(markers);
    const log = join(cluster.workspace, 'runs.log');
    const fanOut = ['X1', 'X2', 'X3'].map((n) => recordStep(n, log, ['B']));
    const started = await cluster.start(definition([recordStep('A', log), hangStep('B', markers, ['A']), ...fanOut, recordStep('Z', log, ['X1', 'X2', 'X3'])]));
    await vi.waitFor(() => expect(runsOf(join(markers, 'starts'))).toHaveLength(1), { timeout: 20_000, interval: 50 });

    proxy.sever();
    // B finishes while Redis is away: its result must wait for the reconnect, not vanish.
    writeFileSync(join(markers, 'done'), '');
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    proxy.restore();

    const final = await cluster.client.waitForExecution(started.id);
    expect(final.status).toBe('Succeeded');
    expect(runsOf(log).sort()).toEqual(['A', 'X1', 'X2', 'X3', 'Z']);
    const records = await cluster.store.listStepExecutions(started.id);
    expect(records.map((r) => [r.stepName, r.status, r.attempt]).sort()).toEqual(
      ['A', 'B', 'X1', 'X2', 'X3', 'Z'].map((n) => [n, 'Succeeded', 1]),
    );
  });
});

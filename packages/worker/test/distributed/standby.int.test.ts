import { once } from 'node:events';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { leaderLockKey } from '../../src/leader.js';
import { redisOptionsFromUrl } from '../../src/redis.js';
import { clusterTest as test, definition, makeCluster, recordStep, runsOf } from './harness.js';

describe('a standby scheduler on the same queue prefix', () => {
  test('waits while the leader drives, takes over when the leader is SIGKILLed, and the execution finishes with every step run once', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.worker();
    const leader = await cluster.spawnService('scheduler', { reconcileIntervalMs: 500, leaderTtlMs: 2_000 }, { CAIRN_TEST_CRASH_AFTER: 'A' });
    const redis = new Redis(redisOptionsFromUrl(redisUrl));
    onTestFinished(() => redis.disconnect());
    const leaderOwner = await redis.get(leaderLockKey(prefix));
    expect(leaderOwner).toContain(`:${leader.pid}:`);

    // The standby starts while the leader holds the lock: it does not drive until the leader is gone.
    let standbyLeads = false;
    const standby = cluster.scheduler({ leaderTtlMs: 2_000 }).then((s) => ((standbyLeads = true), s));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(standbyLeads).toBe(false);

    const log = join(cluster.workspace, 'runs.log');
    const pipeline = [recordStep('A', log), recordStep('B', log, ['A']), recordStep('C', log, ['B'])];
    const started = await cluster.start(definition(pipeline));
    // The leader dies right after A's success is committed.
    await once(leader, 'exit');
    await standby;
    await vi.waitFor(async () => expect(await redis.get(leaderLockKey(prefix))).not.toBe(leaderOwner), { timeout: 10_000 });
    const final = await cluster.client.waitForExecution(started.id);
    expect(final.status).toBe('Succeeded');
    expect(runsOf(log)).toEqual(['A', 'B', 'C']);
  });

  test('a standby stopped while it waits gives up without ever driving', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.scheduler();
    const abort = new AbortController();
    const standby = cluster.scheduler({ signal: abort.signal });
    setTimeout(() => abort.abort(new Error('SIGTERM')), 300);
    await expect(standby).rejects.toThrow('SIGTERM');
  });
});

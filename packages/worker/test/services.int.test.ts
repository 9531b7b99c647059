import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { MemoryStore } from '@cairn/core';
import { resolveCairnConfig } from '@cairn/steps';
import { leaderLockKey } from '../src/leader.js';
import { redisOptionsFromUrl } from '../src/redis.js';
import { ResultReader } from '../src/result-stream.js';
import { startWorkerService } from '../src/services.js';
import { StepWorker } from '../src/step-worker.js';
import { clusterTest as test, makeCluster } from './distributed/harness.js';

/** A pino logger whose messages a test can read. */
function captured() {
  const messages: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void messages.push((JSON.parse(s) as { msg: string }).msg) });
  return { logger, messages };
}

/** Makes the next `close` of a BullMQ worker (the scheduler's control worker) fail after closing it. */
function failNextWorkerClose(): void {
  const close = Worker.prototype.close;
  const spy = vi.spyOn(Worker.prototype, 'close').mockImplementationOnce(async function (this: Worker, force?: boolean) {
    await close.call(this, force);
    throw new Error('control worker close failed');
  });
  onTestFinished(() => spy.mockRestore());
}

describe('startWorkerService', () => {
  test('that cannot start (unreachable Redis) leaves no client reconnecting, so the process can exit', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'cairn-services-'));
    onTestFinished(() => rmSync(workspace, { recursive: true, force: true }));
    const { logger, messages } = captured();
    const settings = { connection: redisOptionsFromUrl('redis://127.0.0.1:1'), prefix: 'unreachable', store: new MemoryStore(), config: resolveCairnConfig({ workspace }, workspace), logger };
    await expect(startWorkerService(settings)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const after = messages.length;
    // A client left open retries within 100 ms, 200 ms, 400 ms…, logging a connection error each time.
    await new Promise((r) => setTimeout(r, 700));
    expect(messages.slice(after).filter((m) => /Redis connection error/.test(m))).toEqual([]);
  });
});

describe('a running worker service', () => {
  test('whose step worker fails to close still disconnects its own Redis clients, so the process can exit', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    const service = await startWorkerService(cluster.settings);
    const disconnect = vi.spyOn(Redis.prototype, 'disconnect');
    onTestFinished(() => disconnect.mockRestore());
    const close = StepWorker.prototype.close;
    let disconnectsBeforeFailure = 0;
    const failing = vi.spyOn(StepWorker.prototype, 'close').mockImplementationOnce(async function (this: StepWorker, graceMs?: number) {
      await close.call(this, graceMs);
      disconnectsBeforeFailure = disconnect.mock.calls.length;
      throw new Error('step worker close failed');
    });
    onTestFinished(() => failing.mockRestore());
    await expect(service.close(100)).rejects.toThrow('step worker close failed');
    // The callback publisher and the event stream's client.
    expect(disconnect.mock.calls.length - disconnectsBeforeFailure).toBeGreaterThanOrEqual(2);
  });
});

describe('SchedulerService.close', () => {
  test('releases the leader lock and closes the rest when one part fails to close, then reports the failure', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    const redis = new Redis(redisOptionsFromUrl(redisUrl));
    onTestFinished(() => redis.disconnect());
    const { scheduler } = await cluster.scheduler();
    expect(await redis.get(leaderLockKey(prefix))).not.toBeNull();

    failNextWorkerClose();
    await expect(scheduler.close()).rejects.toThrow('control worker close failed');
    expect(await redis.get(leaderLockKey(prefix))).toBeNull();
  });

  test('a scheduler that fails to start closes what it opened and releases the lock', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    const redis = new Redis(redisOptionsFromUrl(redisUrl));
    onTestFinished(() => redis.disconnect());
    const start = vi.spyOn(ResultReader.prototype, 'start').mockRejectedValueOnce(new Error('results stream unusable'));
    onTestFinished(() => start.mockRestore());
    const closeQueue = vi.spyOn(Queue.prototype, 'close');
    onTestFinished(() => closeQueue.mockRestore());
    await expect(cluster.scheduler()).rejects.toThrow('results stream unusable');
    expect(closeQueue).toHaveBeenCalled();
    expect(await redis.get(leaderLockKey(prefix))).toBeNull();
  });

  test('after a lost leader lock, a part that fails to close is logged, not an unhandled rejection', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    onTestFinished(() => void process.off('unhandledRejection', onUnhandled));
    const { logger, messages } = captured();
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix }, { logger });
    onTestFinished(() => cluster.close());
    const redis = new Redis(redisOptionsFromUrl(redisUrl));
    onTestFinished(() => redis.disconnect());
    const { scheduler } = await cluster.scheduler({ leaderTtlMs: 1_500 });

    failNextWorkerClose();
    // Another scheduler takes the lock: this one's next renewal finds it.
    await redis.set(leaderLockKey(prefix), 'another-scheduler', 'PX', 10_000);
    expect(await scheduler.lost).toMatchObject({ reason: 'taken', holder: 'another-scheduler' });
    await vi.waitFor(() => expect(messages).toContain('scheduler could not close cleanly after losing its leader lock'), { timeout: 5_000 });
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  });
});

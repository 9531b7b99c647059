import { Worker } from 'bullmq';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { ErrorCode, MemoryStore, OrchestratorError, createExecutorRouter, type RuntimeEvent } from '@cairn/core';
import { makeExecutionRecord } from '@cairn/core/testing';
import { redisTest as test } from '@cairn/test-support';
import { ClusterClient } from '../src/cluster-client.js';
import { QueueName } from '../src/queues.js';
import { redisOptionsFromUrl } from '../src/redis.js';

/** Asks a client to retry an execution in `status` while a stand-in scheduler refuses every retry with `refuse`; resolves what the client threw. */
async function refusedRetry(redisUrl: string, prefix: string, status: 'Failed' | 'Stopped', refuse: (executionId: string) => never) {
  const connection = redisOptionsFromUrl(redisUrl);
  const store = new MemoryStore();
  const record = makeExecutionRecord({ runtime: 'distributed', status });
  await store.createExecution(record);
  const scheduler = new Worker(QueueName.Control, async () => refuse(record.id), { connection, prefix });
  onTestFinished(() => scheduler.close());
  const client = new ClusterClient({ connection, prefix, store, router: createExecutorRouter([]), arnPrefix: 'arn:aws:sagemaker:us-east-1:123456789012' });
  onTestFinished(() => client.close());
  const refused = await client.retryExecution(record.id).catch((err: unknown) => err);
  return { refused, record };
}

/** A store whose step reads wait for `release` and then fail like a destroyed connection pool once `destroy` was called. */
class SlowStore extends MemoryStore {
  destroyed = false;
  reads = 0;
  release: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  override async listStepExecutions(executionId: string): ReturnType<MemoryStore['listStepExecutions']> {
    this.reads += 1;
    await this.gate;
    if (this.destroyed) throw new Error('driver has already been destroyed');
    return super.listStepExecutions(executionId);
  }
}

describe('ClusterClient', () => {
  test('close waits for the progress read under way, so closing the store next leaves no failing read behind', async ({ redisUrl, prefix }) => {
    const store = new SlowStore();
    const record = makeExecutionRecord({ runtime: 'distributed' });
    await store.createExecution(record);
    const client = new ClusterClient({ connection: redisOptionsFromUrl(redisUrl), prefix, store, router: createExecutorRouter([]), arnPrefix: 'arn:aws:sagemaker:us-east-1:123456789012', pollIntervalMs: 5 });
    const events: RuntimeEvent[] = [];
    client.on((event) => events.push(event));
    expect(await client.resumeExecution(record.id)).toBe(true);
    await vi.waitFor(() => expect(store.reads).toBeGreaterThan(0), { timeout: 5_000, interval: 5 });
    // Periodic reads do not pile up behind a slow one.
    await new Promise((r) => setTimeout(r, 50));
    expect(store.reads).toBe(1);

    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    onTestFinished(() => void process.off('unhandledRejection', onUnhandled));
    let closed = false;
    const closing = client.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    store.release();
    await closing;
    store.destroyed = true;
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
    expect(store.reads).toBe(1);
  });

  test('a refused retry is thrown with the scheduler\'s reason and one "To fix:" sentence', async ({ redisUrl, prefix }) => {
    const { refused, record } = await refusedRetry(redisUrl, prefix, 'Failed', (id) => {
      throw new OrchestratorError(ErrorCode.ExecutionNotRetryable, `Execution ${id} ended at a Fail step.`, { fix: 'start a new execution.' });
    });
    expect(refused).toMatchObject({ code: ErrorCode.ExecutionNotRetryable });
    expect((refused as Error).message).toBe(`Execution ${record.id} ended at a Fail step. To fix: start a new execution.`);
  });

  test('a refusal without a fix of its own gets one, after a full stop', async ({ redisUrl, prefix }) => {
    const { refused } = await refusedRetry(redisUrl, prefix, 'Stopped', () => {
      throw new Error('connection terminated unexpectedly');
    });
    expect((refused as Error).message).toBe("connection terminated unexpectedly. To fix: read the scheduler's log for the cause, correct it, then retry.");
  });
});

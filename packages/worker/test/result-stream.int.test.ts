import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, onTestFinished, vi } from 'vitest';
import type { ExecutionRecord, JobState } from '@cairn/core';
import { redisTest as test } from '@cairn/test-support';
import { RESULT_STREAM_GROUP, resultStreamKey, type ResultJob } from '../src/queues.js';
import { redisOptionsFromUrl } from '../src/redis.js';
import { ResultReader, ResultWriter, appendResult, type ResultReaderOptions } from '../src/result-stream.js';

const succeeded = (executionId: string, stepName: string): ResultJob => ({ executionId, stepName, attempt: 1, state: { state: 'succeeded', properties: {} } });

/** A reader over `prefix` whose reporter records what it is given; `accept` decides each answer. */
function harness(redisUrl: string, prefix: string, overrides: Partial<ResultReaderOptions> = {}) {
  const connection = redisOptionsFromUrl(redisUrl);
  const redis = new Redis(connection);
  const applied: { executionId: string; stepName: string; state: JobState['state'] }[] = [];
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => void (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()) });
  const state = { accept: (_r: ResultJob): Promise<boolean> | boolean => true, driven: ['e1'], execution: undefined as ExecutionRecord | undefined };
  const readers: ResultReader[] = [];
  const open = async (extra: Partial<ResultReaderOptions> = {}) => {
    const reader = new ResultReader({
      connection,
      prefix,
      report: async (executionId, stepName, attempt, jobState) => {
        applied.push({ executionId, stepName, state: jobState.state });
        return state.accept({ executionId, stepName, attempt, state: jobState });
      },
      drivenExecutionIds: () => state.driven,
      store: { getExecution: async () => state.execution },
      logger: pino({ level: 'debug' }, sink),
      blockMs: 200,
      ...overrides,
      ...extra,
    });
    readers.push(reader);
    await reader.start();
    return reader;
  };
  const key = resultStreamKey(prefix);
  onTestFinished(async () => {
    for (const reader of readers) await reader.close();
    await redis.del(key);
    redis.disconnect();
  });
  /** Entries still in the stream and entries read but not acknowledged. */
  const backlog = async () => ({ length: await redis.xlen(key), pending: await pendingCount(redis, key) });
  return { redis, key, applied, lines, state, open, backlog };
}

async function pendingCount(redis: Redis, key: string): Promise<number> {
  const summary = (await redis.xpending(key, RESULT_STREAM_GROUP).catch(() => [0])) as [number, ...unknown[]];
  return summary[0];
}

describe('ResultReader (results stream)', () => {
  test('applies results in stream order, then acknowledges and deletes them', async ({ redisUrl, prefix }) => {
    const h = harness(redisUrl, prefix);
    // Added before the scheduler's group exists: still read (the group starts at id 0).
    await appendResult(h.redis, prefix, { executionId: 'e1', stepName: 'A', attempt: 1, state: { state: 'running', handle: { job: 'a' } } });
    await appendResult(h.redis, prefix, succeeded('e1', 'A'));
    await h.open();
    await appendResult(h.redis, prefix, succeeded('e1', 'B'));
    await vi.waitFor(async () => expect(await h.backlog()).toEqual({ length: 0, pending: 0 }), { timeout: 5_000, interval: 20 });
    expect(h.applied).toEqual([
      { executionId: 'e1', stepName: 'A', state: 'running' },
      { executionId: 'e1', stepName: 'A', state: 'succeeded' },
      { executionId: 'e1', stepName: 'B', state: 'succeeded' },
    ]);
  });

  test('after a scheduler crash, its read but unacknowledged entries are applied again first', async ({ redisUrl, prefix }) => {
    const h = harness(redisUrl, prefix);
    // A scheduler that read two entries and died before acknowledging them.
    await h.redis.xgroup('CREATE', h.key, RESULT_STREAM_GROUP, '0', 'MKSTREAM');
    await appendResult(h.redis, prefix, succeeded('e1', 'A'));
    await appendResult(h.redis, prefix, succeeded('e1', 'B'));
    await h.redis.xreadgroup('GROUP', RESULT_STREAM_GROUP, RESULT_STREAM_GROUP, 'COUNT', 10, 'STREAMS', h.key, '>');
    expect(await h.backlog()).toEqual({ length: 2, pending: 2 });

    await h.open();
    await vi.waitFor(async () => expect(await h.backlog()).toEqual({ length: 0, pending: 0 }), { timeout: 5_000, interval: 20 });
    expect(h.applied.map((a) => a.stepName)).toEqual(['A', 'B']);
  });

  test('a flushed Redis (NOGROUP) gets its group back and results added since are applied', async ({ redisUrl, prefix }) => {
    const h = harness(redisUrl, prefix);
    await h.open();
    await appendResult(h.redis, prefix, succeeded('e1', 'A'));
    await vi.waitFor(() => expect(h.applied).toHaveLength(1), { timeout: 5_000, interval: 20 });

    await h.redis.del(h.key); // the stream and its group are gone
    await appendResult(h.redis, prefix, succeeded('e1', 'B')); // a new stream without the group
    await vi.waitFor(async () => expect(await h.backlog()).toEqual({ length: 0, pending: 0 }), { timeout: 5_000, interval: 20 });
    expect(h.applied.map((a) => a.stepName)).toEqual(['A', 'B']);
    expect(h.lines.some((l) => String(l['msg']).includes('group is gone'))).toBe(true);
  });

  test('malformed entries are logged and acknowledged, not retried; the next ones are applied', async ({ redisUrl, prefix }) => {
    const h = harness(redisUrl, prefix, { retryPendingMs: 50 });
    await h.open();
    await h.redis.xadd(h.key, '*', 'result', '{not json');
    await h.redis.xadd(h.key, '*', 'result', JSON.stringify({ ...succeeded('e1', 'A'), attempt: 0 }));
    await h.redis.xadd(h.key, '*', 'other', 'x');
    await appendResult(h.redis, prefix, succeeded('e1', 'B'));
    await vi.waitFor(async () => expect(await h.backlog()).toEqual({ length: 0, pending: 0 }), { timeout: 5_000, interval: 20 });
    expect(h.applied.map((a) => a.stepName)).toEqual(['B']);
    const dropped = h.lines.filter((l) => String(l['msg']).startsWith('malformed results stream entry dropped'));
    expect(dropped.map((l) => l['reason'])).toEqual([expect.stringMatching(/not JSON/), expect.stringMatching(/attempt/), 'no "result" field']);
  });

  test('the results a worker reports in one turn travel as one entry, each written before its append resolves, and are applied in order', async ({ redisUrl, prefix }) => {
    const h = harness(redisUrl, prefix);
    const writer = new ResultWriter(h.redis, prefix);
    const written = [writer.append(succeeded('e1', 'A')), writer.append(succeeded('e1', 'B')), writer.append(succeeded('e1', 'C'))];
    expect(await h.redis.xlen(h.key)).toBe(0);
    await Promise.all(written);
    expect(await h.redis.xlen(h.key)).toBe(1);
    await writer.append(succeeded('e1', 'D'));
    expect(await h.redis.xlen(h.key)).toBe(2);
    await h.open();
    await vi.waitFor(async () => expect(await h.backlog()).toEqual({ length: 0, pending: 0 }), { timeout: 5_000, interval: 20 });
    expect(h.applied.map((a) => a.stepName)).toEqual(['A', 'B', 'C', 'D']);
  });

  test('a malformed result among several of one entry is logged and dropped; the others are applied', async ({ redisUrl, prefix }) => {
    const h = harness(redisUrl, prefix);
    await h.open();
    await h.redis.xadd(h.key, '*', 'result', JSON.stringify([succeeded('e1', 'A'), { ...succeeded('e1', 'B'), attempt: 0 }, succeeded('e1', 'C')]));
    await vi.waitFor(async () => expect(await h.backlog()).toEqual({ length: 0, pending: 0 }), { timeout: 5_000, interval: 20 });
    expect(h.applied.map((a) => a.stepName)).toEqual(['A', 'C']);
    const dropped = h.lines.filter((l) => String(l['msg']).startsWith('malformed results stream entry dropped'));
    expect(dropped.map((l) => l['reason'])).toEqual([expect.stringMatching(/^result 1: .*attempt/s)]);
  });

  test('a result of an active execution not driven here stays pending until it is; one of an ended execution is dropped', async ({ redisUrl, prefix }) => {
    const h = harness(redisUrl, prefix, { retryPendingMs: 100 });
    h.state.driven = [];
    h.state.accept = (r) => h.state.driven.includes(r.executionId);
    h.state.execution = { status: 'Executing' } as ExecutionRecord;
    await h.open();
    await appendResult(h.redis, prefix, succeeded('e2', 'A'));
    await vi.waitFor(() => expect(h.applied.length).toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 20 }); // read again after retryPendingMs
    expect(await h.backlog()).toEqual({ length: 1, pending: 1 });

    h.state.driven = ['e2']; // the reconciler took the execution over
    await vi.waitFor(async () => expect(await h.backlog()).toEqual({ length: 0, pending: 0 }), { timeout: 5_000, interval: 20 });

    h.state.driven = [];
    h.state.execution = { status: 'Succeeded' } as ExecutionRecord;
    await appendResult(h.redis, prefix, succeeded('e3', 'A'));
    await vi.waitFor(async () => expect(await h.backlog()).toEqual({ length: 0, pending: 0 }), { timeout: 5_000, interval: 20 });
    expect(h.applied.at(-1)).toEqual({ executionId: 'e3', stepName: 'A', state: 'succeeded' });
  });

  test('a result whose commit does not come in time stays pending and is applied again', async ({ redisUrl, prefix }) => {
    const h = harness(redisUrl, prefix, { applyTimeoutMs: 100, retryPendingMs: 50 });
    let calls = 0;
    h.state.accept = () => (++calls === 1 ? new Promise<boolean>(() => undefined) : true); // the first commit never comes
    await h.open();
    await appendResult(h.redis, prefix, succeeded('e1', 'A'));
    await vi.waitFor(async () => expect(await h.backlog()).toEqual({ length: 0, pending: 0 }), { timeout: 5_000, interval: 20 });
    expect(h.applied.map((a) => a.stepName)).toEqual(['A', 'A']);
  });

  test('a result whose execution is dropped while it waits for its commit (rejected, not recorded) stays pending without holding up the next ones', async ({ redisUrl, prefix }) => {
    const h = harness(redisUrl, prefix, { retryPendingMs: 100 });
    h.state.execution = { status: 'Executing' } as ExecutionRecord;
    h.state.driven = ['e1', 'e2'];
    let abandoned = false;
    h.state.accept = (r) => {
      if (!h.state.driven.includes(r.executionId)) return false; // as the coordinator does for an execution it does not drive
      if (r.stepName !== 'A' || abandoned) return true;
      abandoned = true;
      h.state.driven = ['e2']; // the coordinator drops e1 (its commit failed) and resolves false: nothing was recorded
      return false;
    };
    await h.open();
    await appendResult(h.redis, prefix, succeeded('e1', 'A'));
    await vi.waitFor(() => expect(h.lines.some((l) => String(l['msg']).includes('not driven here yet stays pending'))).toBe(true), { timeout: 5_000, interval: 20 });
    await appendResult(h.redis, prefix, succeeded('e2', 'B'));
    await vi.waitFor(() => expect(h.applied.map((a) => a.stepName)).toContain('B'), { timeout: 5_000, interval: 20 });
    // Read again and kept: e1 is active but not driven.
    await vi.waitFor(() => expect(h.applied.filter((a) => a.stepName === 'A').length).toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 20 });
    expect(await h.backlog()).toEqual({ length: 1, pending: 1 });

    h.state.driven = ['e1', 'e2']; // taken over again by the reconciler
    await vi.waitFor(async () => expect(await h.backlog()).toEqual({ length: 0, pending: 0 }), { timeout: 5_000, interval: 20 });
    expect(h.lines.some((l) => String(l['msg']).includes('not driven here yet stays pending'))).toBe(true);
  });

  test('close ends a blocking read at once', async ({ redisUrl, prefix }) => {
    const h = harness(redisUrl, prefix, { blockMs: 60_000 });
    const reader = await h.open();
    await new Promise((r) => setTimeout(r, 50)); // blocked in XREADGROUP now
    const t0 = Date.now();
    await reader.close();
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});

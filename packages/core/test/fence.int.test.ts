import { postgresTest as test } from '@cairn/test-support';
import pg from 'pg';
import { describe, expect, onTestFinished } from 'vitest';
import { ErrorCode, PostgresStore } from '../src/index.js';
import { makeExecutionRecord, makeStepRecord } from '../src/testing/index.js';

/** A store and a second, raw connection to the same schema (to hold locks the way a concurrent transaction would). */
async function setup(databaseUrl: string, schema: string) {
  const store = await PostgresStore.open({ connectionString: databaseUrl, schema });
  onTestFinished(() => store.close());
  const raw = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
  await raw.connect();
  onTestFinished(() => raw.end());
  const record = makeExecutionRecord();
  await store.createExecution(record);
  return { store, raw, executionId: record.id };
}

/** Whether `promise` is still pending after `ms`. */
async function pendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const marker = Symbol('pending');
  const winner = await Promise.race([promise.then(() => undefined, () => undefined), new Promise((r) => setTimeout(() => r(marker), ms))]);
  return winner === marker;
}

describe('PostgreSQL fences under concurrency', () => {
  test('a fenced commit that waits behind an advance in progress sees the new term and writes nothing', async ({ databaseUrl, schema }) => {
    const { store, raw, executionId } = await setup(databaseUrl, schema);
    const term = await store.advanceFence('f');
    // Another scheduler's advance, not yet committed.
    await raw.query('begin');
    await raw.query("update fences set term = term + 1 where name = 'f'");
    const commit = store.commit({ steps: [makeStepRecord(executionId, 'A')], fence: { name: 'f', term } });
    const settled = commit.then(() => 'applied', (err: { code?: string }) => err.code);
    const waited = await pendingAfter(commit, 300);
    await raw.query('commit');
    expect(waited).toBe(true);
    expect(await settled).toBe(ErrorCode.Fenced);
    expect(await store.getStepExecution(executionId, 'A')).toBeUndefined();
  });

  test('an advance waits for a fenced commit in flight (which holds the fence row), then returns the next term', async ({ databaseUrl, schema }) => {
    const { store, raw } = await setup(databaseUrl, schema);
    await store.advanceFence('f');
    // What a fenced commit's statement holds until its transaction ends.
    await raw.query('begin');
    await raw.query("select term from fences where name = 'f' for share");
    const advance = store.advanceFence('f');
    const waited = await pendingAfter(advance, 300);
    await raw.query('commit');
    expect(waited).toBe(true);
    expect(await advance).toBe(2);
  });
});

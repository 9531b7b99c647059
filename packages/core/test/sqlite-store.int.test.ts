import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, SqliteStore } from '../src/index.js';
import { makeExecutionRecord, makeStepRecord, testExecutionId } from '../src/testing/index.js';

const run = promisify(execFile);
const WRITER = join(import.meta.dirname, 'sqlite-writer.fixture.ts');

describe('SqliteStore on one file shared by several openers', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cairn-sqlite-shared-'));
    path = join(dir, 'cairn.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('sees the other instance’s writes and rejects its stale compare-and-set', async () => {
    // One process, two connections: open one after the other (a synchronous busy wait in one
    // process would block the event loop the other opener needs; across processes it is fine).
    const a = await SqliteStore.open({ path });
    const b = await SqliteStore.open({ path });
    try {
      const execution = makeExecutionRecord();
      await a.createExecution(execution);
      await a.commit({ steps: [makeStepRecord(execution.id, 'A')] });
      expect(await b.getStepExecution(execution.id, 'A')).toMatchObject({ version: 1 });
      await b.commit({ steps: [makeStepRecord(execution.id, 'A', { version: 2, status: 'Executing' })] });
      await expect(a.commit({ steps: [makeStepRecord(execution.id, 'A', { version: 2, status: 'Failed' })] })).rejects.toMatchObject({
        code: ErrorCode.StoreConflict,
      });
      expect(await a.getStepExecution(execution.id, 'A')).toMatchObject({ version: 2, status: 'Executing' });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('stays consistent with two processes opening a fresh file and writing at once', async () => {
    const executionId = testExecutionId();
    const iterations = 50;
    const writers = [1, 2].map(() => run(process.execPath, ['--conditions=@cairn/source', '--import', 'tsx', WRITER, path, executionId, String(iterations)]));
    const outputs = await Promise.all(writers);
    expect(outputs.map((o) => JSON.parse(o.stdout) as { conflicts: number })).toHaveLength(2);

    const after = await SqliteStore.open({ path });
    try {
      expect(await after.getStepExecution(executionId, 'Counter')).toMatchObject({ version: 1 + 2 * iterations, attempt: 1 + 2 * iterations });
      const versions = (await after.listModelPackages({ groupName: 'Shared' })).map((p) => p.version);
      expect(versions).toEqual(Array.from({ length: 2 * iterations }, (_, i) => 2 * iterations - i));
    } finally {
      await after.close();
    }
  });
});

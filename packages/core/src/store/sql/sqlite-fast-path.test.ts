import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../errors.js';
import { makeExecutionRecord, makeStepRecord } from '../../testing/fixtures.js';
import { SqliteStore } from '../sqlite-store.js';
import { SqliteCommitPath } from './sqlite-fast-path.js';

describe('SqliteCommitPath', () => {
  let dir: string;
  let store: SqliteStore;
  let sqlite: Database.Database;
  let path: SqliteCommitPath;
  const execution = makeExecutionRecord();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cairn-fast-path-'));
    store = await SqliteStore.open({ path: join(dir, 'cairn.db') });
    await store.createExecution(execution);
    sqlite = new Database(join(dir, 'cairn.db'));
    path = new SqliteCommitPath(sqlite);
  });
  afterEach(async () => {
    sqlite.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('declines while another transaction is open on its connection, and commits after', async () => {
    sqlite.exec('begin');
    expect(path.tryCommit({ steps: [makeStepRecord(execution.id, 'A')] })).toBe(false);
    sqlite.exec('commit');
    expect(await store.getStepExecution(execution.id, 'A')).toBeUndefined();
    expect(path.tryCommit({ steps: [makeStepRecord(execution.id, 'A')] })).toBe(true);
    expect(await store.getStepExecution(execution.id, 'A')).toMatchObject({ version: 1 });
  });

  it('writes a step listed twice in a batch at the stored version + 2', async () => {
    path.tryCommit({ steps: [makeStepRecord(execution.id, 'A')] });
    path.tryCommit({
      steps: [makeStepRecord(execution.id, 'A', { version: 2, status: 'Executing' }), makeStepRecord(execution.id, 'A', { version: 3, status: 'Succeeded' })],
    });
    expect(await store.getStepExecution(execution.id, 'A')).toMatchObject({ version: 3, status: 'Succeeded' });
  });

  it('rolls back the steps written before a conflict in the same batch', async () => {
    path.tryCommit({ steps: [makeStepRecord(execution.id, 'A')] });
    const stale = () => path.tryCommit({ steps: [makeStepRecord(execution.id, 'B'), makeStepRecord(execution.id, 'A', { version: 3 })] });
    expect(stale).toThrow(expect.objectContaining({ code: ErrorCode.StoreConflict, message: expect.stringMatching(/at version 1, so version 3/) }));
    expect(await store.getStepExecution(execution.id, 'B')).toBeUndefined();
    expect(sqlite.inTransaction).toBe(false);
  });
});

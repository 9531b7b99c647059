import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSchema, dropSchema, startPostgres } from '@cairn/test-support';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { PostgresStore, SqliteStore, type CairnStore } from '../src/index.js';
import { cairnMigrations, type SqlDialectName } from '../src/store/sql/migrations.js';
import { executionRows, stepToRow } from '../src/store/sql/rows.js';
import type { CairnDatabase } from '../src/store/sql/schema.js';
import { makeExecutionRecord, makeStepRecord } from '../src/testing/fixtures.js';

/** Migrations before the cache entries (what a database made by the previous release holds). */
const BEFORE_CACHE_ENTRIES = ['0001_initial', '0002_event_outbox'];

let databaseUrl = '';
let stopPostgres: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ url: databaseUrl, stop: stopPostgres } = await startPostgres());
});
afterAll(async () => stopPostgres());

/** A database of the previous release, and how to open the current store on it. */
interface OldDatabase {
  db: Kysely<CairnDatabase>;
  open(): Promise<CairnStore>;
}

async function oldDatabase(dialect: SqlDialectName): Promise<OldDatabase> {
  let db: Kysely<CairnDatabase>;
  let open: () => Promise<CairnStore>;
  let schema: string | undefined;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-cache-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'cairn.db');
    const sqlite = new Database(path);
    db = new Kysely<CairnDatabase>({ dialect: new SqliteDialect({ database: sqlite }) });
    open = () => SqliteStore.open({ path });
  } else {
    schema = await createSchema(databaseUrl);
    onTestFinished(() => dropSchema(databaseUrl, schema!));
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, options: `-c search_path=${schema}` });
    db = new Kysely<CairnDatabase>({ dialect: new PostgresDialect({ pool }) });
    open = () => PostgresStore.open({ connectionString: databaseUrl, schema: schema! });
  }
  onTestFinished(() => db.destroy());
  const all = cairnMigrations(dialect);
  const migrations = Object.fromEntries(BEFORE_CACHE_ENTRIES.map((name) => [name, all[name]!]));
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
  if (dialect === 'sqlite') await sql`pragma user_version = ${sql.raw(String(BEFORE_CACHE_ENTRIES.length))}`.execute(db);
  return {
    db,
    open: async () => {
      const store = await open();
      onTestFinished(() => store.close());
      return store;
    },
  };
}

async function openStore(dialect: SqlDialectName): Promise<CairnStore> {
  return (await oldDatabase(dialect)).open();
}

describe.each(['sqlite', 'postgres'] as const)('step cache entries (%s)', (dialect) => {
  it('finds the cache hits of a database migrated from the previous release', async () => {
    const old = await oldDatabase(dialect);
    const runs = [
      { status: 'Succeeded', endTime: 100, cacheKey: 'k' },
      { status: 'Succeeded', endTime: 300, cacheKey: 'k' },
      { status: 'Failed', endTime: 400, cacheKey: 'k' },
      { status: 'Succeeded', endTime: 500, cacheKey: undefined },
      { status: 'Executing', endTime: undefined, cacheKey: 'k' },
    ] as const;
    const ids: string[] = [];
    for (const run of runs) {
      const execution = makeExecutionRecord();
      ids.push(execution.id);
      await old.db.insertInto('executions').values(executionRows.toRow(execution) as CairnDatabase['executions']).execute();
      const step = makeStepRecord(execution.id, 'Train', {
        status: run.status,
        ...(run.endTime !== undefined ? { endTime: run.endTime } : {}),
        ...(run.cacheKey !== undefined ? { cacheKey: run.cacheKey } : {}),
        properties: { n: run.endTime ?? 0 },
      });
      await old.db.insertInto('step_executions').values(stepToRow(step)).execute();
    }

    const store = await old.open();
    const hit = await store.findCacheHit({ pipelineName: 'p', stepName: 'Train', cacheKey: 'k', notBefore: 0 });
    expect(hit).toMatchObject({ executionId: ids[1], properties: { n: 300 }, endTime: 300 });
    expect(await store.findCacheHit({ pipelineName: 'p', stepName: 'Train', cacheKey: 'k', notBefore: 301 })).toBeUndefined();
    // The migration dropped the index that kept step updates from being HOT in PostgreSQL.
    const indexes = await old.db.introspection.getTables();
    expect(indexes.map((t) => t.name)).toContain('step_cache_entries');
  });

  it('finds a step that succeeds in its second write, and only while its row still says so', async () => {
    const store = await openStore(dialect);
    const execution = makeExecutionRecord();
    await store.createExecution(execution);
    const starting = makeStepRecord(execution.id, 'Train', { cacheKey: 'k' });
    await store.commit({ steps: [starting] });
    const lookup = { pipelineName: 'p', stepName: 'Train', cacheKey: 'k', notBefore: 0 };
    expect(await store.findCacheHit(lookup)).toBeUndefined();

    const succeeded = { ...starting, status: 'Succeeded' as const, endTime: 200, version: 2, properties: { n: 2 } };
    await store.commit({ steps: [succeeded] });
    expect(await store.findCacheHit(lookup)).toMatchObject({ executionId: execution.id, endTime: 200, properties: { n: 2 } });

    // Written again as another attempt (its end time kept): its entry stays but no longer counts.
    const retried = { ...succeeded, status: 'Starting' as const, attempt: 2, version: 3, properties: {} };
    await store.commit({ steps: [retried] });
    expect(await store.findCacheHit(lookup)).toBeUndefined();

    // Succeeded again, later, and with another key in the same batch as a second step.
    const again = { ...retried, status: 'Succeeded' as const, endTime: 900, version: 4, properties: { n: 4 } };
    const other = makeStepRecord(execution.id, 'Other', { status: 'Succeeded', endTime: 950, cacheKey: 'k2' });
    await store.commit({ steps: [again, other] });
    expect(await store.findCacheHit(lookup)).toMatchObject({ endTime: 900, properties: { n: 4 } });
    expect(await store.findCacheHit({ ...lookup, notBefore: 901 })).toBeUndefined();
    expect(await store.findCacheHit({ ...lookup, stepName: 'Other', cacheKey: 'k2' })).toMatchObject({ endTime: 950 });
    expect(await store.findCacheHit({ ...lookup, pipelineName: 'q' })).toBeUndefined();
  });

  it('writes no cache entry when the batch fails', async () => {
    const store = await openStore(dialect);
    const execution = makeExecutionRecord();
    await store.createExecution(execution);
    const cached = makeStepRecord(execution.id, 'Train', { status: 'Succeeded', endTime: 100, cacheKey: 'k' });
    const stale = makeStepRecord(execution.id, 'Missing', { version: 5 });
    await expect(store.commit({ steps: [cached, stale] })).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
    expect(await store.findCacheHit({ pipelineName: 'p', stepName: 'Train', cacheKey: 'k', notBefore: 0 })).toBeUndefined();
  });
});

describe('step_executions in PostgreSQL', () => {
  it('leaves room on each page for updates (fillfactor) after the migration', async () => {
    const old = await oldDatabase('postgres');
    await old.open();
    const { rows } = await sql<{ reloptions: string[] | null }>`select reloptions from pg_class where oid = 'step_executions'::regclass`.execute(old.db);
    expect(rows[0]?.reloptions).toEqual(['fillfactor=40']);
    const indexes = await sql<{ indexname: string }>`select indexname from pg_indexes where schemaname = current_schema() and tablename = 'step_executions'`.execute(old.db);
    expect(indexes.rows.map((r) => r.indexname)).toEqual(['step_executions_pk']);
  });
});

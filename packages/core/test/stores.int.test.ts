import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSchema, dropSchema, startPostgres } from '@cairn/test-support';
import { afterAll, beforeAll } from 'vitest';
import { MemoryStore, PostgresStore, SqliteStore } from '../src/index.js';
import { describeStoreContract } from '../src/testing/index.js';

describeStoreContract('memory', async () => ({ store: new MemoryStore(), cleanup: async () => {} }));

describeStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-sqlite-'));
  const store = await SqliteStore.open({ path: join(dir, 'cairn.db') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

let databaseUrl = '';
let stopPostgres: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ url: databaseUrl, stop: stopPostgres } = await startPostgres());
});
afterAll(async () => stopPostgres());

describeStoreContract('postgres', async () => {
  const schema = await createSchema(databaseUrl);
  const store = await PostgresStore.open({ connectionString: databaseUrl, schema });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dropSchema(databaseUrl, schema);
    },
  };
});

import { test } from 'vitest';
import { startPostgres, createSchema, dropSchema } from './postgres-server.js';

/**
 * Vitest fixture: `databaseUrl` (one server per worker) and `schema`, a fresh schema per test that
 * is dropped afterwards.
 */
export const postgresTest = test
  // eslint-disable-next-line no-empty-pattern
  .extend('databaseUrl', { scope: 'worker' }, async ({}, { onCleanup }) => {
    const server = await startPostgres();
    onCleanup(server.stop);
    return server.url;
  })
  .extend('schema', async ({ databaseUrl }, { onCleanup }) => {
    const schema = await createSchema(databaseUrl);
    onCleanup(() => dropSchema(databaseUrl, schema));
    return schema;
  });

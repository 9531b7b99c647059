import { test } from 'vitest';
import { startPostgres, createSchema, dropSchema } from './postgres-server.js';

/**
 * Vitest fixture: `databaseUrl` (one server per worker) and `schema`, a fresh schema per test that
 * is dropped afterwards: after the test's own `onTestFinished` callbacks, which close the stores and
 * services using it (vitest runs a fixture's `onCleanup` before them, so the drop is an
 * `onTestFinished` callback registered before the test body: they run last registered first).
 */
export const postgresTest = test
  // eslint-disable-next-line no-empty-pattern
  .extend('databaseUrl', { scope: 'worker' }, async ({}, { onCleanup }) => {
    const server = await startPostgres();
    onCleanup(server.stop);
    return server.url;
  })
  .extend('schema', async ({ databaseUrl, onTestFinished }) => {
    const schema = await createSchema(databaseUrl);
    onTestFinished(() => dropSchema(databaseUrl, schema));
    return schema;
  });

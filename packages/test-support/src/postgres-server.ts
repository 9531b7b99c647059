import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** Used when `DATABASE_URL` is not set and Docker is not available (the local services of this repository). */
export const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** A unique, valid PostgreSQL schema name: `t_<uuid without dashes>`. */
export function uniqueSchemaName(): string {
  return `t_${randomUUID().replaceAll('-', '')}`;
}

/** Creates a schema named by `uniqueSchemaName()` and returns its name. */
export async function createSchema(databaseUrl: string, schema = uniqueSchemaName()): Promise<string> {
  await withClient(databaseUrl, (client) => client.query(`create schema if not exists "${schema}"`));
  return schema;
}

/** Drops a schema and everything in it. */
export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  await withClient(databaseUrl, (client) => client.query(`drop schema if exists "${schema}" cascade`));
}

async function withClient<T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The PostgreSQL URL for tests: `DATABASE_URL` when set, else a testcontainer when Docker is
 * available, else `LOCAL_DATABASE_URL`. Returns a stop function for a started container.
 */
export async function startPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env['DATABASE_URL']) return { url: process.env['DATABASE_URL'], stop: async () => {} };
  const container = await startContainer();
  if (!container) return { url: LOCAL_DATABASE_URL, stop: async () => {} };
  return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
}

async function startContainer() {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined; // no Docker engine: fall back to the local server
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  return new PostgreSqlContainer('postgres:16-alpine').start();
}

import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PostgresStore } from './postgres-store.js';

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('PostgresStore.open', () => {
  it('names where the connection string came from when the server cannot be reached', async () => {
    const connectionString = `postgres://nobody@127.0.0.1:${await closedPort()}/cairn`;
    const fromFlag = await PostgresStore.open({ connectionString, source: '--database' }).catch((err: unknown) => err);
    expect(fromFlag).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((fromFlag as Error).message).toMatch(/^Cannot open the PostgreSQL store: .*ECONNREFUSED.*\. To fix: check --database \(host, port, user, database\) and that the server is running\.$/);
    const unnamed = await PostgresStore.open({ connectionString }).catch((err: unknown) => err);
    expect((unnamed as Error).message).toContain('To fix: check the connection string (host, port');
    expect((unnamed as Error).message).not.toContain('DATABASE_URL');
  });
});

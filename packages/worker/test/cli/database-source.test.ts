import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { cli, writeTestConfig } from './harness.js';

/** A PostgreSQL URL on a port nothing listens on. */
async function unreachableDatabase(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `postgres://nobody@127.0.0.1:${port}/cairn`;
}

describe('an unreachable PostgreSQL store', () => {
  it('is blamed on --database or DATABASE_URL, whichever gave the URL', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cairn-cli-db-source-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const config = path.join(dir, 'cairn.config.json');
    await writeTestConfig(config, dir);
    const url = await unreachableDatabase();

    const fromFlag = await cli(['--config', config, '--database', url, 'executions', 'list'], dir);
    expect(fromFlag.code).not.toBe(0);
    expect(fromFlag.stderr).toContain('To fix: check --database (host, port, user, database)');

    // With --redis and no --database, the cluster's store comes from DATABASE_URL (Redis is not reached by a listing).
    vi.stubEnv('DATABASE_URL', url);
    onTestFinished(() => void vi.unstubAllEnvs());
    const fromEnv = await cli(['--config', config, '--redis', 'redis://127.0.0.1:1', 'executions', 'list'], dir);
    expect(fromEnv.code).not.toBe(0);
    expect(fromEnv.stderr).toContain('To fix: check DATABASE_URL (host, port, user, database)');
  });
});

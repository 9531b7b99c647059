import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { assertNoEviction, redisOptionsFromUrl } from '../src/redis.js';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

describe('assertNoEviction', () => {
  it('refuses a Redis whose maxmemory-policy may evict jobs, saying how to fix it', async () => {
    const port = await freePort();
    // A private server: the shared one must keep its configuration.
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => void server.kill('SIGKILL'));
    for await (const chunk of server.stdout) if (String(chunk).includes('Ready to accept connections')) break;
    const error = await assertNoEviction(redisOptionsFromUrl(`redis://127.0.0.1:${port}`)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as Error).message).toMatch(/maxmemory-policy "allkeys-lru".*To fix: run `redis-cli CONFIG SET maxmemory-policy noeviction`.*redis\.conf/);
  });

  it('accepts noeviction and reports an unreachable Redis clearly', async () => {
    await expect(assertNoEviction(redisOptionsFromUrl(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'))).resolves.toBeUndefined();
    const port = await freePort();
    await expect(assertNoEviction(redisOptionsFromUrl(`redis://127.0.0.1:${port}`))).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/Cannot reach Redis.*To fix/) });
  });

  it('quotes a Redis error that ends with a full stop without adding a second one', async () => {
    // Answers every command (CLIENT SETINFO, INFO; no ready check) with an error whose text ends in ".".
    const reply = (chunk: Buffer): string => '-ERR this server is read-only today.\r\n'.repeat(String(chunk).match(/(^|\n)\*\d+\r\n/g)?.length ?? 1);
    const server = createServer((socket) => socket.on('data', (chunk: Buffer) => socket.write(reply(chunk)))).listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(() => void server.close());
    const { port } = server.address() as { port: number };
    const error = await assertNoEviction({ host: '127.0.0.1', port, enableReadyCheck: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as Error).message).toMatch(/^Cannot reach Redis at 127\.0\.0\.1:\d+: .*\. To fix: check --redis/);
    expect((error as Error).message).not.toContain('..');
  });
});

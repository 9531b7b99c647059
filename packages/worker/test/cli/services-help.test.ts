import { describe, expect, it } from 'vitest';
import { cli } from './harness.js';

describe('cairn scheduler|worker|serve --help', () => {
  it.each(['scheduler', 'worker', 'serve'])('`%s --help` shows the connection flags, the environment and what a second signal does', async (kind) => {
    const { code, stdout } = await cli([kind, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Global Options:[\s\S]*--redis <url>[\s\S]*DATABASE_URL/);
    expect(stdout).toMatch(/--database <url>/);
    expect(stdout).toMatch(/1 {4}.*a second SIGTERM or SIGINT: exited at once/);
    expect(stdout).toContain('CAIRN_QUEUE_PREFIX');
  });
});

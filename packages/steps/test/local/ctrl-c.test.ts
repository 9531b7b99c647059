import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { alive, FIXTURES } from './harness.js';

describe('process groups on Ctrl-C', () => {
  it('SIGINT to the Cairn process kills the step process group, then the process exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-ctrlc-'));
    const parent = spawn(process.execPath, ['--conditions=@cairn/source', '--import', 'tsx', join(FIXTURES, 'run-tree.ts'), dir], { stdio: 'ignore' });
    const pids = await vi.waitFor(() => JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) as { child: number; grandchild: number }, { timeout: 10_000, interval: 25 });
    expect(alive(pids.grandchild)).toBe(true);
    const exited = once(parent, 'exit');
    parent.kill('SIGINT');
    const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    expect(signal).toBe('SIGINT');
    // Generous: on a loaded machine the killed processes can take a while to go (and to be reaped).
    await vi.waitFor(() => expect(alive(pids.grandchild) || alive(pids.child)).toBe(false), { timeout: 5_000, interval: 20 });
  });
});

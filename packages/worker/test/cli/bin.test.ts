import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixture } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/cairn.js', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const FIXTURES = fixture('');

/** Spawns a command and resolves with its exit code and output (never rejects on a non-zero exit). */
function spawn(file: string, args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // Drop pnpm's script variables inherited from the test runner, so only the spawned command's own apply.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && k !== 'INIT_CWD'));
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the cairn executable', () => {
  it('loads a TypeScript pipeline without a build step', async () => {
    const { code, stdout } = await spawn(process.execPath, [BIN, 'validate', 'pipeline.ts'], FIXTURES);
    expect(stdout).toBe('✓ cli-fixture: 4 steps, 2 parameters, 4 edges\n');
    expect(code).toBe(0);
  });

  it('sets the process exit code', async () => {
    expect((await spawn(process.execPath, [BIN, 'validate', 'invalid.json'], FIXTURES)).code).toBe(1);
  });

  it('runs as `pnpm cairn` from the repository root with paths relative to where pnpm was called', async () => {
    const { code, stdout } = await spawn('pnpm', ['--dir', REPO_ROOT, '--silent', 'cairn', 'validate', 'definition.json'], FIXTURES);
    expect(stdout).toBe('✓ definition: 4 steps, 2 parameters, 4 edges\n');
    expect(code).toBe(0);
  });
});

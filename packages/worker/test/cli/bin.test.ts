import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { childEnv, runCairnToEnd } from './built-cli-support.js';
import { fixture } from './harness.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const FIXTURES = fixture('');

/** Runs `pnpm <args>` and resolves with its exit code and output (never rejects on a non-zero exit). */
function pnpm(args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('pnpm', args, { cwd, env: childEnv() }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the cairn executable', () => {
  it('loads a TypeScript pipeline without a build step', async () => {
    const { code, stdout } = await runCairnToEnd(['validate', 'pipeline.ts'], { cwd: FIXTURES });
    expect(stdout).toBe('✓ cli-fixture: 4 steps, 2 parameters, 4 edges\n');
    expect(code).toBe(0);
  });

  it('sets the process exit code', async () => {
    expect((await runCairnToEnd(['validate', 'invalid.json'], { cwd: FIXTURES })).code).toBe(1);
  });

  it('runs as `pnpm cairn` from the repository root with paths relative to where pnpm was called', async () => {
    const { code, stdout } = await pnpm(['--dir', REPO_ROOT, '--silent', 'cairn', 'validate', 'definition.json'], FIXTURES);
    expect(stdout).toBe('✓ definition: 4 steps, 2 parameters, 4 edges\n');
    expect(code).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import type { RecordedRun } from '@cairn/test-support/module-loads';
import { DIST_MAIN, STATE, describeBuilt, runCairn, type CairnFrom } from './built-cli-support.js';
import { fixture } from './harness.js';

/**
 * The `cairn` executable from the build (dist/) on plain Node: no tsx, no TypeScript source, no AWS
 * SDK unless something needs them. Needs a current `pnpm build` (see built-cli-support.ts).
 */

const FIXTURES = fixture('');

/** Runs `cairn <args>` in the fixtures directory, recording the modules it loads. */
const cairn = (args: readonly string[], from: CairnFrom): Promise<RecordedRun> => runCairn(args, { from, cwd: FIXTURES });

const tsx = (run: RecordedRun) => run.loaded.filter((url) => url.includes('/node_modules/tsx/') || url.includes('/tsx@'));
const aws = (run: RecordedRun) => run.loaded.filter((url) => /@aws-sdk|@smithy/.test(url));
const typeScript = (run: RecordedRun) => run.loaded.filter((url) => /\.[cm]?ts$/.test(url));
const cairnSources = (run: RecordedRun) => run.loaded.filter((url) => /\/packages\/(core|dsl|steps|worker)\/src\//.test(url));

describeBuilt('the built cairn CLI', () => {
  it('is there and current (pnpm build)', () => {
    expect(STATE, 'dist/ is missing or older than the sources: run `pnpm build`').toBe('built');
  });

  it('prints its help from dist/ without tsx, TypeScript or the AWS SDK', async () => {
    const run = await cairn(['--help'], 'dist');
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Usage: cairn');
    expect(run.code).toBe(0);
    expect(run.loaded).toContain(DIST_MAIN);
    expect({ tsx: tsx(run), typeScript: typeScript(run), aws: aws(run) }).toEqual({ tsx: [], typeScript: [], aws: [] });
  });

  it('validates a JSON definition from dist/ without tsx, TypeScript or the AWS SDK', async () => {
    const run = await cairn(['validate', 'definition.json'], 'dist');
    expect(run.stdout).toBe('✓ definition: 4 steps, 2 parameters, 4 edges\n');
    expect(run.code).toBe(0);
    expect({ tsx: tsx(run), typeScript: typeScript(run), aws: aws(run) }).toEqual({ tsx: [], typeScript: [], aws: [] });
  });

  it('loads tsx on demand for a TypeScript pipeline, whose @cairn/* imports resolve to dist/ too', async () => {
    const run = await cairn(['validate', 'pipeline.ts'], 'dist');
    expect(run.stdout).toBe('✓ cli-fixture: 4 steps, 2 parameters, 4 edges\n');
    expect(run.code).toBe(0);
    expect(tsx(run)).not.toEqual([]);
    expect(typeScript(run)).toEqual([new URL('./fixtures/pipeline.ts', import.meta.url).href]);
    expect(cairnSources(run)).toEqual([]);
  });

  it('is what `cairn` runs when no source changed since the build', async () => {
    const run = await cairn(['validate', 'definition.json'], 'auto');
    expect(run.code).toBe(0);
    expect(run.loaded).toContain(DIST_MAIN);
    expect(cairnSources(run)).toEqual([]);
  });
});

describe('cairn from its sources (CAIRN_CLI_FROM=source, or no current build)', () => {
  it('runs the TypeScript sources of every @cairn package through tsx', async () => {
    const run = await cairn(['validate', 'definition.json'], 'source');
    expect(run.stdout).toBe('✓ definition: 4 steps, 2 parameters, 4 edges\n');
    expect(run.code).toBe(0);
    expect(tsx(run)).not.toEqual([]);
    for (const pkg of ['core', 'worker']) expect(cairnSources(run).some((url) => url.includes(`/packages/${pkg}/src/`))).toBe(true);
    expect(run.loaded.filter((url) => /\/packages\/\w+\/dist\//.test(url))).toEqual([]);
  });

  it('rejects an unknown CAIRN_CLI_FROM', async () => {
    const run = await runCairn(['--version'], { env: { CAIRN_CLI_FROM: 'build' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('CAIRN_CLI_FROM is "build"');
  });
});

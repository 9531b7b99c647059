import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, type SuiteAPI } from 'vitest';
import { runRecordingLoads, type RecordedRun } from '@cairn/test-support/module-loads';
import { buildState } from '../../bin/build-state.js';

/**
 * What the tests of the `cairn` executable (bin/cairn.js, which runs dist/ when it is current)
 * share: where it is, whether the build is current, a runner that records the modules it loads,
 * and a plain spawn of it with its output collected.
 * Those tests need a current `pnpm build`; `pnpm test:all` builds first and sets
 * CAIRN_TEST_BUILT_CLI=1, which makes a missing or stale build a failure instead of a skip.
 */

/** Path of the `cairn` executable. */
export const BIN = fileURLToPath(new URL('../../bin/cairn.js', import.meta.url));

/** URL of the built CLI's entry module: a run from dist/ loads it. */
export const DIST_MAIN = new URL('../../dist/cli/main.js', import.meta.url).href;

/** Whether dist/ is current, read once when the test file loads. */
export const STATE = buildState();

/** Set by `pnpm test:all`: a missing or stale build fails the built-CLI tests instead of skipping them. */
const REQUIRED = process.env['CAIRN_TEST_BUILT_CLI'] === '1';

/** `describe` for tests that need the build: skipped when dist/ is missing or stale, unless required. */
export const describeBuilt: ReturnType<SuiteAPI['skipIf']> = describe.skipIf(STATE !== 'built' && !REQUIRED);

/** Where `cairn` runs from: `CAIRN_CLI_FROM=dist` or `source`, or `auto` (unset: dist/ when current). */
export type CairnFrom = 'dist' | 'source' | 'auto';

/** Options of {@link runCairn}: `cwd` and `until` are `runRecordingLoads`' own. */
export type RunCairnOptions = Pick<NonNullable<Parameters<typeof runRecordingLoads>[1]>, 'cwd' | 'until'> & {
  /** Sets CAIRN_CLI_FROM (an inherited value is dropped first); `auto` (the default) leaves it unset. */
  from?: CairnFrom;
  /** Variables added to the test runner's environment. */
  env?: NodeJS.ProcessEnv;
};

/** Runs `cairn <args>` on Node, recording the modules it loads (see `runRecordingLoads`). */
export function runCairn(args: readonly string[], options: RunCairnOptions = {}): Promise<RecordedRun> {
  const { from = 'auto', env: extra, ...rest } = options;
  const { CAIRN_CLI_FROM: _, ...inherited } = process.env;
  const env = { ...inherited, ...(from === 'auto' ? {} : { CAIRN_CLI_FROM: from }), ...extra };
  return runRecordingLoads([BIN, ...args], { ...rest, env });
}

/** Options of {@link spawnCairn}. */
export interface SpawnCairnOptions {
  /** Working directory of the command. @defaultValue the test runner's */
  cwd?: string;
  /** Variables added to the test runner's environment. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The test runner's environment without pnpm's script variables (`npm_*`, `INIT_CWD`), which
 * would make a spawned `cairn` behave as if `pnpm cairn` had started it.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && k !== 'INIT_CWD'));
  return { ...inherited, ...extra };
}

/** Starts `node bin/cairn.js <args>` (dist/ when current, else the sources) with piped output. */
export function spawnCairn(args: readonly string[], options: SpawnCairnOptions = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { ...(options.cwd ? { cwd: options.cwd } : {}), env: childEnv(options.env), stdio: 'pipe' });
}

/** What a finished command printed, and its exit code (`null` when a signal ended it, see `signal`). */
export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Collects a child's output from now on and resolves when it exits (never rejects on a non-zero exit). */
export async function outputOf(child: ChildProcessWithoutNullStreams): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout, stderr };
}

/** Runs `cairn <args>` to its end: {@link spawnCairn} then {@link outputOf}. */
export function runCairnToEnd(args: readonly string[], options: SpawnCairnOptions = {}): Promise<CommandResult> {
  return outputOf(spawnCairn(args, options));
}

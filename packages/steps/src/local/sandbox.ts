import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, OrchestratorError } from '@cairn/core';

/** The container's `/opt/ml`, as SageMaker mounts it. */
export const OPT_ML = '/opt/ml';

/** One job's private directory tree; `/opt/ml` of the container is `optMl` here. */
export interface Sandbox {
  readonly root: string;
  readonly optMl: string;
  readonly logDir: string;
  /** The job's temporary directory (`TMPDIR`), so nothing is written outside the workspace. */
  readonly tmpDir: string;
}

/** Where an attempt of a step runs: `<workspace>/executions/<executionId>/<stepName>/attempt-<n>`. */
export function attemptDir(workspace: string, ids: { executionId: string; stepName: string; attempt: number }): string {
  return join(workspace, 'executions', ids.executionId, ids.stepName, `attempt-${ids.attempt}`);
}

/** Creates an empty sandbox at `root` (a leftover of an earlier start of the same job is removed). */
export async function createSandbox(root: string): Promise<Sandbox> {
  await rm(root, { recursive: true, force: true });
  const sandbox = { root, optMl: join(root, 'opt', 'ml'), logDir: join(root, 'logs'), tmpDir: join(root, 'tmp') };
  await Promise.all([sandbox.optMl, sandbox.logDir, sandbox.tmpDir].map((dir) => mkdir(dir, { recursive: true })));
  return sandbox;
}

/** Rewrites a value that starts with `/opt/ml` into the sandbox; other values are returned as they are. */
export function relocate(sandbox: Sandbox, value: string): string {
  return value === OPT_ML || value.startsWith(`${OPT_ML}/`) ? sandbox.optMl + value.slice(OPT_ML.length) : value;
}

/** The sandbox path of a container path that must lie under `/opt/ml` (e.g. a processing `LocalPath`). */
export function containerPath(sandbox: Sandbox, path: string, what: string): string {
  const relocated = relocate(sandbox, path);
  if (relocated === path) {
    throw new OrchestratorError(ErrorCode.DefinitionInvalid, `${what} "${path}" is not under ${OPT_ML}.`, {
      fix: `use a path under ${OPT_ML}/ (SageMaker requires it, e.g. /opt/ml/processing/input).`,
    });
  }
  return relocated;
}

/**
 * Environment every container sees: the host's PATH, HOME and LANG, `CAIRN_OPT_ML_ROOT`, and a
 * temporary directory inside the sandbox.
 */
export function baseEnvironment(sandbox: Sandbox): Record<string, string> {
  const env: Record<string, string> = {
    CAIRN_OPT_ML_ROOT: sandbox.optMl,
    TMPDIR: sandbox.tmpDir,
    TMP: sandbox.tmpDir,
    TEMP: sandbox.tmpDir,
  };
  for (const key of ['PATH', 'HOME', 'LANG']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** Relocates every value of an environment map. */
export function relocateEnvironment(sandbox: Sandbox, env: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, relocate(sandbox, v)]));
}

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { ExecutionContext, JobState, JsonObject, Step, StepExecutor, StepType } from '@cairn/core';
import { MemoryStore, systemClock } from '@cairn/core';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store.js';
import { resolveCairnConfig, type CairnConfig, type ResolvedCairnConfig } from '../../src/config.js';
import { localExecutor } from '../../src/local/local-executor.js';

/** Absolute path of the fixtures directory (mounted as s3://fixtures/code). */
export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
/** The image every test maps to the node runtime. */
export const NODE_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/cairn-node:20';

/** A throw-away workspace with a node image, the fixtures mounted and a silent logger. */
export function makeHarness(extra: CairnConfig = {}, options: { killGraceMs?: number; seed?: number; lambdaTimeoutMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-local-'));
  const config: ResolvedCairnConfig = resolveCairnConfig(
    {
      images: { [NODE_IMAGE]: { runtime: 'node' } },
      artifacts: { mounts: { 's3://fixtures/code': FIXTURES } },
      lambdas: { 'arn:aws:lambda:us-east-1:123456789012:function:notify': `${FIXTURES}/handlers/notify.ts#handler` },
      ...extra,
    },
    dir,
  );
  const artifacts = new LocalArtifactStore({ root: config.artifactsRoot, mounts: config.mounts });
  const executor = localExecutor({ config, artifacts, killGraceMs: options.killGraceMs ?? 500, ...options });
  const registry = new MemoryStore();
  const controller = new AbortController();
  let attempt = 0;
  const ctx = (stepName: string, stepType: StepType): ExecutionContext => ({
    executionId: 'exec12345678',
    executionArn: `${config.arnPrefix}:pipeline/p/execution/exec12345678`,
    pipelineName: 'p',
    stepName,
    stepType,
    attempt: ++attempt,
    signal: controller.signal,
    logger: pino({ level: 'silent' }),
    clock: systemClock,
    artifacts,
    registry,
  });
  /** Starts a step and waits for it; returns the handle too. */
  async function run(step: Step, args: JsonObject, jobName = `job-${step.Name}`.toLowerCase(), stepFields?: JsonObject) {
    const c = ctx(step.Name, step.Type);
    const handle = await executor.start({ step, arguments: args, jobName, ...(stepFields ? { stepFields } : {}) }, c);
    const state = await (executor.wait as NonNullable<StepExecutor['wait']>)(handle, c);
    return { state, handle, ctx: c };
  }
  return { dir, config, artifacts, executor, registry, run, ctx };
}

/** The properties of a succeeded state (fails the test otherwise). */
export function succeeded(state: JobState): JsonObject {
  if (state.state !== 'succeeded') throw new Error(`expected success, got ${JSON.stringify(state)}`);
  return state.properties;
}

/** A step object for tests (the executor reads `Type`, `Name` and the resolved arguments). */
export function step(Type: StepType, Name: string, extra: JsonObject = {}): Step {
  return { Name, Type, Arguments: {}, ...extra } as unknown as Step;
}

/**
 * Whether a process still runs: it exists (signal 0) and, where /proc tells, is not a zombie. A
 * killed child whose parent exited stays a zombie until PID 1 reaps it, which can take seconds on
 * a loaded machine; it no longer runs.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (!existsSync('/proc')) return true;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false; // gone meanwhile
  }
}

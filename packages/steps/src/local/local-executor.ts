import { createHash } from 'node:crypto';
import type { ExecutionContext, ExecutionHandle, JobState, StepExecutor, StepRequest, StepType } from '@cairn/core';
import { ErrorCode, OrchestratorError, toSerializedError } from '@cairn/core';
import type { JobArtifactStore } from '../artifacts/job-artifact-store.js';
import { LocalArtifactStore } from '../artifacts/local-artifact-store.js';
import type { ResolvedCairnConfig } from '../config.js';
import type { JobRunner, LocalJob } from './job.js';
import { LAMBDA_TIMEOUT_MS, runLambda } from './lambda.js';
import { runModelStep, runRegisterModelStep } from './model.js';
import { runProcessingJob } from './processing.js';
import { attemptDir } from './sandbox.js';
import { runTrainingStep } from './training.js';
import { runTransformJob } from './transform.js';
import { runTuningJob } from './tuning.js';

/** Options of {@link localExecutor}. */
export interface LocalExecutorOptions {
  /** The resolved `cairn.config.json` (workspace, images, mounts, lambdas, ARN prefix). */
  config: ResolvedCairnConfig;
  /** Artifact store for `s3://` URIs (an S3ArtifactStore makes them real S3). @defaultValue a LocalArtifactStore over the config's artifacts root and mounts */
  artifacts?: JobArtifactStore;
  /** Time between SIGTERM and SIGKILL when a process group is stopped, in milliseconds. @defaultValue 2_000 */
  killGraceMs?: number;
  /** Seed of the tuning strategies. @defaultValue derived from the tuning job's name */
  seed?: number;
  /** Limit of a Lambda handler's run, in milliseconds. @defaultValue 120_000 */
  lambdaTimeoutMs?: number;
}

const RUNNERS = {
  Processing: runProcessingJob,
  Training: runTrainingStep,
  Tuning: runTuningJob,
  Model: runModelStep,
  RegisterModel: runRegisterModelStep,
  Transform: runTransformJob,
  Lambda: runLambda,
} satisfies Partial<Record<StepType, JobRunner>>;

type LocalStepType = keyof typeof RUNNERS;

interface RunningJob {
  handle: ExecutionHandle;
  controller: AbortController;
  result: Promise<JobState>;
  settled: JobState | undefined;
}

/**
 * The local executor: job-like steps run as host processes under the SageMaker container
 * contract, in a sandbox per attempt; Model and RegisterModel are recorded; Lambda steps call a
 * configured module. Jobs live in this process, so `wait` resolves when they end.
 */
export function localExecutor(options: LocalExecutorOptions): StepExecutor {
  const { config } = options;
  const artifacts = options.artifacts ?? new LocalArtifactStore({ root: config.artifactsRoot, mounts: config.mounts });
  const jobs = new Map<string, RunningJob>();

  const start = async (request: StepRequest, ctx: ExecutionContext): Promise<ExecutionHandle> => {
    const existing = jobs.get(request.jobName);
    if (existing) return existing.handle;
    const runner = RUNNERS[request.step.Type as LocalStepType] as JobRunner | undefined;
    if (!runner) {
      throw new OrchestratorError(ErrorCode.ExecutorMissing, `The local executor does not run ${request.step.Type} steps (step "${ctx.stepName}").`, {
        fix: `route ${request.step.Type} steps to another executor, e.g. "backends": { "steps": { "${ctx.stepName}": "sagemaker" } }.`,
      });
    }
    const root = attemptDir(config.workspace, ctx);
    const controller = new AbortController();
    const job: LocalJob = {
      request,
      ctx,
      signal: AbortSignal.any([controller.signal, ctx.signal]),
      config,
      artifacts,
      root,
      killGraceMs: options.killGraceMs ?? 2_000,
      seed: options.seed ?? seedOf(request.jobName),
      lambdaTimeoutMs: options.lambdaTimeoutMs ?? LAMBDA_TIMEOUT_MS,
    };
    const handle: ExecutionHandle = { executor: 'local', jobName: request.jobName, stepType: request.step.Type, sandbox: root, logDir: `${root}/logs` };
    const running: RunningJob = { handle, controller, settled: undefined, result: Promise.resolve({ state: 'running' }) };
    running.result = runner(job)
      .catch((err: unknown): JobState => ({ state: 'failed', error: toSerializedError(err) }))
      .then((state) => (running.settled = state));
    jobs.set(request.jobName, running);
    ctx.logger.info({ executor: 'local', jobName: request.jobName, sandbox: root }, 'step started');
    return handle;
  };

  const lookup = (handle: ExecutionHandle): RunningJob | undefined => jobs.get(String(handle['jobName']));

  return {
    id: 'local',
    stepTypes: Object.keys(RUNNERS) as StepType[],
    start,
    poll: (handle) => Promise.resolve(lookup(handle)?.settled ?? (lookup(handle) ? { state: 'running' } : lostJob(handle))),
    wait: async (handle) => (await lookup(handle)?.result) ?? lostJob(handle),
    stop: (handle) => {
      lookup(handle)?.controller.abort();
      return Promise.resolve();
    },
    close: async () => {
      for (const job of jobs.values()) job.controller.abort();
      await Promise.all([...jobs.values()].map((j) => j.result));
    },
  };
}

/** A handle whose job is not in this process (it restarted): report it lost, retryably. */
function lostJob(handle: ExecutionHandle): JobState {
  const error = new OrchestratorError(ErrorCode.BackendInternalError, `The local job "${String(handle['jobName'])}" is not running in this process (the process that ran it has exited).`, {
    fix: 'nothing: the step is retried according to its retry policy; its sandbox is kept for inspection.',
  });
  return { state: 'failed', error: toSerializedError(error) };
}

function seedOf(name: string): number {
  return createHash('sha256').update(name).digest().readUInt32BE(0);
}

import { readdir, readFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { create as createTar, extract } from 'tar';
import type { z } from 'zod';
import type { ExecutionContext, JobState, JsonObject, StepRequest } from '@cairn/core';
import { ErrorCode, OrchestratorError, StepFailedError, asSentence, toSerializedError } from '@cairn/core';
import type { JobArtifactStore } from '../artifacts/job-artifact-store.js';
import { resolveImage, type ResolvedCairnConfig } from '../config.js';
import { runProcess, type ProcessOutcome } from './process.js';
import { containerCommand } from './runtime.js';
import { baseEnvironment, relocate, relocateEnvironment, type Sandbox } from './sandbox.js';

/** Everything a local job runner needs: the request, the context and the local machinery. */
export interface LocalJob {
  readonly request: StepRequest;
  readonly ctx: ExecutionContext;
  /** Aborted by `stop` and by the engine's signal. */
  readonly signal: AbortSignal;
  readonly config: ResolvedCairnConfig;
  readonly artifacts: JobArtifactStore;
  /** The attempt's directory (`<workspace>/executions/<id>/<step>/attempt-<n>`). */
  readonly root: string;
  /** SIGTERM → SIGKILL grace, in milliseconds. */
  readonly killGraceMs: number;
  /** Seed of the tuning strategies (deterministic per job name unless set). */
  readonly seed: number;
  /** Limit of a Lambda handler's run, in milliseconds. */
  readonly lambdaTimeoutMs: number;
}

/** Runs one step type locally. */
export type JobRunner = (job: LocalJob) => Promise<JobState>;

/** A SageMaker ARN with the configured prefix; the name is lower-cased as SageMaker does. */
export function resourceArn(job: Pick<LocalJob, 'config'>, kind: string, name: string): string {
  return `${job.config.arnPrefix}:${kind}/${name.toLowerCase()}`;
}

/** Wall-clock time in epoch seconds (SageMaker's wire format for timestamps). */
export function epochSeconds(job: Pick<LocalJob, 'ctx'>): number {
  return job.ctx.clock.now() / 1000;
}

/** Validates the part of `Arguments` a runner reads; other keys are kept. */
export function parseArguments<S extends z.ZodType>(schema: S, job: LocalJob, value: unknown = job.request.arguments): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${['Arguments', ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
  throw new OrchestratorError(ErrorCode.DefinitionInvalid, asSentence(`Step "${job.ctx.stepName}" has arguments the local executor cannot run: ${problems}`), {
    fix: 'correct those fields in the step definition (they follow the matching SageMaker Create* request).',
  });
}

/** What a container run needs beyond the job. */
export interface ContainerSpec {
  sandbox: Sandbox;
  image: string;
  entrypoint: readonly string[] | undefined;
  args: readonly string[];
  /** Environment from the definition (values starting with /opt/ml are relocated). */
  env: Readonly<Record<string, string>> | undefined;
  /** Extra variables set by the executor itself (already relocated). */
  contractEnv?: Readonly<Record<string, string>>;
  cwd: string;
  timeoutSeconds: number | undefined;
  onLine?: (line: string) => void;
  /** Stops the process instead of the job's own signal (servers the executor stops itself). */
  signal?: AbortSignal;
}

/** Runs a container's entrypoint as a host process under the container contract. */
export function runContainer(job: LocalJob, spec: ContainerSpec): Promise<ProcessOutcome> {
  const mapping = resolveImage(job.config, spec.image);
  const relocateAll = (values: readonly string[] | undefined) => values?.map((v) => relocate(spec.sandbox, v));
  const { command, args } = containerCommand(spec.image, mapping, relocateAll(spec.entrypoint), relocateAll(spec.args) ?? []);
  job.ctx.logger.info({ command, args, sandbox: spec.sandbox.root }, 'local container starting');
  const spawnFailed = (cause: unknown): never => {
    throw new OrchestratorError(ErrorCode.ConfigInvalid, asSentence(`Could not start "${command}" for image "${spec.image}": ${(cause as Error).message}`), {
      cause,
      fix: `install that command or correct the entrypoint (AppSpecification/AlgorithmSpecification, or images["${spec.image}"] in cairn.config.json).`,
    });
  };
  return runProcess({
    command,
    args,
    cwd: spec.cwd,
    env: {
      ...baseEnvironment(spec.sandbox),
      ...relocateEnvironment(spec.sandbox, mapping.env),
      ...spec.contractEnv,
      ...relocateEnvironment(spec.sandbox, spec.env),
    },
    logDir: spec.sandbox.logDir,
    signal: spec.signal ?? job.signal,
    ...(spec.timeoutSeconds !== undefined ? { timeoutMs: spec.timeoutSeconds * 1000 } : {}),
    killGraceMs: job.killGraceMs,
    ...(spec.onLine ? { onLine: spec.onLine } : {}),
  }).catch(spawnFailed);
}

/** How a non-successful run ended, in SageMaker's terms. */
export interface RunFailure {
  /** `Failed` or `Stopped` (a stop, or MaxRuntimeInSeconds). */
  status: 'Failed' | 'Stopped';
  /** SageMaker's `FailureReason`. */
  reason: string;
  state: JobState;
}

/**
 * The failure of a container run, or `undefined` when it exited 0. The reason quotes
 * `/opt/ml/output/failure` when the script wrote one, else the tail of stderr.
 */
export async function runFailure(job: LocalJob, sandbox: Sandbox, outcome: ProcessOutcome, maxRuntime: number | undefined): Promise<RunFailure | undefined> {
  const logs = { logDir: sandbox.logDir };
  if (outcome.stopped) return { status: 'Stopped', reason: 'Stopped by the user.', state: { state: 'stopped' } };
  if (outcome.timedOut) {
    const reason = `MaxRuntimeExceeded: the job ran longer than StoppingCondition.MaxRuntimeInSeconds (${maxRuntime} s) and was stopped.`;
    const error = new StepFailedError(job.ctx.stepName, job.ctx.attempt, `${reason} Logs: ${sandbox.logDir}.`, {
      code: ErrorCode.StepTimedOut,
      fix: 'raise MaxRuntimeInSeconds or make the script faster.',
      details: logs,
    });
    return { status: 'Stopped', reason, state: { state: 'failed', error: toSerializedError(error) } };
  }
  if (outcome.exitCode === 0) return undefined;
  const failureFile = await readFile(`${sandbox.optMl}/output/failure`, 'utf8').catch(() => '');
  const detail = (failureFile.trim() || outcome.stderrTail.trim() || '(no output)').slice(-2_048);
  const how = outcome.exitCode === null ? `was killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`;
  const reason = `AlgorithmError: ${detail} (the process ${how})`;
  const error = new StepFailedError(job.ctx.stepName, job.ctx.attempt, `${reason}. Full logs: ${sandbox.logDir}.`, {
    fix: 'read the logs (cairn logs <execution-id> <step>) and correct the script or its inputs.',
    details: logs,
  });
  return { status: 'Failed', reason, state: { state: 'failed', error: toSerializedError(error) } };
}

/** A failed state for a failure found before or after the process (inputs, outputs, config). */
export function failedState(err: unknown, properties?: JsonObject): JobState {
  return { state: 'failed', error: toSerializedError(err), ...(properties ? { properties } : {}) };
}

/** Adds Describe* properties to a failed or stopped state. */
export function withProperties(state: JobState, properties: JsonObject): JobState {
  return state.state === 'failed' || state.state === 'stopped' ? { ...state, properties } : state;
}

/** The submit directory into /opt/ml/code: a `.tar.gz` is extracted, a prefix is linked. */
export async function fetchSubmitDirectory(job: LocalJob, uri: string, codeDir: string): Promise<void> {
  if (!uri.endsWith('.tar.gz')) return job.artifacts.materialize(uri, codeDir);
  await extract({ file: await job.artifacts.localFile(uri, scratchDir(job)), cwd: codeDir }).catch((cause: unknown) => {
    throw new OrchestratorError(ErrorCode.InputUnreadable, `The submit directory "${uri}" could not be extracted.`, {
      cause,
      fix: 'point sagemaker_submit_directory at a gzipped tar of the code or at an s3:// prefix holding it.',
    });
  });
}

/** Where downloads of a job's input objects go (under its attempt directory). */
export function scratchDir(job: Pick<LocalJob, 'root'>): string {
  return join(job.root, 'downloads');
}

/**
 * Packs a directory as SageMaker does (`model.tar.gz`) and stores it as the object `uri`. The
 * archive is built in the container's own sandbox: jobs of one tuning step run in parallel and
 * share the step's scratch directory.
 */
export async function packAndStore(job: LocalJob, sandbox: Pick<Sandbox, 'root'>, dir: string, uri: string): Promise<void> {
  const file = join(sandbox.root, 'packed', uri.split('/').pop() ?? 'archive.tar.gz');
  await packDirectory(dir, file);
  await job.artifacts.putFile(file, uri);
}

/** The error for `S3DataType: ManifestFile`, which local runs do not read yet. */
export function manifestUnsupported(what: string): OrchestratorError {
  return new OrchestratorError(ErrorCode.DefinitionInvalid, `${what} uses S3DataType ManifestFile, which the local executor does not read yet.`, {
    fix: 'use S3DataType "S3Prefix" for local runs, or run this step on the sagemaker backend.',
  });
}

/** Packs the contents of `dir` into a gzipped tar at `file` (SageMaker's model.tar.gz layout). */
export async function packDirectory(dir: string, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const entries = await readdir(dir);
  await createTar({ gzip: true, file, cwd: dir, portable: true }, entries.length > 0 ? entries : ['.']);
}

/** Whether a directory has any entry. */
export async function hasEntries(dir: string): Promise<boolean> {
  return (await readdir(dir).catch(() => [])).length > 0;
}

import type { Logger } from 'pino';
import type { ArtifactStore } from './artifacts.js';
import type { Clock } from './clock.js';
import type { Step, StepType } from './definition/steps.js';
import type { SerializedError } from './errors.js';
import type { JsonObject } from './json.js';
import type { ModelRegistryStore } from './store/registry-store.js';

/**
 * Pluggable step executors. Execution is start / poll / stop around a JSON handle that the store
 * persists, so a long SageMaker job never holds a worker slot; executors whose jobs live in this
 * process (local processes) also implement `wait`, so no polling is needed.
 */

/** Which attempt of which step of which execution: shared by dispatched work and executor contexts. */
export interface StepAttemptIdentity {
  readonly executionId: string;
  readonly executionArn: string;
  readonly pipelineName: string;
  readonly stepName: string;
  readonly stepType: StepType;
  /** 1-based attempt number (SageMaker's `AttemptCount`); results must quote it back. */
  readonly attempt: number;
}

/** What an executor knows about the attempt it runs. */
export interface ExecutionContext extends StepAttemptIdentity {
  /** Aborted when the execution is stopped or the worker shuts down. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Reads `s3://` URIs (property files, inputs). */
  readonly artifacts: ArtifactStore;
  /** The Model Registry, for RegisterModel steps. */
  readonly registry: ModelRegistryStore;
}

/** A step ready to run: its definition, its resolved arguments and the job name to use. */
export interface StepRequest {
  /** The step as defined (expressions unresolved). */
  readonly step: Step;
  /** `Arguments` with every expression resolved to a value. */
  readonly arguments: JsonObject;
  /** Resolved step-level values beside `Arguments` (e.g. `FunctionArn`, `OutputParameters`), if any. */
  readonly stepFields?: JsonObject;
  /**
   * The job (or model) name for this attempt: deterministic per execution, step and attempt, so a
   * retried `start` finds the job it already created. ≤ 63 characters (≤ 32 for tuning jobs).
   */
  readonly jobName: string;
}

/** Executor-owned state of a started job, persisted by the store between polls. */
export type ExecutionHandle = JsonObject;

/** Result of a step attempt as seen by the engine. */
export type JobState =
  | { state: 'running'; handle?: ExecutionHandle }
  | {
      state: 'succeeded';
      /** The Describe* response shape, so `Get Steps.X…` works the same on every backend. */
      properties: JsonObject;
      /** ListPipelineExecutionSteps `Metadata` (e.g. `{TrainingJob: {Arn}}`); derived when absent. */
      metadata?: JsonObject;
    }
  | { state: 'failed'; error: SerializedError; properties?: JsonObject; metadata?: JsonObject }
  | { state: 'stopped'; properties?: JsonObject };

/** One backend that can run some step types. */
export interface StepExecutor {
  /** 'local', 'sagemaker', … */
  readonly id: string;
  /** The step types this executor runs. */
  readonly stepTypes: readonly StepType[];
  /** Creates the job; idempotent for the same `request.jobName`. */
  start(request: StepRequest, ctx: ExecutionContext): Promise<ExecutionHandle>;
  /** Reports the job's state. */
  poll(handle: ExecutionHandle, ctx: ExecutionContext): Promise<JobState>;
  /** Asks the job to stop; the next poll reports `stopped` once it has. */
  stop(handle: ExecutionHandle, ctx: ExecutionContext): Promise<void>;
  /** Resolves when the job reaches a terminal state (in-process jobs only). */
  wait?(handle: ExecutionHandle, ctx: ExecutionContext): Promise<JobState>;
  /** Releases resources (clients, child processes) at shutdown. */
  close?(): Promise<void>;
}

/**
 * Chooses the executor for a step. The default router maps by step type; configuration can send
 * some steps (by name or image) to another backend, so one execution may mix backends.
 */
export interface ExecutorRouter {
  /** The executor for `step`, or `undefined` when none is registered. */
  executorFor(step: Step): StepExecutor | undefined;
  /** All registered executors. */
  readonly executors: readonly StepExecutor[];
}

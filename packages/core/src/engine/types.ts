import type { ExecutionHandle, JobState, StepAttemptIdentity, StepRequest } from '../executor.js';
import type { ExecutionRecord, StepExecutionRecord } from '../store/execution-store.js';

/** One step attempt handed to a dispatcher: everything a runner needs to start or resume it. */
export interface StepWork extends StepAttemptIdentity {
  readonly request: StepRequest;
  /** The handle of an attempt started before a restart: resume it (poll/wait) instead of starting. */
  readonly handle?: ExecutionHandle;
}

/** Identifies a dispatched attempt, for `stop`. */
export interface StepRef {
  readonly executionId: string;
  readonly stepName: string;
  readonly attempt: number;
  readonly handle?: ExecutionHandle;
}

/**
 * Where the coordinator sends steps to run. The embedded runtime runs them in-process; the
 * distributed runtime enqueues a job. Either way results come back through
 * `Coordinator.reportResult(executionId, stepName, attempt, JobState)`.
 */
export interface StepDispatcher {
  /** Starts (or resumes) an attempt; must not throw (report failures as a `failed` result). */
  dispatch(work: StepWork): void;
  /** Asks a dispatched attempt to stop; it reports `stopped` (or a final state) when it has. */
  stop(ref: StepRef): void;
}

/** Reports an attempt's state to the coordinator; resolves `false` when the result was stale. */
export type ResultReporter = (executionId: string, stepName: string, attempt: number, state: JobState) => Promise<boolean>;

/** Hooks called after state is committed; errors are logged and never fail the execution. */
export interface ExecutionObserver {
  /** A step reached a terminal status (`request` is absent for cache hits, conditions and Fail steps). */
  onStepFinished?(execution: ExecutionRecord, step: StepExecutionRecord, request?: StepRequest): void | Promise<void>;
  /** The execution reached a terminal status. */
  onExecutionFinished?(execution: ExecutionRecord): void | Promise<void>;
  /**
   * This process resumed driving an active execution (after a restart or a scheduler failover);
   * `finishedSteps` are its steps already in a terminal status. `onStepFinished` was called for each
   * of them by the process that finished it, but an observer that writes asynchronously may have
   * lost the last of those writes in a crash: this is where it can make them up.
   */
  onExecutionResumed?(execution: ExecutionRecord, finishedSteps: readonly StepExecutionRecord[]): void | Promise<void>;
}

/** A progress event: every committed status change of an execution or one of its steps. */
export type RuntimeEvent =
  | { type: 'execution'; execution: ExecutionRecord }
  | { type: 'step'; executionId: string; step: StepExecutionRecord };

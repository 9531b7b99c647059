import { ErrorCode, OrchestratorError } from '../errors.js';

/**
 * The execution state machine, as two transition tables (the only place transitions are defined;
 * the coordinator moves every status through `nextStepStatus` / `nextExecutionStatus`).
 *
 * Step: `Starting` (inputs resolved, job being created) → `Executing` (job running, callback
 * waiting) → `Succeeded` | `Failed`. A retryable failure goes back to `Starting` with attempt + 1.
 * Cache hits, Condition steps and Fail steps go `Starting` → `Succeeded`/`Failed` directly. Stop:
 * `Starting`/`Executing` → `Stopping` → `Stopped` (or `Succeeded`/`Failed` when the job finished
 * anyway); a step waiting for a retry goes `Starting` → `Stopped`.
 *
 * Execution: `Executing` → `Succeeded` (every enabled step succeeded) | `Failed` (a step failed;
 * running steps finish first) | `Stopping` → `Stopped`. `Failed` and `Stopped` executions go back
 * to `Executing` on retry (succeeded steps are kept).
 */

/** Execution statuses: SageMaker's own `PipelineExecutionStatus` values. */
export const ExecutionStatus = {
  Executing: 'Executing',
  Stopping: 'Stopping',
  Stopped: 'Stopped',
  Failed: 'Failed',
  Succeeded: 'Succeeded',
} as const;
export type ExecutionStatus = (typeof ExecutionStatus)[keyof typeof ExecutionStatus];

/** Step statuses: SageMaker's own `StepStatus` values. */
export const StepStatus = {
  Starting: 'Starting',
  Executing: 'Executing',
  Stopping: 'Stopping',
  Stopped: 'Stopped',
  Failed: 'Failed',
  Succeeded: 'Succeeded',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

/** Events that move a step between statuses. */
export type StepEvent =
  | 'started' // inputs resolved, job created (or callback parked): Starting → Executing
  | 'succeeded' // job done, cache hit, condition evaluated
  | 'failed' // terminal failure (no retry left)
  | 'retry' // a failed attempt will be retried: back to Starting with attempt + 1
  | 'stop' // stop requested
  | 'stopped'; // job confirmed stopped

/** Events that move an execution between statuses. */
export type ExecutionEvent = 'stop' | 'stopped' | 'failed' | 'succeeded' | 'retry';

/** The one transition table for steps: `STEP_TRANSITIONS[status][event]` is the next status. */
export const STEP_TRANSITIONS = {
  Starting: { started: 'Executing', succeeded: 'Succeeded', failed: 'Failed', retry: 'Starting', stop: 'Stopping', stopped: 'Stopped' },
  Executing: { succeeded: 'Succeeded', failed: 'Failed', retry: 'Starting', stop: 'Stopping', stopped: 'Stopped' },
  Stopping: { stopped: 'Stopped', succeeded: 'Succeeded', failed: 'Failed' },
  Stopped: {},
  Failed: {},
  Succeeded: {},
} as const satisfies Record<StepStatus, Partial<Record<StepEvent, StepStatus>>>;

/** The one transition table for executions. */
export const EXECUTION_TRANSITIONS = {
  Executing: { stop: 'Stopping', failed: 'Failed', succeeded: 'Succeeded' },
  Stopping: { stopped: 'Stopped', failed: 'Failed' },
  Stopped: { retry: 'Executing' },
  Failed: { retry: 'Executing' },
  Succeeded: {},
} as const satisfies Record<ExecutionStatus, Partial<Record<ExecutionEvent, ExecutionStatus>>>;

/** Next step status for `event`, or an `ILLEGAL_TRANSITION` error. */
export function nextStepStatus(current: StepStatus, event: StepEvent): StepStatus {
  const next = (STEP_TRANSITIONS[current] as Partial<Record<StepEvent, StepStatus>>)[event];
  if (!next) {
    throw new OrchestratorError(ErrorCode.IllegalTransition, `A step in status ${current} cannot take event "${event}".`, {
      fix: 'this is a bug in the caller: check the step status before sending the event.',
    });
  }
  return next;
}

/** Next execution status for `event`, or an `ILLEGAL_TRANSITION` error. */
export function nextExecutionStatus(current: ExecutionStatus, event: ExecutionEvent): ExecutionStatus {
  const next = (EXECUTION_TRANSITIONS[current] as Partial<Record<ExecutionEvent, ExecutionStatus>>)[event];
  if (!next) {
    throw new OrchestratorError(
      ErrorCode.IllegalTransition,
      `An execution in status ${current} cannot take event "${event}".`,
      { fix: current === 'Succeeded' ? 'a succeeded execution is final; start a new one.' : 'check the execution status first.' },
    );
  }
  return next;
}

/** True for statuses a step never leaves. */
export function isTerminalStepStatus(s: StepStatus): boolean {
  return s === 'Succeeded' || s === 'Failed' || s === 'Stopped';
}
/** True for statuses an execution leaves only through an explicit retry. */
export function isTerminalExecutionStatus(s: ExecutionStatus): boolean {
  return s === 'Succeeded' || s === 'Failed' || s === 'Stopped';
}

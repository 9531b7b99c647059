import { isTerminalExecutionStatus, isTerminalStepStatus } from '../scheduler/status.js';
import type { ExecutionStore } from '../store/execution-store.js';
import type { LineageObserver } from './lineage-observer.js';

/** How far back `recoverEndedExecutionsLineage` looks. */
export interface RecoverLineageOptions {
  /** Now, in epoch milliseconds. */
  now: number;
  /** Executions that ended at most this long ago are checked, in milliseconds. @defaultValue 900_000 (15 minutes) */
  endedWithinMs?: number;
  /**
   * Steps that ended at most this long before their execution are checked, in milliseconds: a step
   * that ended earlier had its lineage written while the execution still ran. @defaultValue 60_000
   */
  stepTailMs?: number;
  /** Most recently started executions scanned, at most. @defaultValue 200 */
  scan?: number;
}

/**
 * Records the lineage that a crash cut off after an execution ended: the Actions of its last steps,
 * queued by the old process's lineage observer but not yet written. `resume` covers executions
 * still running; a new scheduler calls this once for the ones that ended just before it took over.
 * Returns how many executions it checked (each step is looked up by its Action's ARN; only
 * missing ones are written).
 */
export async function recoverEndedExecutionsLineage(
  store: Pick<ExecutionStore, 'listExecutions' | 'listStepExecutions'>,
  lineage: Pick<LineageObserver, 'onExecutionResumed'>,
  options: RecoverLineageOptions,
): Promise<number> {
  const endedAfter = options.now - (options.endedWithinMs ?? 900_000);
  const tailMs = options.stepTailMs ?? 60_000;
  const ended = (await store.listExecutions({ limit: options.scan ?? 200 })).filter(
    (e) => isTerminalExecutionStatus(e.status) && e.endedAt !== undefined && e.endedAt >= endedAfter,
  );
  for (const execution of ended) {
    const steps = await store.listStepExecutions(execution.id);
    const last = steps.filter((s) => isTerminalStepStatus(s.status) && (s.endTime ?? execution.endedAt!) >= execution.endedAt! - tailMs);
    if (last.length > 0) await lineage.onExecutionResumed(execution, last);
  }
  return ended.length;
}

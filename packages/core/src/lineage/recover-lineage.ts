import { isTerminalExecutionStatus, isTerminalStepStatus } from '../scheduler/status.js';
import type { ExecutionStore, StepExecutionRecord } from '../store/execution-store.js';
import type { LineageStore } from '../store/lineage-store.js';
import type { LineageObserver } from './lineage-observer.js';
import { stepActionArn } from './record-lineage.js';

/** How far back `recoverEndedExecutionsLineage` looks. */
export interface RecoverLineageOptions {
  /** Now, in epoch milliseconds. */
  now: number;
  /** ARN prefix the Actions were recorded under (the lineage observer's). */
  arnPrefix: string;
  /** Executions that ended at most this long ago are checked, in milliseconds. @defaultValue 300_000 (5 minutes) */
  endedWithinMs?: number;
  /**
   * Steps that ended at most this long before their execution are checked, in milliseconds: a step
   * that ended earlier had its lineage written while the execution still ran. @defaultValue 60_000
   */
  stepTailMs?: number;
  /** Most recently started executions scanned, at most. @defaultValue 50 */
  scan?: number;
}

/** Steps looked up at once, newest first; a group found complete ends the search. */
const GROUP = 8;

/**
 * Records the lineage that a crash cut off after an execution ended: the Actions of its last steps,
 * queued by the old process's lineage observer but not written yet. `resume` covers executions
 * still running; a new scheduler calls this once for the ones that ended just before it took over.
 *
 * The observer writes steps in the order they finished, one batch at a time, so the steps written
 * are a prefix of that order: the search goes back from the step that ended last, a few at a time,
 * and stops at the first group whose Actions are all stored. Returns how many executions it checked.
 */
export async function recoverEndedExecutionsLineage(
  store: Pick<ExecutionStore, 'listExecutions' | 'listStepExecutions'> & Pick<LineageStore, 'getLineageEntity'>,
  lineage: Pick<LineageObserver, 'onExecutionResumed'>,
  options: RecoverLineageOptions,
): Promise<number> {
  const endedAfter = options.now - (options.endedWithinMs ?? 300_000);
  const tailMs = options.stepTailMs ?? 60_000;
  const ended = (await store.listExecutions({ limit: options.scan ?? 50 })).filter(
    (e) => isTerminalExecutionStatus(e.status) && e.endedAt !== undefined && e.endedAt >= endedAfter,
  );
  for (const execution of ended) {
    const endedAt = execution.endedAt!;
    const tail = (await store.listStepExecutions(execution.id))
      .filter((s) => isTerminalStepStatus(s.status) && !s.selectiveSource && (s.endTime ?? endedAt) >= endedAt - tailMs)
      .sort((a, b) => (b.endTime ?? endedAt) - (a.endTime ?? endedAt));
    const missing: StepExecutionRecord[] = [];
    for (let i = 0; i < tail.length; i += GROUP) {
      const group = tail.slice(i, i + GROUP);
      const stored = await Promise.all(group.map((s) => store.getLineageEntity(stepActionArn(options.arnPrefix, execution.id, s.stepName))));
      const lost = group.filter((_, j) => stored[j] === undefined);
      if (lost.length === 0) break;
      missing.push(...lost);
    }
    if (missing.length > 0) await lineage.onExecutionResumed(execution, missing);
  }
  return ended.length;
}

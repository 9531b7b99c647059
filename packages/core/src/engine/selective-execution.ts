import type { CompiledPipeline } from '../compile/types.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { StepExecutionRecord } from '../store/execution-store.js';

/** What a selective execution runs, reuses and leaves out. */
export interface SelectivePlan {
  /** Non-selected upstream steps whose results are copied from the source execution. */
  reused: string[];
  /** Steps that neither run nor are copied. */
  excluded: string[];
}

/** Every step reachable from `start` along `edges` (excluding the start set itself). */
function reach(compiled: CompiledPipeline, start: Iterable<string>, edges: 'upstream' | 'downstream'): Set<string> {
  const seen = new Set<string>();
  const stack = [...start];
  while (stack.length > 0) {
    for (const next of compiled.steps.get(stack.pop()!)![edges]) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

/** Steps a selective execution never runs: neither selected nor upstream of a selected step. */
export function excludedBySelection(compiled: CompiledPipeline, selectedSteps: readonly string[], upstream = reach(compiled, selectedSteps, 'upstream')): string[] {
  const selected = new Set(selectedSteps);
  return [...compiled.steps.keys()].filter((s) => !selected.has(s) && !upstream.has(s));
}

function invalid(problem: string, fix: string): OrchestratorError {
  return new OrchestratorError(ErrorCode.ParameterInvalid, `The selective execution is not valid: ${problem}.`, { fix });
}

/**
 * Validates a selection (reference §8.11) and plans it: 1–50 known steps, connected, with every
 * step on a path between two selected steps selected too; upstream steps that are not selected must
 * have succeeded in the source execution (`sourceSteps`), whose results are reused.
 */
export function planSelectiveExecution(compiled: CompiledPipeline, selectedSteps: readonly string[], sourceSteps: readonly StepExecutionRecord[] | undefined): SelectivePlan {
  const selected = new Set(selectedSteps);
  if (selected.size < 1 || selected.size > 50) throw invalid(`${selected.size} steps are selected`, 'select between 1 and 50 steps.');
  const unknown = [...selected].filter((s) => !compiled.steps.has(s));
  if (unknown.length > 0) {
    throw new OrchestratorError(ErrorCode.StepNotFound, `The pipeline has no step ${unknown.map((s) => `"${s}"`).join(', ')}.`, {
      fix: `select steps by their Name; the pipeline has ${[...compiled.steps.keys()].slice(0, 20).join(', ')}.`,
    });
  }
  const below = reach(compiled, selected, 'downstream');
  const above = reach(compiled, selected, 'upstream');
  const between = [...below].filter((s) => above.has(s) && !selected.has(s));
  if (between.length > 0) throw invalid(`steps ${between.join(', ')} lie between selected steps`, 'select them too, or select fewer steps.');
  const first = selectedSteps[0]!;
  const component = new Set([first]);
  const stack = [first];
  while (stack.length > 0) {
    const cs = compiled.steps.get(stack.pop()!)!;
    for (const n of [...cs.upstream, ...cs.downstream]) {
      if (selected.has(n) && !component.has(n)) {
        component.add(n);
        stack.push(n);
      }
    }
  }
  if (component.size !== selected.size) throw invalid('the selected steps are not connected', 'select steps that form one connected part of the pipeline.');
  const reused = [...above].filter((s) => !selected.has(s));
  if (reused.length > 0) {
    if (!sourceSteps) throw invalid(`selected steps depend on ${reused.join(', ')} but no source execution was given`, 'name a source execution whose results to reuse.');
    const succeeded = new Set(sourceSteps.filter((r) => r.status === 'Succeeded').map((r) => r.stepName));
    const missing = reused.filter((s) => !succeeded.has(s));
    if (missing.length > 0) throw invalid(`the source execution has no succeeded result for ${missing.join(', ')}`, 'pick a source execution in which those steps succeeded, or select them too.');
  }
  return { reused, excluded: excludedBySelection(compiled, selectedSteps, above) };
}

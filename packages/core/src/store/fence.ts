import { ErrorCode, OrchestratorError } from '../errors.js';
import type { StoreFence } from './execution-store.js';

/**
 * The error of a fenced commit whose term is not the stored one (`stored` undefined: the fence was
 * never advanced). Nothing of the batch was applied. @internal
 */
export function fencedError(fence: StoreFence, stored: number | undefined): OrchestratorError {
  const now = stored === undefined ? 'has no term yet' : `is at term ${stored}`;
  return new OrchestratorError(ErrorCode.Fenced, `Fence "${fence.name}" ${now}, so a commit of term ${fence.term} was refused and nothing of it was written: another process took over this work.`, {
    fix: 'stop acting on this state; the process holding the current term drives it now (restart this one to take part again, e.g. as a standby scheduler).',
    details: { fence: fence.name, term: fence.term, ...(stored === undefined ? {} : { currentTerm: stored }) },
  });
}

/** Throws `FENCED` unless `stored` is the fence's term. @internal */
export function checkFence(fence: StoreFence, stored: number | undefined): void {
  if (stored !== fence.term) throw fencedError(fence, stored);
}

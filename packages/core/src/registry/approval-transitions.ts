import { ErrorCode, OrchestratorError } from '../errors.js';
import type { ModelApprovalStatus } from '../store/registry-store.js';

/**
 * Legal approval moves (reference §11.2): pending → approved | rejected, rejected ↔ approved,
 * and back to pending (SageMaker's behaviour there is unverified; Cairn allows it).
 */
export const APPROVAL_TRANSITIONS = {
  PendingManualApproval: ['Approved', 'Rejected'],
  Approved: ['Rejected', 'PendingManualApproval'],
  Rejected: ['Approved', 'PendingManualApproval'],
} as const satisfies Record<ModelApprovalStatus, readonly ModelApprovalStatus[]>;

/** Throws `APPROVAL_TRANSITION_INVALID` unless `from → to` is in `APPROVAL_TRANSITIONS`. */
export function checkApprovalTransition(arn: string, from: ModelApprovalStatus, to: ModelApprovalStatus): void {
  const allowed: readonly ModelApprovalStatus[] = APPROVAL_TRANSITIONS[from];
  if (allowed.includes(to)) return;
  const why = from === to ? `it is already ${to}` : `${from} → ${to} is not an approval transition`;
  throw new OrchestratorError(ErrorCode.ApprovalTransitionInvalid, `Cannot set model package "${arn}" to ${to}: ${why}.`, {
    fix: `from ${from} you can go to ${allowed.join(' or ')}.`,
    details: { modelPackageArn: arn, from, to },
  });
}

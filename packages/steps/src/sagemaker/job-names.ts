import { createHash } from 'node:crypto';

/**
 * SageMaker resource names: `[a-zA-Z0-9](-*[a-zA-Z0-9])*`, at most 63 characters (32 for tuning and
 * AutoML jobs). Cairn's job names are deterministic per execution, step and attempt; this keeps
 * them deterministic while making them valid.
 */

const VALID = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;

/**
 * A valid SageMaker name derived from `jobName`: unchanged when already valid and short enough,
 * otherwise cleaned and shortened with an 8-character hash of the original, so distinct inputs
 * stay distinct.
 */
export function sagemakerName(jobName: string, maxLength: number): string {
  if (jobName.length <= maxLength && VALID.test(jobName)) return jobName;
  const hash = createHash('sha256').update(jobName).digest('hex').slice(0, 8);
  const cleaned = jobName.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  const head = cleaned.slice(0, maxLength - hash.length - 1).replace(/-+$/, '');
  return head ? `${head}-${hash}` : hash;
}

/** A deterministic idempotency token (32 hex characters) for requests that are not named. */
export function idempotencyToken(jobName: string): string {
  return createHash('sha256').update(`cairn:${jobName}`).digest('hex').slice(0, 32);
}

/**
 * The name for a definition that keeps the job-name field as a prefix (the SDK's
 * `use_custom_job_prefix`): the prefix and a 10-character hash of Cairn's job name.
 */
export function prefixedName(prefix: string, jobName: string, maxLength: number): string {
  const hash = createHash('sha256').update(jobName).digest('hex').slice(0, 10);
  return sagemakerName(`${prefix.slice(0, Math.max(0, maxLength - hash.length - 1))}-${hash}`, maxLength);
}

import type { RetryPolicy } from '../definition/steps.js';
import type { RetryExceptionType, SerializedError } from '../errors.js';

/** What to do after a failed attempt. */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/** Exception types retried even when the step declares no policy for them (reference §8.6). */
const DEFAULT_RETRIED: readonly RetryExceptionType[] = ['Step.SERVICE_FAULT', 'Step.THROTTLING'];
/** The policy applied to default-retried types: SageMaker's documented defaults. */
const DEFAULT_POLICY = { IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 5 } as const;

/**
 * Decides whether attempt `attempt` (1-based) of a step, which failed with `error`, is retried.
 * The first policy whose `ExceptionType` lists the error's `exceptionType` applies; without one,
 * `Step.SERVICE_FAULT`/`Step.THROTTLING` get the default policy. The delay before attempt n+1 is
 * `IntervalSeconds × BackoffRate^(n-1)`; `MaxAttempts` (default 5 when neither limit is set)
 * caps the retries, `ExpireAfterMin` caps the time since the step's first start. Errors marked
 * `retryable: false` are never retried.
 */
export function decideRetry(
  policies: readonly RetryPolicy[] | undefined,
  error: SerializedError,
  attempt: number,
  firstStart: number,
  now: number,
): RetryDecision {
  const type = error.exceptionType;
  if (!type) return { retry: false, reason: `error ${error.code} has no retry exception type` };
  if (!error.retryable) return { retry: false, reason: `error ${error.code} is marked not retryable` };
  const policy = policies?.find((p) => p.ExceptionType.includes(type)) ?? (DEFAULT_RETRIED.includes(type) ? DEFAULT_POLICY : undefined);
  if (!policy) return { retry: false, reason: `no retry policy matches ${type}` };
  const delayMs = (policy.IntervalSeconds ?? 1) * (policy.BackoffRate ?? 2) ** (attempt - 1) * 1000;
  if ('ExpireAfterMin' in policy && policy.ExpireAfterMin !== undefined) {
    return now - firstStart < policy.ExpireAfterMin * 60_000
      ? { retry: true, delayMs }
      : { retry: false, reason: `retries of ${type} expired after ${policy.ExpireAfterMin} min` };
  }
  const maxAttempts = policy.MaxAttempts ?? DEFAULT_POLICY.MaxAttempts;
  return attempt - 1 < maxAttempts ? { retry: true, delayMs } : { retry: false, reason: `${maxAttempts} retries of ${type} used` };
}

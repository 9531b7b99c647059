import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { ErrorCode, OrchestratorError, asSentence } from '@cairn/core';

/**
 * Maps AWS SDK errors and SageMaker job failure reasons onto Cairn error codes, whose retry-policy
 * exception types (`Step.THROTTLING`, `SageMaker.CAPACITY_ERROR`, …) let a definition's
 * `RetryPolicies` decide what is retried. SDK errors are classified by name and HTTP status only.
 */

/** The shape of an error thrown by an AWS SDK v3 client. */
type AwsSdkError = Parameters<typeof isThrottlingError>[0] & { $fault?: 'client' | 'server' | undefined };

const SERVICE_FAULT_NAMES = new Set(['InternalFailure', 'InternalServerError', 'ServiceUnavailable', 'InternalError']);

/** Whether `err` is an AWS SDK error with one of these names (the service's error code). */
export function isAwsError(err: unknown, ...names: string[]): boolean {
  return err instanceof Error && names.includes(err.name);
}

/** Wraps an AWS SDK (or network) error from `operation` into an `OrchestratorError` with a Cairn code. */
export function classifyAwsError(err: unknown, operation: string): OrchestratorError {
  if (err instanceof OrchestratorError) return err;
  if (!(err instanceof Error)) return new OrchestratorError(ErrorCode.Internal, asSentence(`${operation} failed: ${String(err)}`));
  const aws = err as AwsSdkError;
  const details = { operation, awsError: aws.name, ...(aws.$metadata?.requestId ? { requestId: aws.$metadata.requestId } : {}) };
  // AWS messages sometimes end with a full stop and sometimes not.
  const said = asSentence(`${operation} failed with ${aws.name}: ${aws.message}`);
  if (isThrottlingError(aws)) {
    return new OrchestratorError(ErrorCode.BackendThrottled, `${said} Still throttled after the SDK's own retries.`, {
      cause: err,
      details,
      fix: 'let the retry policy for Step.THROTTLING retry later, or ask AWS to raise the API rate quota.',
    });
  }
  if (isAwsError(aws, 'CredentialsProviderError')) {
    return new OrchestratorError(ErrorCode.ConfigInvalid, said, {
      cause: err,
      details,
      fix: 'give Cairn AWS credentials the SDK finds on its own: AWS_PROFILE / ~/.aws, SSO, environment variables or an instance role.',
    });
  }
  if (isAwsError(aws, 'ResourceLimitExceeded')) {
    return new OrchestratorError(ErrorCode.BackendResourceLimit, said, {
      cause: err,
      details,
      fix: 'add a retry policy for SageMaker.RESOURCE_LIMIT, stop other jobs, or request a quota increase in Service Quotas.',
    });
  }
  if (SERVICE_FAULT_NAMES.has(aws.name) || aws.$fault === 'server' || isServerError(aws) || isTransientError(aws)) {
    return new OrchestratorError(ErrorCode.ServiceFault, said, {
      cause: err,
      details,
      fix: 'retry later (Step.SERVICE_FAULT is retried by default); check the AWS Health Dashboard if it persists.',
    });
  }
  return new OrchestratorError(ErrorCode.StepFailed, said, {
    cause: err,
    details,
    fix: 'correct the request (arguments, role permissions or region) as the AWS message says.',
  });
}

/** Whether a classified error is worth polling again instead of failing the job (the job still runs). */
export function isTransientAwsError(err: OrchestratorError): boolean {
  return err.code === ErrorCode.BackendThrottled || err.code === ErrorCode.ServiceFault;
}

/** What a failed job was, for the error message. */
export interface FailedJob {
  /** 'Training job', 'Processing job', … */
  label: string;
  name: string;
  arn?: string;
  /** SageMaker's `FailureReason`, as given. */
  failureReason: string;
  /** Whether `SageMaker.JOB_INTERNAL_ERROR` applies (not to Tuning or AutoML, which retry internally). */
  internalErrorRetryable: boolean;
}

const CAPACITY = /CapacityError|insufficient capacity/i;
const INTERNAL = /InternalServerError/i;

/**
 * The error of a job that SageMaker reports as Failed. The failure reason is text, so it is read as
 * text: capacity and internal errors are retryable by policy; anything else (AlgorithmError,
 * ClientError, …) fails the step with SageMaker's reason.
 */
export function jobFailureError(job: FailedJob): OrchestratorError {
  const message = asSentence(`${job.label} "${job.name}" failed: ${job.failureReason}`);
  const details = { jobName: job.name, failureReason: job.failureReason, ...(job.arn ? { jobArn: job.arn } : {}) };
  if (CAPACITY.test(job.failureReason)) {
    return new OrchestratorError(ErrorCode.BackendCapacity, message, {
      details,
      fix: 'add a retry policy for SageMaker.CAPACITY_ERROR, or choose another instance type.',
    });
  }
  if (INTERNAL.test(job.failureReason) && job.internalErrorRetryable) {
    return new OrchestratorError(ErrorCode.BackendInternalError, message, {
      details,
      fix: 'add a retry policy for SageMaker.JOB_INTERNAL_ERROR.',
    });
  }
  return new OrchestratorError(ErrorCode.StepFailed, message, {
    details,
    retryable: false,
    fix: "read the job's logs in CloudWatch (/aws/sagemaker/*) and correct the script or its inputs.",
  });
}

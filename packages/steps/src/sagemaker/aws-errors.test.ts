import { describe, expect, it } from 'vitest';
import { ErrorCode, OrchestratorError, toSerializedError } from '@cairn/core';
import { classifyAwsError, jobFailureError } from './aws-errors.js';

/** An error shaped like the SDK's service exceptions. */
function awsError(name: string, status: number, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client'): Error {
  return Object.assign(new Error(`${name} happened`), { name, $fault: fault, $metadata: { httpStatusCode: status } });
}

describe('classifyAwsError', () => {
  it.each([
    ['ThrottlingException', 400, ErrorCode.BackendThrottled, 'Step.THROTTLING'],
    ['TooManyRequestsException', 429, ErrorCode.BackendThrottled, 'Step.THROTTLING'],
    ['ResourceLimitExceeded', 400, ErrorCode.BackendResourceLimit, 'SageMaker.RESOURCE_LIMIT'],
    ['InternalFailure', 500, ErrorCode.ServiceFault, 'Step.SERVICE_FAULT'],
    ['ServiceUnavailable', 503, ErrorCode.ServiceFault, 'Step.SERVICE_FAULT'],
  ])('%s → %s', (name, status, code, exceptionType) => {
    expect(toSerializedError(classifyAwsError(awsError(name, status), 'CreateTrainingJob'))).toMatchObject({ code, exceptionType, retryable: true });
  });

  it('classifies by name, not by message: a ValidationException saying "throttl" is still a client error', () => {
    const err = Object.assign(awsError('ValidationException', 400), { message: 'throttling config invalid' });
    expect(classifyAwsError(err, 'x')).toMatchObject({ code: ErrorCode.StepFailed, retryable: false });
  });

  it('missing credentials are a configuration error', () => {
    const err = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(classifyAwsError(err, 'x')).toMatchObject({ code: ErrorCode.ConfigInvalid, retryable: false });
  });

  it('quotes an AWS message with one full stop whether or not it ends with one', () => {
    const denied = Object.assign(awsError('AccessDeniedException', 400), { message: 'User is not authorized to perform: sagemaker:CreateTrainingJob.' });
    expect(classifyAwsError(denied, 'Creating training job "j"').message).toMatch(
      /^Creating training job "j" failed with AccessDeniedException: User is not authorized to perform: sagemaker:CreateTrainingJob\. To fix: /,
    );
    const throttled = Object.assign(awsError('ThrottlingException', 400), { message: 'Rate exceeded.' });
    expect(classifyAwsError(throttled, 'x').message).toMatch(/^x failed with ThrottlingException: Rate exceeded\. Still throttled after the SDK's own retries\. To fix: /);
    expect(classifyAwsError(awsError('ValidationException', 400), 'x').message).toMatch(/^x failed with ValidationException: ValidationException happened\. To fix: /);
    for (const err of [denied, throttled]) expect(classifyAwsError(err, 'x').message).not.toContain('..');
  });

  it('a dropped connection is a service fault; Cairn errors pass through', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyAwsError(reset, 'x').code).toBe(ErrorCode.ServiceFault);
    const own = new OrchestratorError(ErrorCode.ConfigInvalid, 'bad');
    expect(classifyAwsError(own, 'x')).toBe(own);
  });
});

describe('jobFailureError', () => {
  const job = { label: 'Training job', name: 'j', internalErrorRetryable: true };

  it('reads capacity and internal errors from the failure reason', () => {
    expect(jobFailureError({ ...job, failureReason: 'CapacityError: Unable to provision requested ML compute capacity.' }).code).toBe(ErrorCode.BackendCapacity);
    expect(jobFailureError({ ...job, failureReason: 'Insufficient capacity for ml.p3.2xlarge' }).code).toBe(ErrorCode.BackendCapacity);
    expect(jobFailureError({ ...job, failureReason: 'InternalServerError: We encountered an internal error.' }).code).toBe(ErrorCode.BackendInternalError);
  });

  it('internal errors of tuning and AutoML jobs are not JOB_INTERNAL_ERROR (they retry internally)', () => {
    const err = jobFailureError({ ...job, internalErrorRetryable: false, failureReason: 'InternalServerError: x' });
    expect(err).toMatchObject({ code: ErrorCode.StepFailed, retryable: false });
  });

  it('anything else fails the step with the reason', () => {
    const err = jobFailureError({ ...job, arn: 'arn:x', failureReason: 'ClientError: Data download failed' });
    expect(err).toMatchObject({ code: ErrorCode.StepFailed, retryable: false, details: { failureReason: 'ClientError: Data download failed', jobArn: 'arn:x' } });
    expect(err.message).toMatch(/^Training job "j" failed: ClientError: Data download failed\. To fix: /);
  });
});

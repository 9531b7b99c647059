import { describe, expect, it } from 'vitest';
import { ErrorCode, toSerializedError } from '@cairn/core';
import { sagemakerExecutor } from '../../src/sagemaker/sagemaker-executor.js';
import { executionContext, pollUntilDone, sagemakerClient, stepRequest, trainingArguments, useFakeAws } from './support.js';

const fake = useFakeAws();
const executor = () => sagemakerExecutor({ client: sagemakerClient(), pollIntervalMs: 10 });
const train = (jobName: string) => stepRequest({ Name: 'Train', Type: 'Training', Arguments: trainingArguments() }, jobName);
const jobsNamed = (name: string) => fake.aws.sagemaker.listJobs('TrainingJob').filter((job) => job.name === name);
const calls = (operation: string, name: string) =>
  fake.aws.sagemaker.calls.filter((call) => call.operation === operation && call.input['TrainingJobName'] === name).length;

describe('sagemakerExecutor: failures and faults', () => {
  it('CreateTrainingJob throttled five times in a row: BACKEND_THROTTLED once the SDK gives up, then exactly one job', async () => {
    const ex = executor();
    const ctx = executionContext('Train');
    fake.aws.sagemaker.throttle('CreateTrainingJob', 5);
    // The SDK tries 3 times per call, so the first start surfaces the throttling to the engine…
    const error = await ex.start(train('throttled-1'), ctx).catch((err: unknown) => err);
    expect(toSerializedError(error)).toMatchObject({ code: ErrorCode.BackendThrottled, exceptionType: 'Step.THROTTLING', retryable: true });
    // …and the engine's retry of the same start gets through on the SDK's third try.
    const handle = await ex.start(train('throttled-1'), ctx);
    expect(calls('CreateTrainingJob', 'throttled-1')).toBe(6);
    expect(jobsNamed('throttled-1')).toHaveLength(1);
    expect(await pollUntilDone(ex, handle, ctx)).toMatchObject({ state: 'succeeded' });
  });

  it('the response to CreateTrainingJob is lost after the job was created: the job is adopted, not duplicated', async () => {
    const ex = executor();
    const ctx = executionContext('Train');
    fake.aws.sagemaker.dropResponses('CreateTrainingJob', 1);
    const handle = await ex.start(train('lost-1'), ctx);
    expect(calls('CreateTrainingJob', 'lost-1')).toBe(2); // the SDK retried after the dropped connection
    expect(jobsNamed('lost-1')).toHaveLength(1);
    expect(handle).toMatchObject({ name: 'lost-1', id: 'lost-1' });
    expect(await pollUntilDone(ex, handle, ctx)).toMatchObject({ state: 'succeeded' });
  });

  it('lost responses to CreateModel and CreateModelPackage: one model, one model package version', async () => {
    const ex = executor();
    fake.aws.sagemaker.dropResponses('CreateModel', 1);
    fake.aws.sagemaker.dropResponses('CreateModelPackage', 1);
    const modelCtx = executionContext('Model', { stepType: 'Model' });
    const model = stepRequest({ Name: 'Model', Type: 'Model', Arguments: { PrimaryContainer: { Image: 'img:1' } } }, 'lost-model-1');
    expect(await ex.poll(await ex.start(model, modelCtx), modelCtx)).toMatchObject({ state: 'succeeded', properties: { ModelName: 'lost-model-1' } });
    expect(fake.aws.sagemaker.callCount('CreateModel')).toBe(2);
    const registerCtx = executionContext('Register', { stepType: 'RegisterModel' });
    const args = { ModelPackageGroupName: 'lost-group', InferenceSpecification: { Containers: [{ Image: 'img:1' }] } };
    const handle = await ex.start(stepRequest({ Name: 'Register', Type: 'RegisterModel', Arguments: args }, 'lost-register-1'), registerCtx);
    expect(fake.aws.sagemaker.callCount('CreateModelPackage')).toBe(2);
    expect(fake.aws.sagemaker.listModelPackages().filter((p) => p['ModelPackageGroupName'] === 'lost-group')).toHaveLength(1);
    expect(handle['id']).toBe('arn:aws:sagemaker:us-east-1:000000000000:model-package/lost-group/1');
  });

  it('a capacity error fails the attempt as SageMaker.CAPACITY_ERROR; the next attempt (new job name) succeeds', async () => {
    const ex = executor();
    const reason = 'CapacityError: Unable to provision requested ML compute capacity. Please retry using a different ML instance type.';
    fake.aws.sagemaker.failNextJob('TrainingJob', reason);
    const first = await pollUntilDone(ex, await ex.start(train('cap-attempt-1'), executionContext('Train')), executionContext('Train'));
    if (first.state !== 'failed') throw new Error(JSON.stringify(first));
    expect(first.error).toMatchObject({ code: ErrorCode.BackendCapacity, exceptionType: 'SageMaker.CAPACITY_ERROR', retryable: true });
    expect(first.error.details).toMatchObject({ failureReason: reason, jobName: 'cap-attempt-1' });
    const ctx2 = executionContext('Train', { attempt: 2 });
    const second = await pollUntilDone(ex, await ex.start(train('cap-attempt-2'), ctx2), ctx2);
    expect(second).toMatchObject({ state: 'succeeded', properties: { TrainingJobName: 'cap-attempt-2' } });
  });

  it('an internal server error of the job is SageMaker.JOB_INTERNAL_ERROR', async () => {
    const ex = executor();
    fake.aws.sagemaker.failNextJob('TrainingJob', 'InternalServerError: We encountered an internal error. Please try again.');
    const ctx = executionContext('Train');
    const done = await pollUntilDone(ex, await ex.start(train('internal-1'), ctx), ctx);
    expect(done).toMatchObject({ state: 'failed', error: { code: ErrorCode.BackendInternalError, exceptionType: 'SageMaker.JOB_INTERNAL_ERROR' } });
  });

  it('an algorithm error fails the step with SageMaker’s failure reason, not retryable', async () => {
    const ex = executor();
    const reason = "AlgorithmError: ExecuteUserScriptError: Command \"/usr/bin/python3 train.py\" failed: KeyError: 'price'";
    fake.aws.sagemaker.failNextJob('TrainingJob', reason);
    const ctx = executionContext('Train');
    const done = await pollUntilDone(ex, await ex.start(train('algo-1'), ctx), ctx);
    if (done.state !== 'failed') throw new Error(JSON.stringify(done));
    expect(done.error.code).toBe(ErrorCode.StepFailed);
    expect(done.error.retryable).toBe(false);
    expect(done.error).not.toHaveProperty('exceptionType');
    expect(done.error.message).toContain(reason);
    expect(done.error.message).toMatch(/To fix: /);
    expect(done.properties).toMatchObject({ TrainingJobStatus: 'Failed', FailureReason: reason });
  });

  it('stop during a training job: StopTrainingJob is called and the job ends Stopped', async () => {
    const ex = executor();
    const ctx = executionContext('Train');
    const handle = await ex.start(train('stop-1'), ctx);
    const running = await ex.poll(handle, ctx);
    expect(running.state).toBe('running');
    await ex.stop(handle, ctx);
    expect(calls('StopTrainingJob', 'stop-1')).toBe(1);
    expect(await pollUntilDone(ex, handle, ctx)).toMatchObject({ state: 'stopped', properties: { TrainingJobStatus: 'Stopped' } });
  });

  it('ResourceLimitExceeded on create is SageMaker.RESOURCE_LIMIT', async () => {
    fake.aws.sagemaker.failCalls('CreateTrainingJob', 'ResourceLimitExceeded', 1, 'The account-level service limit for ml.p3.2xlarge is 0 Instances.');
    const error = await executor().start(train('limit-1'), executionContext('Train')).catch((err: unknown) => err);
    expect(toSerializedError(error)).toMatchObject({ code: ErrorCode.BackendResourceLimit, exceptionType: 'SageMaker.RESOURCE_LIMIT' });
    expect(jobsNamed('limit-1')).toHaveLength(0);
  });

  it('a persistent 5xx is SERVICE_FAULT; a validation error is STEP_FAILED', async () => {
    fake.aws.sagemaker.failCalls('CreateTrainingJob', 'InternalFailure', 3);
    const fault = await executor().start(train('fault-1'), executionContext('Train')).catch((err: unknown) => err);
    expect(toSerializedError(fault)).toMatchObject({ code: ErrorCode.ServiceFault, exceptionType: 'Step.SERVICE_FAULT' });
    fake.aws.sagemaker.failCalls('CreateTrainingJob', 'ValidationException', 1, 'RoleArn is not valid.');
    const invalid = await executor().start(train('invalid-1'), executionContext('Train')).catch((err: unknown) => err);
    expect(toSerializedError(invalid)).toMatchObject({ code: ErrorCode.StepFailed, retryable: false });
  });

  it('a throttled status poll keeps the job running and backs off; too many in a row fail the step', async () => {
    const ex = sagemakerExecutor({ client: sagemakerClient(), pollIntervalMs: 10, maxPollErrors: 2 });
    const ctx = executionContext('Train');
    const handle = await ex.start(train('poll-throttled-1'), ctx);
    fake.aws.sagemaker.throttle('DescribeTrainingJob', 3);
    const throttled = await ex.poll(handle, ctx);
    expect(throttled).toMatchObject({ state: 'running', handle: { pollErrors: 1, pollDelayMs: 15 } });
    fake.aws.sagemaker.throttle('DescribeTrainingJob', 3);
    const failed = await ex.poll(throttled.state === 'running' ? (throttled.handle ?? handle) : handle, ctx);
    expect(failed).toMatchObject({ state: 'failed', error: { code: ErrorCode.BackendThrottled } });
  });
});

import { describe, expect, it } from 'vitest';
import type { Step } from '../definition/steps.js';
import type { StepExecutor } from '../executor.js';
import type { ExecutionRecord, StepExecutionRecord } from '../store/execution-store.js';
import { toDescribePipelineExecution, toPipelineExecutionStep } from './api-shapes.js';
import { newExecutionId } from './embedded-runtime.js';
import { createExecutorRouter } from './executor-router.js';
import { jobNameFor } from './job-name.js';
import { deriveStepMetadata } from './step-metadata.js';

describe('jobNameFor', () => {
  it('is deterministic per execution, step and attempt and within the limits', () => {
    const a = jobNameFor('abcdefghijkl', 'Train_Model', 1, 'Training');
    expect(a).toBe(jobNameFor('abcdefghijkl', 'Train_Model', 1, 'Training'));
    expect(a).not.toBe(jobNameFor('abcdefghijkl', 'Train_Model', 2, 'Training'));
    expect(a).toMatch(/^pipelines-abcdefghijkl-Train-Model-[A-Za-z0-9]{10}$/);
    const long = jobNameFor('abcdefghijkl', 'x'.repeat(64), 1, 'Processing');
    expect(long.length).toBe(63);
    expect(long).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/);
    const tuning = jobNameFor('abcdefghijkl', 'Tune', 1, 'Tuning');
    expect(tuning.length).toBeLessThanOrEqual(32);
    expect(tuning).toMatch(/^pipelines-abcdefghijkl-[A-Za-z0-9]+$/);
  });
});

describe('newExecutionId', () => {
  it('makes 12 lowercase alphanumerics', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newExecutionId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]{12}$/);
  });
});

describe('createExecutorRouter', () => {
  const executor = (id: string, types: StepExecutor['stepTypes']): StepExecutor => ({ id, stepTypes: types, start: async () => ({}), poll: async () => ({ state: 'running' }), stop: async () => undefined });
  const local = executor('local', ['Processing', 'Training']);
  const remote = executor('sagemaker', ['Processing', 'Training', 'Tuning']);
  const step = (name: string, type: string, args: unknown) => ({ Name: name, Type: type, Arguments: args }) as unknown as Step;

  it('routes by step name, then image, then type, then default', () => {
    const router = createExecutorRouter([local, remote], { steps: { Big: 'sagemaker' }, images: { 'gpu:1': 'sagemaker' }, default: 'local' });
    expect(router.executorFor(step('Big', 'Processing', {}))?.id).toBe('sagemaker');
    expect(router.executorFor(step('T', 'Training', { AlgorithmSpecification: { TrainingImage: 'gpu:1' } }))?.id).toBe('sagemaker');
    expect(router.executorFor(step('P', 'Processing', { AppSpecification: { ImageUri: 'cpu:1' } }))?.id).toBe('local');
    expect(router.executorFor(step('Tune', 'Tuning', {}))?.id).toBe('sagemaker');
    expect(router.executorFor(step('M', 'Model', { PrimaryContainer: { Image: 'gpu:1' } }))?.id).toBe('sagemaker');
    expect(router.executorFor(step('M', 'Model', {}))?.id).toBe('local');
    expect(createExecutorRouter([local]).executorFor(step('M', 'Model', {}))).toBeUndefined();
  });

  it('rejects routes to unknown executors', () => {
    expect(() => createExecutorRouter([local], { images: { x: 'nope' } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('API shapes', () => {
  it('maps records to DescribePipelineExecution and ListPipelineExecutionSteps items', () => {
    const execution = {
      id: 'abc', arn: 'arn:p/execution/abc', pipelineArn: 'arn:p', pipelineName: 'p', pipelineVersion: 2, status: 'Failed', failureReason: 'x',
      createdAt: 1_000, updatedAt: 2_500, maxParallelExecutionSteps: 3, displayName: 'd',
    } as ExecutionRecord;
    expect(toDescribePipelineExecution(execution)).toEqual({
      PipelineArn: 'arn:p', PipelineExecutionArn: 'arn:p/execution/abc', PipelineExecutionDisplayName: 'd', PipelineExecutionStatus: 'Failed',
      FailureReason: 'x', CreationTime: 1, LastModifiedTime: 2.5, ParallelismConfiguration: { MaxParallelExecutionSteps: 3 }, PipelineVersionId: 2,
    });
    const step = { stepName: 'A', stepType: 'Training', status: 'Succeeded', attempt: 2, startTime: 1_000, endTime: 3_000, metadata: { TrainingJob: { Arn: 'arn:t' } } } as unknown as StepExecutionRecord;
    expect(toPipelineExecutionStep(step)).toEqual({ StepName: 'A', StartTime: 1, EndTime: 3, StepStatus: 'Succeeded', Metadata: { TrainingJob: { Arn: 'arn:t' } }, AttemptCount: 2 });
  });

  it('derives metadata per step type', () => {
    expect(deriveStepMetadata('Training', { TrainingJobArn: 'arn:t' })).toEqual({ TrainingJob: { Arn: 'arn:t' } });
    expect(deriveStepMetadata('Transform', {})).toEqual({ TransformJob: {} });
    expect(deriveStepMetadata('Condition', {})).toBeUndefined();
  });
});

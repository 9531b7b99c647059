import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@cairn/core';
import {
  followPipelineExecution,
  listPipelineExecutionSteps,
  publishPipeline,
  startPipelineExecution,
  stopPipelineExecution,
  type PipelineProgress,
} from '../../src/sagemaker/pipelines.js';
import { sagemakerClient, trainingArguments, useFakeAws } from './support.js';

const fake = useFakeAws();
const roleArn = 'arn:aws:iam::000000000000:role/pipelines';
const definition = (steps: string[]) =>
  JSON.stringify({
    Version: '2020-12-01',
    Parameters: [{ Name: 'MaxDepth', Type: 'Integer', DefaultValue: 5 }],
    Steps: steps.map((Name) => ({ Name, Type: 'Training', Arguments: trainingArguments() })),
  });

async function collect(progress: AsyncIterable<PipelineProgress>): Promise<PipelineProgress[]> {
  const seen: PipelineProgress[] = [];
  for await (const snapshot of progress) seen.push(snapshot);
  return seen;
}

describe('publishing to SageMaker Pipelines', () => {
  it('creates the pipeline, then updates it (a new version) when published again', async () => {
    const client = sagemakerClient();
    const created = await publishPipeline({ client, name: 'churn', definition: definition(['A']), roleArn, description: 'v1' });
    expect(created).toEqual({ pipelineArn: 'arn:aws:sagemaker:us-east-1:000000000000:pipeline/churn', action: 'created', versionId: 1 });
    const updated = await publishPipeline({ client, name: 'churn', definition: definition(['A', 'B']), roleArn });
    expect(updated).toEqual({ pipelineArn: created.pipelineArn, action: 'updated', versionId: 2 });
    expect(fake.aws.sagemaker.pipelines.versions('churn')?.map((v) => v['PipelineDefinition'])).toEqual([definition(['A']), definition(['A', 'B'])]);
  });

  it('reports a definition SageMaker rejects as an error, not as an update', async () => {
    const error = await publishPipeline({ client: sagemakerClient(), name: 'broken', definition: '{not json', roleArn }).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: ErrorCode.StepFailed, message: expect.stringContaining('ValidationException') });
    expect(fake.aws.sagemaker.callCount('UpdatePipeline')).toBe(1); // only the update of the test above
  });

  it('starts an execution and follows it to Succeeded, step by step in start order', async () => {
    const client = sagemakerClient();
    await publishPipeline({ client, name: 'follow', definition: definition(['Prepare', 'Train', 'Evaluate']), roleArn });
    const arn = await startPipelineExecution({ client, name: 'follow', parameters: { MaxDepth: 7 }, displayName: 'run-1' });
    expect(arn).toMatch(/^arn:aws:sagemaker:us-east-1:000000000000:pipeline\/follow\/execution\/[a-z0-9]{12}$/);
    expect(fake.aws.sagemaker.pipelines.listExecutions().find((e) => e.arn === arn)?.parameters).toEqual([{ Name: 'MaxDepth', Value: '7' }]);
    const snapshots = await collect(followPipelineExecution({ client, executionArn: arn, pollIntervalMs: 1 }));
    const last = snapshots.at(-1);
    expect(last?.status).toBe('Succeeded');
    expect(last?.steps.map((s) => [s.stepName, s.status, s.attempt])).toEqual([
      ['Prepare', 'Succeeded', 1],
      ['Train', 'Succeeded', 1],
      ['Evaluate', 'Succeeded', 1],
    ]);
    expect(last?.steps[0]?.startTime).toBeGreaterThan(Date.now() - 60_000);
    // Every snapshot differs from the one before (unchanged polls are not yielded).
    expect(new Set(snapshots.map((s) => JSON.stringify([s.status, s.steps]))).size).toBe(snapshots.length);
    expect(snapshots.some((s) => s.steps.some((step) => step.status === 'Executing'))).toBe(true);
  });

  it('lists execution steps across pages', async () => {
    const client = sagemakerClient();
    await publishPipeline({ client, name: 'paged', definition: definition(['A', 'B', 'C']), roleArn });
    const arn = await startPipelineExecution({ client, name: 'paged' });
    await collect(followPipelineExecution({ client, executionArn: arn, pollIntervalMs: 1 }));
    const before = fake.aws.sagemaker.callCount('ListPipelineExecutionSteps');
    const steps = await listPipelineExecutionSteps(client, arn, 1);
    expect(steps.map((s) => s['StepName'])).toEqual(['C', 'B', 'A']);
    expect(fake.aws.sagemaker.callCount('ListPipelineExecutionSteps') - before).toBe(3);
  });

  it('stops an execution; following it ends Stopped', async () => {
    const client = sagemakerClient();
    await publishPipeline({ client, name: 'stoppable', definition: definition(['A', 'B']), roleArn });
    const arn = await startPipelineExecution({ client, name: 'stoppable' });
    const follow = followPipelineExecution({ client, executionArn: arn, pollIntervalMs: 1 });
    const first = await follow.next();
    expect(first.value).toMatchObject({ status: 'Executing' });
    await stopPipelineExecution(client, arn);
    const rest = await collect(follow);
    expect(rest.at(-1)).toMatchObject({ status: 'Stopped', steps: [{ stepName: 'A', status: 'Stopped' }] });
  });

  it('starting an execution of a pipeline that does not exist is an error', async () => {
    const error = await startPipelineExecution({ client: sagemakerClient(), name: 'missing' }).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: ErrorCode.StepFailed, message: expect.stringContaining('ResourceNotFound') });
  });
});

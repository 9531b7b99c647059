import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  EmbeddedRuntime,
  MemoryStore,
  createExecutorRouter,
  type ExecutionRecord,
  type PipelineDefinition,
  type Step,
  type StepExecutionRecord,
} from '@cairn/core';
import { S3ArtifactStore, sagemakerExecutor } from '@cairn/steps/aws';
import { FakeAwsServer, type FakeJob, type FakeS3 } from '@cairn/test-support/fake-aws/index';

/**
 * The diamonds example end to end with every job-like step on the SageMaker executor, against the
 * loopback fake of SageMaker and S3: the real SDK signs, serialises and retries; the engine reads
 * the evaluation property file from (fake) S3 and applies the definition's retry policies.
 */

const MSE = 123_456.7;
const CAPACITY_ERROR = 'CapacityError: Unable to provision requested ML compute capacity. Please retry using a different ML instance type.';

/** The evaluation job writes its report, as the real evaluate.ts would. */
function writeEvaluation(job: FakeJob, s3: FakeS3): void {
  const config = job.request['ProcessingOutputConfig'] as { Outputs?: { OutputName: string; S3Output: { S3Uri: string } }[] } | undefined;
  const evaluation = config?.Outputs?.find((output) => output.OutputName === 'evaluation');
  if (evaluation) s3.putObject(`${evaluation.S3Output.S3Uri}/evaluation.json`, JSON.stringify({ regression_metrics: { mse: { value: MSE } } }));
}

async function diamondsDefinition(): Promise<PipelineDefinition> {
  const url = pathToFileURL(join(import.meta.dirname, '../examples/diamonds/pipeline.ts')).href;
  const module = (await import(url)) as { default: { definition(): PipelineDefinition } };
  return module.default.definition();
}

/** The example waits 10 s before retrying a capacity error; 1 s keeps the test short. */
function shortenRetryIntervals(definition: PipelineDefinition): PipelineDefinition {
  const steps = definition.Steps.map((step: Step) =>
    'RetryPolicies' in step && step.RetryPolicies
      ? { ...step, RetryPolicies: step.RetryPolicies.map((policy) => ({ ...policy, IntervalSeconds: 1 })) }
      : step,
  );
  return { ...definition, Steps: steps };
}

/** A fake AWS for one test, with the SDK's environment pointed at it. */
async function fakeAws(): Promise<FakeAwsServer> {
  const aws = await FakeAwsServer.start({ onJobCompleted: writeEvaluation });
  for (const [name, value] of Object.entries(aws.env())) vi.stubEnv(name, value);
  onTestFinished(async () => {
    vi.unstubAllEnvs();
    await aws.close();
  });
  return aws;
}

/** An embedded runtime whose only executor is the SageMaker one (SDK clients from the environment). */
function sagemakerRuntime(): { runtime: EmbeddedRuntime; store: MemoryStore } {
  const store = new MemoryStore();
  const executor = sagemakerExecutor({ pollIntervalMs: 10 });
  const artifacts = new S3ArtifactStore({ forcePathStyle: true });
  const runtime = new EmbeddedRuntime({ store, executors: createExecutorRouter([executor]), artifacts, logger: pino({ level: 'silent' }), pollIntervalMs: 20 });
  onTestFinished(async () => {
    await runtime.close();
    await executor.close?.();
    artifacts.close();
  });
  return { runtime, store };
}

async function stepsOf(store: MemoryStore, execution: ExecutionRecord): Promise<Map<string, StepExecutionRecord>> {
  return new Map((await store.listStepExecutions(execution.id)).map((step) => [step.stepName, step]));
}

const statuses = (steps: Map<string, StepExecutionRecord>) => Object.fromEntries([...steps].map(([name, step]) => [name, step.status]));

describe('the diamonds pipeline on the SageMaker backend (fake AWS)', () => {
  it('runs every job-like step as a SageMaker job; a capacity error is retried with a new job name', async () => {
    const aws = await fakeAws();
    const { runtime, store } = sagemakerRuntime();
    aws.sagemaker.failNextJob('TrainingJob', CAPACITY_ERROR);

    const definition = shortenRetryIntervals(await diamondsDefinition());
    const started = await runtime.startExecution({ pipelineName: 'DiamondsPricePipeline', definition, parameters: { MaxDepth: '7' } });
    const finished = await runtime.waitForExecution(started.id);
    const steps = await stepsOf(store, started);

    expect(finished.status, JSON.stringify([...steps.values()].map((s) => [s.stepName, s.status, s.failureReason]))).toBe('Succeeded');
    expect(statuses(steps)).toEqual({
      PreprocessDiamonds: 'Succeeded',
      TrainDiamonds: 'Succeeded',
      EvaluateDiamonds: 'Succeeded',
      CheckMSEDiamonds: 'Succeeded',
      'RegisterDiamonds-RegisterModel': 'Succeeded',
      'CreateDiamondsModel-CreateModel': 'Succeeded',
      TransformDiamonds: 'Succeeded',
    });

    // Training: attempt 1 failed with the capacity error, attempt 2 ran as a new job and succeeded.
    const trainingJobs = aws.sagemaker.listJobs('TrainingJob');
    expect(trainingJobs.map((job) => job.status)).toEqual(['Failed', 'Completed']);
    expect(new Set(trainingJobs.map((job) => job.name)).size).toBe(2);
    expect(steps.get('TrainDiamonds')?.attempt).toBe(2);
    expect(trainingJobs[1]?.request['HyperParameters']).toMatchObject({ max_depth: '7' });

    // Every job-like step went to SageMaker, once.
    expect(aws.sagemaker.listJobs('ProcessingJob').map((job) => job.status)).toEqual(['Completed', 'Completed']);
    expect(aws.sagemaker.listJobs('TransformJob')).toHaveLength(1);
    expect(aws.sagemaker.callCount('CreateModel')).toBe(1);
    expect(aws.sagemaker.listModelPackages()).toHaveLength(1);

    // References resolved from SageMaker's Describe* responses.
    const modelArtifacts = steps.get('TrainDiamonds')?.properties?.['ModelArtifacts'] as { S3ModelArtifacts: string };
    expect(modelArtifacts.S3ModelArtifacts).toBe(`s3://cairn-examples/diamonds/runs/${started.id}/TrainDiamonds/model/${trainingJobs[1]?.name}/output/model.tar.gz`);
    expect(aws.s3.getObject(modelArtifacts.S3ModelArtifacts)).toBeDefined();
    expect(aws.sagemaker.listJobs('TransformJob')[0]?.request['ModelName']).toBe(steps.get('CreateDiamondsModel-CreateModel')?.properties?.['ModelName']);
    expect(steps.get('CheckMSEDiamonds')?.properties).toEqual({ Outcome: true });

    // The registered version is mirrored into Cairn's registry.
    const [version] = await store.listModelPackages({ groupName: 'DiamondsPriceModels' });
    expect(version).toMatchObject({ version: 1, approvalStatus: 'PendingManualApproval', executionArn: started.arn });
  });

  it('CreateTrainingJob throttled five times in a row, then accepted: one training job, the execution succeeds', async () => {
    const aws = await fakeAws();
    const { runtime } = sagemakerRuntime();
    aws.sagemaker.throttle('CreateTrainingJob', 5);
    const started = await runtime.startExecution({ pipelineName: 'DiamondsPricePipeline', definition: await diamondsDefinition() });
    expect((await runtime.waitForExecution(started.id)).status).toBe('Succeeded');
    expect(aws.sagemaker.callCount('CreateTrainingJob')).toBe(6);
    expect(aws.sagemaker.listJobs('TrainingJob')).toHaveLength(1);
  });

  it('stopping the execution during training stops the SageMaker job; the step and the execution end Stopped', async () => {
    const aws = await fakeAws();
    const { runtime, store } = sagemakerRuntime();
    aws.sagemaker.holdJobs('TrainingJob');
    const started = await runtime.startExecution({ pipelineName: 'DiamondsPricePipeline', definition: await diamondsDefinition() });
    await vi.waitFor(() => expect(aws.sagemaker.callCount('DescribeTrainingJob')).toBeGreaterThan(0), { timeout: 10_000 });
    await runtime.stopExecution(started.id);
    const finished = await runtime.waitForExecution(started.id);
    const steps = await stepsOf(store, started);
    expect(finished.status).toBe('Stopped');
    expect(aws.sagemaker.callCount('StopTrainingJob')).toBe(1);
    expect(aws.sagemaker.listJobs('TrainingJob').map((job) => job.status)).toEqual(['Stopped']);
    expect(statuses(steps)).toMatchObject({ PreprocessDiamonds: 'Succeeded', TrainDiamonds: 'Stopped' });
    expect(steps.has('EvaluateDiamonds')).toBe(false);
  });
});

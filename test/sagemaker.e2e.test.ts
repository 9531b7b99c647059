import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EmbeddedRuntime, MemoryStore, createExecutorRouter, type PipelineDefinition, type Step } from '@cairn/core';
import { S3ArtifactStore, sagemakerExecutor } from '@cairn/steps';
import { FakeAwsServer, type FakeJob, type FakeS3 } from '@cairn/test-support/fake-aws/index';

/**
 * The diamonds example end to end with every job-like step on the SageMaker executor, against the
 * loopback fake of SageMaker and S3: the real SDK signs, serialises and retries; the engine reads
 * the evaluation property file from (fake) S3 and retries a capacity error by the step's policy.
 */

const MSE = 123_456.7;

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

describe('the diamonds pipeline on the SageMaker backend (fake AWS)', () => {
  let aws: FakeAwsServer;
  beforeAll(async () => {
    aws = await FakeAwsServer.start({ onJobCompleted: writeEvaluation });
    for (const [name, value] of Object.entries(aws.env())) vi.stubEnv(name, value);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await aws.close();
  });

  it('runs every job-like step as a SageMaker job; a capacity error is retried with a new job name', async () => {
    const store = new MemoryStore();
    const executor = sagemakerExecutor({ pollIntervalMs: 10 });
    const artifacts = new S3ArtifactStore({ forcePathStyle: true });
    const runtime = new EmbeddedRuntime({
      store,
      executors: createExecutorRouter([executor]),
      artifacts,
      logger: pino({ level: 'silent' }),
      pollIntervalMs: 20,
    });
    aws.sagemaker.failNextJob('TrainingJob', 'CapacityError: Unable to provision requested ML compute capacity. Please retry using a different ML instance type.');

    const definition = shortenRetryIntervals(await diamondsDefinition());
    const started = await runtime.startExecution({ pipelineName: 'DiamondsPricePipeline', definition, parameters: { MaxDepth: '7' } });
    const finished = await runtime.waitForExecution(started.id);
    await runtime.close();
    await executor.close?.();
    artifacts.close();

    const steps = await store.listStepExecutions(started.id);
    const byName = new Map(steps.map((step) => [step.stepName, step]));
    expect(finished.status, JSON.stringify(steps.map((s) => [s.stepName, s.status, s.failureReason]))).toBe('Succeeded');
    expect(Object.fromEntries(steps.map((s) => [s.stepName, s.status]))).toEqual({
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
    expect(byName.get('TrainDiamonds')?.attempt).toBe(2);
    expect(trainingJobs[1]?.request['HyperParameters']).toMatchObject({ max_depth: '7' });

    // Every job-like step went to SageMaker, once.
    expect(aws.sagemaker.listJobs('ProcessingJob').map((job) => job.status)).toEqual(['Completed', 'Completed']);
    expect(aws.sagemaker.listJobs('TransformJob')).toHaveLength(1);
    expect(aws.sagemaker.callCount('CreateModel')).toBe(1);
    expect(aws.sagemaker.listModelPackages()).toHaveLength(1);

    // References resolved from SageMaker's Describe* responses.
    const modelArtifacts = byName.get('TrainDiamonds')?.properties?.['ModelArtifacts'] as { S3ModelArtifacts: string };
    expect(modelArtifacts.S3ModelArtifacts).toBe(`s3://cairn-examples/diamonds/runs/${started.id}/TrainDiamonds/model/${trainingJobs[1]?.name}/output/model.tar.gz`);
    expect(aws.s3.getObject(modelArtifacts.S3ModelArtifacts)).toBeDefined();
    const transformJob = aws.sagemaker.listJobs('TransformJob')[0];
    expect(transformJob?.request['ModelName']).toBe(byName.get('CreateDiamondsModel-CreateModel')?.properties?.['ModelName']);
    expect(byName.get('CheckMSEDiamonds')?.properties).toEqual({ Outcome: true });

    // The registered version is mirrored into Cairn's registry.
    const [version] = await store.listModelPackages({ groupName: 'DiamondsPriceModels' });
    expect(version).toMatchObject({ version: 1, approvalStatus: 'PendingManualApproval', executionArn: started.arn });
  });
});

import { describe, expect, it } from 'vitest';
import { ErrorCode, MemoryStore, type JsonObject } from '@cairn/core';
import { sagemakerExecutor } from '../../src/sagemaker/sagemaker-executor.js';
import {
  executionContext,
  pollUntilDone,
  processingArguments,
  sagemakerClient,
  stepRequest,
  trainingArguments,
  useFakeAws,
} from './support.js';

const fake = useFakeAws();
const executor = () => sagemakerExecutor({ client: sagemakerClient(), pollIntervalMs: 10 });

describe('sagemakerExecutor: each step type through start and poll', () => {
  it('runs a training job: properties are DescribeTrainingJob with times as epoch seconds', async () => {
    const ex = executor();
    const ctx = executionContext('Train');
    const handle = await ex.start(stepRequest({ Name: 'Train', Type: 'Training', Arguments: trainingArguments() }, 'pipelines-exec00000001-Train-1'), ctx);
    expect(handle).toMatchObject({ executor: 'sagemaker', name: 'pipelines-exec00000001-Train-1', pollDelayMs: 10 });
    const first = await ex.poll(handle, ctx);
    expect(first).toMatchObject({ state: 'running', handle: { polls: 1, pollDelayMs: 15 } });
    const done = await pollUntilDone(ex, handle, ctx);
    if (done.state !== 'succeeded') throw new Error(`expected success, got ${JSON.stringify(done)}`);
    const artifact = 's3://models/train/pipelines-exec00000001-Train-1/output/model.tar.gz';
    expect(done.properties).toMatchObject({
      TrainingJobName: 'pipelines-exec00000001-Train-1',
      TrainingJobStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: artifact },
      HyperParameters: { max_depth: '5' },
    });
    expect(typeof done.properties['CreationTime']).toBe('number');
    expect(done.properties['CreationTime']).toBeLessThan(Date.now() / 1000 + 1);
    expect(done.properties).not.toHaveProperty('$metadata');
    expect(done.metadata).toEqual({ TrainingJob: { Arn: expect.stringContaining(':training-job/pipelines-exec00000001-train-1') } });
    expect(fake.aws.s3.getObject(artifact)).toBeDefined();
  });

  it('derives a valid SageMaker name from a job name with underscores, deterministically', async () => {
    const ex = executor();
    const request = stepRequest({ Name: 'my_step', Type: 'Training', Arguments: trainingArguments() }, 'pipelines-exec00000001-my_step-1');
    const handle = await ex.start(request, executionContext('my_step'));
    expect(handle['name']).toMatch(/^pipelines-exec00000001-my-step-1-[0-9a-f]{8}$/);
    expect((await ex.start(request, executionContext('my_step')))['name']).toBe(handle['name']);
  });

  it('uses a job-name field kept in the arguments as a prefix (the SDK\'s custom job prefix)', async () => {
    const ex = executor();
    const args = { ...trainingArguments(), TrainingJobName: 'churn-train' };
    const handle = await ex.start(stepRequest({ Name: 'Train', Type: 'Training', Arguments: args }, 'pipelines-exec00000001-Train-9'), executionContext('Train'));
    expect(handle['name']).toMatch(/^churn-train-[0-9a-f]{10}$/);
    expect(fake.aws.sagemaker.listJobs('TrainingJob').map((job) => job.name)).toContain(handle['name']);
  });

  it('runs a tuning job: a ≤32-character name and TrainingJobSummaries best first', async () => {
    const ex = executor();
    const ctx = executionContext('Tune', { stepType: 'Tuning' });
    const args: JsonObject = {
      HyperParameterTuningJobConfig: {
        Strategy: 'Bayesian',
        ResourceLimits: { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 1 },
        HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'validation:mse' },
      },
      TrainingJobDefinition: trainingArguments(),
    };
    const handle = await ex.start(stepRequest({ Name: 'Tune', Type: 'Tuning', Arguments: args }, 'pipelines-exec00000001-Tune-1-abcdefghij'), ctx);
    expect(String(handle['name']).length).toBeLessThanOrEqual(32);
    const done = await pollUntilDone(ex, handle, ctx);
    if (done.state !== 'succeeded') throw new Error(JSON.stringify(done));
    const summaries = done.properties['TrainingJobSummaries'] as JsonObject[];
    expect(summaries.map((s) => (s['FinalHyperParameterTuningJobObjectiveMetric'] as JsonObject)['Value'])).toEqual([0.1, 0.3]);
    expect(done.properties['HyperParameterTuningJobStatus']).toBe('Completed');
    expect(Object.keys(done.metadata ?? {})).toEqual(['TuningJob']);
  });

  it('creates a model (CreateModel → DescribeModel)', async () => {
    const ex = executor();
    const ctx = executionContext('CreateModel', { stepType: 'Model' });
    const args: JsonObject = {
      ExecutionRoleArn: 'arn:aws:iam::000000000000:role/sm',
      PrimaryContainer: { Image: 'img:1', ModelDataUrl: 's3://models/model.tar.gz' },
    };
    const handle = await ex.start(stepRequest({ Name: 'CreateModel', Type: 'Model', Arguments: args }, 'pipelines-exec00000001-CreateModel-1'), ctx);
    const done = await ex.poll(handle, ctx);
    expect(done).toMatchObject({
      state: 'succeeded',
      properties: { ModelName: 'pipelines-exec00000001-CreateModel-1', PrimaryContainer: { Image: 'img:1' } },
      metadata: { Model: { Arn: expect.stringContaining(':model/') } },
    });
  });

  it('registers a model package: creates the group once, is idempotent per job name, mirrors into the local registry', async () => {
    const ex = executor();
    const registry = new MemoryStore();
    const ctx = executionContext('Register', { stepType: 'RegisterModel', registry });
    const args: JsonObject = {
      ModelPackageGroupName: 'churn',
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: { Containers: [{ Image: 'img:1', ModelDataUrl: 's3://models/model.tar.gz' }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
    };
    const request = stepRequest({ Name: 'Register', Type: 'RegisterModel', Arguments: args }, 'pipelines-exec00000001-Register-1');
    const handle = await ex.start(request, ctx);
    const again = await ex.start(request, ctx);
    expect(again['id']).toBe(handle['id']);
    expect(fake.aws.sagemaker.callCount('CreateModelPackageGroup')).toBe(1);
    expect(fake.aws.sagemaker.listModelPackages()).toHaveLength(1);
    const done = await pollUntilDone(ex, handle, ctx);
    if (done.state !== 'succeeded') throw new Error(JSON.stringify(done));
    expect(done.properties).toMatchObject({
      ModelPackageGroupName: 'churn',
      ModelPackageVersion: 1,
      ModelPackageStatus: 'Completed',
      ModelApprovalStatus: 'PendingManualApproval',
      MetadataProperties: { GeneratedBy: ctx.executionArn },
    });
    const mirrored = await registry.getModelPackage(String(done.properties['ModelPackageArn']));
    expect(mirrored).toMatchObject({ groupName: 'churn', version: 1, approvalStatus: 'PendingManualApproval', stepName: 'Register' });
    await ex.poll(handle, ctx);
    expect(await registry.listModelPackages({ groupName: 'churn' })).toHaveLength(1);
  });

  it('runs a transform job that writes its output', async () => {
    const ex = executor();
    const ctx = executionContext('Score', { stepType: 'Transform' });
    const args: JsonObject = {
      ModelName: 'm',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://data/batch.csv' } } },
      TransformOutput: { S3OutputPath: 's3://data/scored' },
      TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1 },
    };
    const handle = await ex.start(stepRequest({ Name: 'Score', Type: 'Transform', Arguments: args }, 'pipelines-exec00000001-Score-1'), ctx);
    expect(await pollUntilDone(ex, handle, ctx)).toMatchObject({ state: 'succeeded', properties: { TransformJobStatus: 'Completed' } });
    expect(fake.aws.s3.readText('s3://data/scored/batch.csv.out')).toBeDefined();
  });

  it('runs a quality check as a processing job: baselines as properties, its own Metadata key', async () => {
    const ex = executor();
    const ctx = executionContext('Check', { stepType: 'QualityCheck' });
    const step = {
      Name: 'Check',
      Type: 'QualityCheck',
      CheckType: 'DATA_QUALITY',
      SkipCheck: false,
      RegisterNewBaseline: false,
      SuppliedBaselineConstraints: 's3://baselines/constraints.json',
      Arguments: processingArguments(),
    };
    const handle = await ex.start(stepRequest(step, 'pipelines-exec00000001-Check-1'), ctx);
    const done = await pollUntilDone(ex, handle, ctx);
    if (done.state !== 'succeeded') throw new Error(JSON.stringify(done));
    expect(done.properties).toMatchObject({
      ProcessingJobStatus: 'Completed',
      CalculatedBaselineStatistics: 's3://data/report/statistics.json',
      CalculatedBaselineConstraints: 's3://data/report/constraints.json',
      BaselineUsedForDriftCheckStatistics: 's3://data/report/statistics.json',
      BaselineUsedForDriftCheckConstraints: 's3://baselines/constraints.json',
    });
    expect(done.metadata).toEqual({
      QualityCheck: expect.objectContaining({ CheckType: 'DATA_QUALITY', SkipCheck: false, CheckJobArn: expect.stringContaining(':processing-job/') }),
    });
  });

  it('runs a clarify check; with RegisterNewBaseline the calculated baseline is the one used', async () => {
    const ex = executor();
    const ctx = executionContext('Bias', { stepType: 'ClarifyCheck' });
    const step = { Name: 'Bias', Type: 'ClarifyCheck', CheckType: 'DATA_BIAS', RegisterNewBaseline: true, SuppliedBaselineConstraints: 's3://b/old.json', Arguments: processingArguments() };
    const done = await pollUntilDone(ex, await ex.start(stepRequest(step, 'pipelines-exec00000001-Bias-1'), ctx), ctx);
    expect(done).toMatchObject({
      state: 'succeeded',
      properties: { CalculatedBaselineConstraints: 's3://data/report/analysis.json', BaselineUsedForDriftCheckConstraints: 's3://data/report/analysis.json' },
      metadata: { ClarifyCheck: { CheckType: 'DATA_BIAS' } },
    });
  });

  it('runs an AutoML job', async () => {
    const ex = executor();
    const ctx = executionContext('Auto', { stepType: 'AutoML' });
    const args: JsonObject = {
      InputDataConfig: [{ DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://data/train' } }, TargetAttributeName: 'y' }],
      OutputDataConfig: { S3OutputPath: 's3://data/automl' },
      RoleArn: 'arn:aws:iam::000000000000:role/sm',
      AutoMLJobConfig: { Mode: 'ENSEMBLING' },
    };
    const handle = await ex.start(stepRequest({ Name: 'Auto', Type: 'AutoML', Arguments: args }, 'pipelines-exec00000001-Auto-1-longer-than-32'), ctx);
    expect(String(handle['name']).length).toBeLessThanOrEqual(32);
    const name = String(handle['name']);
    expect(await pollUntilDone(ex, handle, ctx)).toMatchObject({
      state: 'succeeded',
      properties: {
        AutoMLJobStatus: 'Completed',
        BestCandidateProperties: {
          ModelInsightsJsonReportPath: `s3://data/automl/${name}/insights`,
          ExplainabilityJsonReportPath: `s3://data/automl/${name}/explainability`,
        },
      },
      metadata: { AutoMLJob: { Arn: expect.any(String) } },
    });
  });

  it('refuses a step type it does not run', async () => {
    const request = stepRequest({ Name: 'Fail', Type: 'Fail', Arguments: { ErrorMessage: 'x' } }, 'j');
    await expect(executor().start(request, executionContext('Fail'))).rejects.toMatchObject({ code: ErrorCode.ExecutorMissing });
  });
});

describe('sagemakerExecutor: stop', () => {
  it('stops a running processing job; the step ends stopped', async () => {
    const ex = executor();
    const ctx = executionContext('Prep', { stepType: 'Processing' });
    const handle = await ex.start(stepRequest({ Name: 'Prep', Type: 'Processing', Arguments: processingArguments() }, 'pipelines-exec00000001-Prep-1'), ctx);
    await ex.stop(handle, ctx);
    expect(fake.aws.sagemaker.callCount('StopProcessingJob')).toBe(1);
    expect(await pollUntilDone(ex, handle, ctx)).toMatchObject({ state: 'stopped', properties: { ProcessingJobStatus: 'Stopped' } });
    // Stopping a finished job is not an error.
    await expect(ex.stop(handle, ctx)).resolves.toBeUndefined();
  });
});

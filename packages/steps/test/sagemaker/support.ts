import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { pino } from 'pino';
import { afterAll, beforeAll, vi } from 'vitest';
import {
  MemoryStore,
  StepSchema,
  systemClock,
  type ExecutionContext,
  type ExecutionHandle,
  type JobState,
  type JsonObject,
  type StepExecutor,
  type StepRequest,
} from '@cairn/core';
import { FakeAwsServer, type FakeSageMakerOptions } from '@cairn/test-support/fake-aws/index';
import { S3ArtifactStore } from '../../src/artifacts/s3-artifact-store.js';

/** Starts a fake AWS for the file's tests and points the SDK's environment at it. */
export function useFakeAws(options: FakeSageMakerOptions = {}): { readonly aws: FakeAwsServer } {
  const holder = {} as { aws: FakeAwsServer };
  beforeAll(async () => {
    holder.aws = await FakeAwsServer.start(options);
    for (const [name, value] of Object.entries(holder.aws.env())) vi.stubEnv(name, value);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await holder.aws.close();
  });
  return holder;
}

/** A SageMaker client configured only by the environment (endpoint, credentials, region). */
export function sagemakerClient(): SageMakerClient {
  return new SageMakerClient({});
}

/** An execution context with a silent logger, an in-memory registry and the S3 artifact store. */
export function executionContext(stepName: string, overrides: Partial<ExecutionContext> = {}): ExecutionContext {
  const executionId = 'exec00000001';
  return {
    executionId,
    executionArn: `arn:aws:sagemaker:us-east-1:000000000000:pipeline/p/execution/${executionId}`,
    pipelineName: 'p',
    stepName,
    stepType: 'Training',
    attempt: 1,
    signal: new AbortController().signal,
    logger: pino({ level: 'silent' }),
    clock: systemClock,
    artifacts: new S3ArtifactStore({ forcePathStyle: true }),
    registry: new MemoryStore(),
    ...overrides,
  };
}

/** A step request whose arguments are taken as already resolved. */
export function stepRequest(step: JsonObject, jobName: string): StepRequest {
  const parsed = StepSchema.parse(step);
  const { Name: _n, Type: _t, Arguments, DependsOn: _d, RetryPolicies: _r, CacheConfig: _c, ...stepFields } = step;
  return { step: parsed, arguments: Arguments as JsonObject, jobName, ...(Object.keys(stepFields).length > 0 ? { stepFields } : {}) };
}

/** Training arguments as the SDK writes them. */
export function trainingArguments(bucket = 'models'): JsonObject {
  return {
    AlgorithmSpecification: { TrainingImage: '123.dkr.ecr.us-east-1.amazonaws.com/xgboost:1', TrainingInputMode: 'File' },
    RoleArn: 'arn:aws:iam::000000000000:role/sm',
    OutputDataConfig: { S3OutputPath: `s3://${bucket}/train` },
    ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    HyperParameters: { max_depth: '5' },
    InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://data/train' } } }],
  };
}

/** Processing arguments as the SDK writes them. */
export function processingArguments(): JsonObject {
  return {
    ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 30 } },
    AppSpecification: { ImageUri: '123.dkr.ecr.us-east-1.amazonaws.com/sklearn:1' },
    RoleArn: 'arn:aws:iam::000000000000:role/sm',
    ProcessingOutputConfig: {
      Outputs: [{ OutputName: 'report', S3Output: { S3Uri: 's3://data/report', LocalPath: '/opt/ml/processing/report', S3UploadMode: 'EndOfJob' } }],
    },
  };
}

/** Polls until the job leaves `running` (the fake moves on every Describe call, so no waiting). */
export async function pollUntilDone(executor: StepExecutor, handle: ExecutionHandle, ctx: ExecutionContext): Promise<JobState> {
  let current = handle;
  for (let i = 0; i < 20; i++) {
    const state = await executor.poll(current, ctx);
    if (state.state !== 'running') return state;
    current = state.handle ?? current;
  }
  throw new Error('The job did not finish within 20 polls.');
}

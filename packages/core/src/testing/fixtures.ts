import { randomBytes } from 'node:crypto';
import type { ExecutionRecord, StepExecutionRecord } from '../store/execution-store.js';

/** ARN prefix used by the test fixtures. */
export const TEST_ARN_PREFIX = 'arn:aws:sagemaker:us-east-1:123456789012';

/** A fresh execution id: 12 lowercase alphanumerics, like SageMaker's. */
export function testExecutionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** An `Executing` execution record of pipeline `pipelineName` (default "p"), with overrides. */
export function makeExecutionRecord(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  const id = overrides.id ?? testExecutionId();
  const pipelineName = overrides.pipelineName ?? 'p';
  const pipelineArn = `${TEST_ARN_PREFIX}:pipeline/${pipelineName}`;
  return {
    id,
    arn: `${pipelineArn}/execution/${id}`,
    pipelineName,
    pipelineArn,
    pipelineVersion: 1,
    definition: '{"Version":"2020-12-01","Steps":[]}',
    status: 'Executing',
    parameters: {},
    runtime: 'embedded',
    createdAt: 1_000,
    updatedAt: 1_000,
    version: 1,
    ...overrides,
  };
}

/** A `Starting` step record (version 1) of `executionId`, with overrides. */
export function makeStepRecord(executionId: string, stepName: string, overrides: Partial<StepExecutionRecord> = {}): StepExecutionRecord {
  return {
    executionId,
    stepName,
    stepType: 'Training',
    status: 'Starting',
    attempt: 1,
    updatedAt: 1_000,
    version: 1,
    ...overrides,
  };
}

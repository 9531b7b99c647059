import { setTimeout as delay } from 'node:timers/promises';
import {
  CreatePipelineCommand,
  DescribePipelineCommand,
  DescribePipelineExecutionCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  UpdatePipelineCommand,
  SageMakerClient,
  paginateListPipelineExecutionSteps,
} from '@aws-sdk/client-sagemaker';
import { isTerminalExecutionStatus, type ExecutionStatus, type JsonObject, type StepStatus } from '@cairn/core';
import { classifyAwsError, isAwsError } from './aws-errors.js';
import { responseToJson } from './to-json.js';

/**
 * Publishing to SageMaker Pipelines itself: create or update a pipeline from a definition, start
 * an execution and follow it with the same progress shape as local runs.
 */

/**
 * A SageMaker client for `region` (default: the SDK's own resolution) with the default credential
 * chain; `AWS_ENDPOINT_URL_SAGEMAKER` overrides its endpoint. Call `destroy()` when done.
 */
export function createSageMakerClient(region?: string): SageMakerClient {
  return new SageMakerClient(region ? { region } : {});
}

/** Input of {@link publishPipeline}. */
export interface PublishPipelineInput {
  client: SageMakerClient;
  /** Pipeline name (1–256 characters, `[a-zA-Z0-9](-*[a-zA-Z0-9])*`). */
  name: string;
  /** The definition JSON, as a string (≤ 1 MB). */
  definition: string;
  /** The role SageMaker Pipelines runs the pipeline's jobs with. */
  roleArn: string;
  description?: string;
}

/** What {@link publishPipeline} did. */
export interface PublishedPipeline {
  pipelineArn: string;
  /** `created` for a new pipeline (version 1), `updated` for a new version of an existing one. */
  action: 'created' | 'updated';
  /** The new version: 1 for a created pipeline, UpdatePipeline's `PipelineVersionId` for an update (when SageMaker reports it). */
  versionId?: number;
}

/** Creates the pipeline, or updates it (a new version) when one of that name exists. */
export async function publishPipeline(input: PublishPipelineInput): Promise<PublishedPipeline> {
  const { client, name, definition, roleArn, description } = input;
  const request = {
    PipelineName: name,
    PipelineDefinition: definition,
    RoleArn: roleArn,
    ...(description !== undefined ? { PipelineDescription: description } : {}),
  };
  try {
    const created = await client.send(new CreatePipelineCommand(request));
    // CreatePipeline does not echo a version: a new pipeline is version 1.
    return { pipelineArn: created.PipelineArn ?? '', action: 'created', versionId: 1 };
  } catch (err) {
    // SageMaker says "already exists" with a ValidationException; DescribePipeline confirms it
    // without reading the message.
    if (!isAwsError(err, 'ValidationException', 'ResourceInUse', 'ConflictException') || !(await pipelineExists(client, name))) {
      throw classifyAwsError(err, `Creating pipeline "${name}" on SageMaker`);
    }
  }
  try {
    const updated = await client.send(new UpdatePipelineCommand(request));
    return {
      pipelineArn: updated.PipelineArn ?? '',
      action: 'updated',
      ...(updated.PipelineVersionId !== undefined ? { versionId: updated.PipelineVersionId } : {}),
    };
  } catch (err) {
    throw classifyAwsError(err, `Updating pipeline "${name}" on SageMaker`);
  }
}

async function pipelineExists(client: SageMakerClient, PipelineName: string): Promise<boolean> {
  try {
    await client.send(new DescribePipelineCommand({ PipelineName }));
    return true;
  } catch {
    return false;
  }
}

/** Input of {@link startPipelineExecution}. */
export interface StartPipelineExecutionInput {
  client: SageMakerClient;
  /** Pipeline name or ARN. */
  name: string;
  /** Parameter overrides; values are sent as strings, as SageMaker takes them. */
  parameters?: Readonly<Record<string, string | number | boolean>>;
  displayName?: string;
  description?: string;
  /** `ParallelismConfiguration.MaxParallelExecutionSteps` of this execution. */
  maxParallelExecutionSteps?: number;
}

/** Starts an execution of a published pipeline; returns its ARN. */
export async function startPipelineExecution(input: StartPipelineExecutionInput): Promise<string> {
  const { client, name, parameters = {}, displayName, description, maxParallelExecutionSteps } = input;
  try {
    const response = await client.send(
      new StartPipelineExecutionCommand({
        PipelineName: name,
        PipelineParameters: Object.entries(parameters).map(([Name, value]) => ({ Name, Value: String(value) })),
        ...(displayName !== undefined ? { PipelineExecutionDisplayName: displayName } : {}),
        ...(description !== undefined ? { PipelineExecutionDescription: description } : {}),
        ...(maxParallelExecutionSteps !== undefined ? { ParallelismConfiguration: { MaxParallelExecutionSteps: maxParallelExecutionSteps } } : {}),
      }),
    );
    return response.PipelineExecutionArn ?? '';
  } catch (err) {
    throw classifyAwsError(err, `Starting an execution of pipeline "${name}" on SageMaker`);
  }
}

/** DescribePipelineExecution, as JSON (times in epoch seconds). */
export async function describePipelineExecution(client: SageMakerClient, executionArn: string): Promise<JsonObject> {
  try {
    return responseToJson(await client.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: executionArn })));
  } catch (err) {
    throw classifyAwsError(err, `Describing pipeline execution "${executionArn}"`);
  }
}

/** Every ListPipelineExecutionSteps item of an execution (all pages), as JSON. */
export async function listPipelineExecutionSteps(
  client: SageMakerClient,
  executionArn: string,
  pageSize?: number,
): Promise<JsonObject[]> {
  const steps: JsonObject[] = [];
  try {
    const pages = paginateListPipelineExecutionSteps(
      { client, ...(pageSize !== undefined ? { pageSize } : {}) },
      { PipelineExecutionArn: executionArn },
    );
    for await (const page of pages) {
      for (const step of page.PipelineExecutionSteps ?? []) steps.push(responseToJson(step));
    }
  } catch (err) {
    throw classifyAwsError(err, `Listing the steps of pipeline execution "${executionArn}"`);
  }
  return steps;
}

/** Asks SageMaker to stop an execution. */
export async function stopPipelineExecution(client: SageMakerClient, executionArn: string): Promise<void> {
  try {
    await client.send(new StopPipelineExecutionCommand({ PipelineExecutionArn: executionArn }));
  } catch (err) {
    throw classifyAwsError(err, `Stopping pipeline execution "${executionArn}"`);
  }
}

/** One step of a followed execution, in the units of Cairn's store (epoch milliseconds). */
export interface PipelineStepProgress {
  stepName: string;
  status: StepStatus;
  /** `AttemptCount`. @defaultValue 1 */
  attempt: number;
  startTime?: number;
  endTime?: number;
  failureReason?: string;
  /** The step's `Metadata` as SageMaker gives it. */
  metadata?: JsonObject;
}

/** A snapshot of a followed execution. */
export interface PipelineProgress {
  executionArn: string;
  status: ExecutionStatus;
  failureReason?: string;
  /** Steps in the order they started (SageMaker lists the newest first). */
  steps: PipelineStepProgress[];
  /** The raw DescribePipelineExecution response. */
  execution: JsonObject;
}

/** Input of {@link followPipelineExecution}. */
export interface FollowPipelineExecutionInput {
  client: SageMakerClient;
  executionArn: string;
  /** Delay between polls, in milliseconds. @defaultValue 5_000 */
  pollIntervalMs?: number;
  /** Stops following (not the execution) when aborted. */
  signal?: AbortSignal;
}

/**
 * Polls an execution and yields a snapshot whenever it changes, until the execution is terminal
 * (the last snapshot yielded is the terminal one).
 */
export async function* followPipelineExecution(input: FollowPipelineExecutionInput): AsyncGenerator<PipelineProgress> {
  const { client, executionArn, pollIntervalMs = 5_000, signal } = input;
  let previous = '';
  for (;;) {
    const progress = await pipelineProgress(client, executionArn);
    const seen = JSON.stringify([progress.status, progress.steps]);
    if (seen !== previous) yield progress;
    previous = seen;
    if (isTerminalExecutionStatus(progress.status)) return;
    await delay(pollIntervalMs, undefined, signal ? { signal } : {});
  }
}

async function pipelineProgress(client: SageMakerClient, executionArn: string): Promise<PipelineProgress> {
  const execution = await describePipelineExecution(client, executionArn);
  const steps = (await listPipelineExecutionSteps(client, executionArn)).map(stepProgress);
  steps.sort((a, b) => (a.startTime ?? Number.MAX_SAFE_INTEGER) - (b.startTime ?? Number.MAX_SAFE_INTEGER));
  const failureReason = execution['FailureReason'];
  return {
    executionArn,
    status: execution['PipelineExecutionStatus'] as ExecutionStatus,
    ...(typeof failureReason === 'string' ? { failureReason } : {}),
    steps,
    execution,
  };
}

function stepProgress(step: JsonObject): PipelineStepProgress {
  const { StartTime, EndTime, FailureReason, Metadata, AttemptCount } = step;
  return {
    stepName: String(step['StepName']),
    status: step['StepStatus'] as StepStatus,
    attempt: typeof AttemptCount === 'number' ? AttemptCount : 1,
    ...(typeof StartTime === 'number' ? { startTime: Math.round(StartTime * 1000) } : {}),
    ...(typeof EndTime === 'number' ? { endTime: Math.round(EndTime * 1000) } : {}),
    ...(typeof FailureReason === 'string' ? { failureReason: FailureReason } : {}),
    ...(Metadata && typeof Metadata === 'object' && !Array.isArray(Metadata) ? { metadata: Metadata } : {}),
  };
}

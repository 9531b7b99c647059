import { isTerminalExecutionStatus, resolveParameters, type ExecutionRecord, type StepExecutionRecord, type StepType } from '@cairn/core';
import type { createSageMakerClient, PipelineProgress, PipelineStepProgress, PublishedPipeline } from '@cairn/steps/aws';
import type { CliEnv } from './env.js';
import { ExitCode, inputError } from './exit.js';
import { createView, type FollowOptions } from './follow.js';
import { formatDuration, writeJson, writeLine } from './output.js';
import type { CheckedPipeline } from './pipeline-file.js';
import type { ProgressView } from './progress.js';
import { pipelineExecutionSteps } from './shapes.js';

/**
 * `cairn publish` and `cairn run --on sagemaker-pipelines`: the definition goes to SageMaker
 * Pipelines itself (CreatePipeline / UpdatePipeline), executions run there and are followed with
 * the same progress view as local runs. Credentials come from the AWS SDK's default chain.
 */

/** The runtime name `cairn run --on` takes for SageMaker Pipelines. */
export const SAGEMAKER_PIPELINES = 'sagemaker-pipelines';

/** Where and how to publish. */
export interface PublishOptions {
  /** `--role-arn`, else `sagemaker.roleArn` of cairn.config.json. */
  roleArn?: string;
  description?: string;
}

/** What `cairn run --on sagemaker-pipelines` takes. */
export interface SageMakerRunOptions extends FollowOptions {
  roleArn?: string;
  param?: Record<string, string>;
  displayName?: string;
  /** The execution's description. */
  description?: string;
  maxParallel?: number;
  select?: string[];
}

type SageMakerClient = ReturnType<typeof createSageMakerClient>;

/** Creates the pipeline on SageMaker Pipelines, or updates it to a new version. */
export async function publishToSageMaker(env: CliEnv, pipeline: CheckedPipeline, options: PublishOptions): Promise<PublishedPipeline> {
  env.usePipelineFile(pipeline.file);
  const config = await env.config();
  const roleArn = options.roleArn ?? config.sagemaker.roleArn;
  if (roleArn === undefined) {
    throw inputError('Publishing to SageMaker Pipelines needs the IAM role its jobs run with.', 'pass --role-arn arn:aws:iam::<account>:role/<name>, or set "sagemaker": { "roleArn": "…" } in cairn.config.json.');
  }
  const { publishPipeline } = await import('@cairn/steps/aws');
  return publishPipeline({
    client: await sagemakerClient(env),
    name: pipeline.name,
    definition: JSON.stringify(pipeline.definition),
    roleArn,
    ...(options.description !== undefined ? { description: options.description } : {}),
  });
}

/** A one-line account of a publish: what happened, the version and the ARN. */
export function describePublished(name: string, published: PublishedPipeline): string {
  const version = published.versionId !== undefined ? ` (version ${published.versionId})` : '';
  return `${published.action === 'created' ? 'Created' : 'Updated'} pipeline ${name}${version}: ${published.pipelineArn}`;
}

/**
 * Publishes the pipeline, starts an execution on SageMaker Pipelines and follows it to the end.
 * Exit codes as for local runs: 0 Succeeded, 1 Failed or Stopped, 2 invalid input, 130 after a second Ctrl-C.
 */
export async function runOnSageMakerPipelines(env: CliEnv, pipeline: CheckedPipeline, options: SageMakerRunOptions): Promise<ExitCode> {
  if (options.select) throw inputError('--select is not supported with --on sagemaker-pipelines.', 'run the whole pipeline there, or run selectively on this machine (without --on).');
  const parameters = options.param ?? {};
  // Checked here, so a typo is exit code 2 before anything is published.
  resolveParameters(pipeline.definition.Parameters ?? [], parameters);
  const published = await publishToSageMaker(env, pipeline, options.roleArn !== undefined ? { roleArn: options.roleArn } : {});
  const { startPipelineExecution } = await import('@cairn/steps/aws');
  const client = await sagemakerClient(env);
  const executionArn = await startPipelineExecution({
    client,
    name: pipeline.name,
    parameters,
    ...(options.displayName !== undefined ? { displayName: options.displayName } : {}),
    ...(options.description !== undefined ? { description: options.description } : {}),
    ...(options.maxParallel !== undefined ? { maxParallelExecutionSteps: options.maxParallel } : {}),
  });
  const notes = options.json ? env.io.stderr : env.io.stdout;
  writeLine(notes, describePublished(pipeline.name, published));
  const records = new RecordMapper(pipeline, published, executionArn);
  const view = createView(env, records.execution(undefined), options);
  try {
    const last = await followToEnd(env, client, executionArn, view, records);
    view.finish();
    if (last === undefined) return ExitCode.Interrupted;
    printResult(env, records, last, options);
    return last.status === 'Succeeded' ? ExitCode.Ok : ExitCode.Failed;
  } finally {
    view.finish();
  }
}

/** Feeds snapshots to the view until the execution ends; `undefined` after a second Ctrl-C (the first one stops the execution). */
async function followToEnd(env: CliEnv, client: SageMakerClient, executionArn: string, view: ProgressView, records: RecordMapper): Promise<PipelineProgress | undefined> {
  const { followPipelineExecution, stopPipelineExecution } = await import('@cairn/steps/aws');
  const abandon = new AbortController();
  let interrupts = 0;
  const off = env.io.onInterrupt(() => {
    interrupts += 1;
    if (interrupts > 1) return abandon.abort();
    view.note(`Stopping execution ${executionArn} on SageMaker Pipelines. Press Ctrl-C again to exit at once.`);
    stopPipelineExecution(client, executionArn).catch((err: unknown) => view.note(`Could not stop it: ${(err as Error).message}`));
  });
  const pollIntervalMs = (await env.config()).sagemaker.pollIntervalMs ?? 5_000;
  let last: PipelineProgress | undefined;
  try {
    for await (const progress of followPipelineExecution({ client, executionArn, pollIntervalMs, signal: abandon.signal })) {
      last = progress;
      view.update({ type: 'execution', execution: records.execution(progress) });
      for (const step of progress.steps) view.update({ type: 'step', executionId: records.id, step: records.step(step) });
    }
    return last;
  } catch (err) {
    if (abandon.signal.aborted) return undefined;
    throw err;
  } finally {
    off();
  }
}

function printResult(env: CliEnv, records: RecordMapper, last: PipelineProgress, options: FollowOptions): void {
  const steps = last.steps.map((s) => records.step(s));
  if (options.json) {
    writeJson(env.io.stdout, { ...last.execution, PipelineExecutionSteps: pipelineExecutionSteps(steps) });
    return;
  }
  const execution = records.execution(last);
  writeLine(env.io.stdout, `Execution ${execution.id} ${execution.status} after ${formatDuration(execution.updatedAt - execution.createdAt)} on SageMaker Pipelines.`);
  if (execution.failureReason) writeLine(env.io.stdout, `Failure reason: ${execution.failureReason}`);
  for (const step of steps.filter((s) => s.status === 'Failed')) writeLine(env.io.stdout, `  ${step.stepName}: ${step.failureReason ?? 'failed'}`);
  writeLine(env.io.stdout, `Details: aws sagemaker list-pipeline-execution-steps --pipeline-execution-arn ${execution.arn}`);
}

/** Turns SageMaker's snapshots into the records the progress views show. */
class RecordMapper {
  readonly id: string;
  private readonly types: Map<string, StepType>;
  private readonly startedAt = Date.now();

  constructor(
    private readonly pipeline: CheckedPipeline,
    private readonly published: PublishedPipeline,
    private readonly arn: string,
  ) {
    this.id = arn.slice(arn.lastIndexOf('/') + 1);
    this.types = new Map([...pipeline.compiled.steps.values()].map((compiled) => [compiled.name, compiled.step.Type]));
  }

  execution(progress: PipelineProgress | undefined): ExecutionRecord {
    const seconds = (key: string) => (typeof progress?.execution[key] === 'number' ? (progress.execution[key] as number) * 1000 : undefined);
    const createdAt = seconds('CreationTime') ?? this.startedAt;
    const updatedAt = seconds('LastModifiedTime') ?? createdAt;
    const status = progress?.status ?? 'Executing';
    return {
      id: this.id,
      arn: this.arn,
      pipelineName: this.pipeline.name,
      pipelineArn: this.published.pipelineArn,
      pipelineVersion: this.published.versionId ?? 1,
      definition: '',
      status,
      parameters: {},
      runtime: SAGEMAKER_PIPELINES,
      createdAt,
      updatedAt,
      ...(isTerminalExecutionStatus(status) ? { endedAt: updatedAt } : {}),
      ...(progress?.failureReason !== undefined ? { failureReason: progress.failureReason } : {}),
      version: 0,
    };
  }

  step(step: PipelineStepProgress): StepExecutionRecord {
    return {
      executionId: this.id,
      stepName: step.stepName,
      stepType: this.types.get(step.stepName) ?? 'Processing',
      status: step.status,
      attempt: step.attempt,
      ...(step.startTime !== undefined ? { startTime: step.startTime } : {}),
      ...(step.endTime !== undefined ? { endTime: step.endTime } : {}),
      ...(step.failureReason !== undefined ? { failureReason: step.failureReason } : {}),
      ...(step.metadata !== undefined ? { metadata: step.metadata } : {}),
      updatedAt: step.endTime ?? step.startTime ?? Date.now(),
      version: 0,
    };
  }
}

const clients = new WeakMap<CliEnv, Promise<SageMakerClient>>();

/** One SageMaker client per command (region from cairn.config.json), destroyed when the command ends. */
function sagemakerClient(env: CliEnv): Promise<SageMakerClient> {
  let client = clients.get(env);
  if (!client) {
    client = openClient(env);
    clients.set(env, client);
  }
  return client;
}

async function openClient(env: CliEnv): Promise<SageMakerClient> {
  const { createSageMakerClient } = await import('@cairn/steps/aws');
  const client = createSageMakerClient((await env.config()).sagemaker.region);
  env.onClose(async () => client.destroy());
  return client;
}

import type { Command } from 'commander';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { writeJson, writeLine } from '../output.js';
import { loadCheckedPipeline } from '../pipeline-file.js';
import { describePublished, publishToSageMaker } from '../sagemaker-pipelines.js';

interface PublishCommandOptions {
  name?: string;
  roleArn?: string;
  description?: string;
  json?: boolean;
}

/** `cairn publish <pipeline>`: creates or updates the pipeline on SageMaker Pipelines. */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('publish')
    .description('Create the pipeline on SageMaker Pipelines, or update it to a new version (CreatePipeline / UpdatePipeline).')
    .argument('<pipeline>', 'pipeline module (.ts, .js, .mjs) or definition (.json)')
    .option('--name <name>', 'pipeline name (default: the DSL name, else the file name)')
    .option('--role-arn <arn>', 'IAM role SageMaker Pipelines runs the jobs with (default: sagemaker.roleArn of cairn.config.json)')
    .option('--description <text>', 'pipeline description')
    .option('--json', 'print {PipelineArn, PipelineVersionId, Action} as JSON')
    .action(env.action((file: string, options: PublishCommandOptions) => publish(env, file, options)));
  addHelpSections(command, {
    examples: [
      'cairn publish examples/diamonds/pipeline.ts --name diamonds --role-arn arn:aws:iam::123456789012:role/SageMakerPipelines',
      'cairn publish definition.json --name churn --description "weekly retrain" --json',
    ],
    exitCodes: { 0: 'the pipeline was created or updated', 1: 'SageMaker refused or failed the request', 2: 'invalid input: unreadable file, invalid definition, no role ARN, bad credentials configuration' },
    notes: 'Credentials come from the AWS SDK default chain (AWS_PROFILE, ~/.aws, SSO, environment, instance role); AWS_ENDPOINT_URL_SAGEMAKER overrides the endpoint.',
  });
}

async function publish(env: CliEnv, file: string, options: PublishCommandOptions): Promise<ExitCode> {
  const pipeline = await loadCheckedPipeline(env.io, file, options);
  const published = await publishToSageMaker(env, pipeline, {
    ...(options.roleArn !== undefined ? { roleArn: options.roleArn } : {}),
    ...(options.description !== undefined ? { description: options.description } : {}),
  });
  if (options.json) {
    writeJson(env.io.stdout, { PipelineArn: published.pipelineArn, PipelineVersionId: published.versionId ?? null, Action: published.action });
  } else {
    writeLine(env.io.stdout, describePublished(pipeline.name, published));
  }
  return ExitCode.Ok;
}

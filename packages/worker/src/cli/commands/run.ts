import { Option, type Command } from 'commander';
import type { CliEnv } from '../env.js';
import { inputError, type ExitCode } from '../exit.js';
import { followExecution } from '../follow.js';
import { addHelpSections } from '../help.js';
import { collectAssignment, parseList, parsePositiveInt } from '../parsers.js';
import { loadCheckedPipeline } from '../pipeline-file.js';
import { SAGEMAKER_PIPELINES, runOnSageMakerPipelines } from '../sagemaker-pipelines.js';

interface RunOptions {
  param?: Record<string, string>;
  name?: string;
  displayName?: string;
  description?: string;
  maxParallel?: number;
  json?: boolean;
  progress: boolean;
  select?: string[];
  from?: string;
  on: string;
  roleArn?: string;
}

/** `cairn run <pipeline>`: runs a pipeline on the embedded runtime and follows it to the end. */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('run')
    .description('Run a pipeline on this machine (embedded runtime, local executors) and follow it until it ends.')
    .argument('<pipeline>', 'pipeline module (.ts, .js, .mjs) or definition (.json)')
    .option('-p, --param <Name=Value>', 'parameter value (repeatable); converted to the declared type', collectAssignment)
    .option('--name <name>', 'pipeline name (default: the DSL name, else the file name)')
    .option('--display-name <name>', 'execution display name')
    .option('--description <text>', 'execution description')
    .option('--max-parallel <n>', 'at most n steps run at once (MaxParallelExecutionSteps)', parsePositiveInt)
    .option('--select <steps>', 'selective execution: run only these steps (comma-separated)', parseList)
    .option('--from <execution-id>', 'with --select: take the other steps from this execution')
    .option('--json', 'print only the final execution with its steps as JSON (DescribePipelineExecution + ListPipelineExecutionSteps shapes)')
    .option('--no-progress', 'do not show progress; print the result only')
    .addOption(new Option('--on <runtime>', 'where the execution runs: here, or published to and run on SageMaker Pipelines').choices(['embedded', SAGEMAKER_PIPELINES]).default('embedded'))
    .option('--role-arn <arn>', `with --on ${SAGEMAKER_PIPELINES}: the IAM role of the pipeline (default: sagemaker.roleArn of cairn.config.json)`)
    .action(env.action((file: string, options: RunOptions) => run(env, file, options)));
  addHelpSections(command, {
    examples: [
      'cairn run examples/diamonds/pipeline.ts',
      'cairn run pipeline.ts --param MseThreshold=500000 --param NumRound=50',
      'cairn run definition.json --json > result.json',
      'cairn run pipeline.ts --select TrainDiamonds,EvaluateDiamonds --from abc123def456',
      `cairn run pipeline.ts --on ${SAGEMAKER_PIPELINES} --name diamonds --role-arn arn:aws:iam::123456789012:role/SageMakerPipelines`,
    ],
    exitCodes: {
      0: 'the execution Succeeded',
      1: 'the execution Failed or was Stopped (Ctrl-C once stops it gracefully)',
      2: 'invalid input: unreadable file, invalid definition, bad parameters or flags',
      130: 'Ctrl-C pressed twice: exited without waiting for running steps',
    },
    notes: 'Callback steps print their token; complete them from another terminal with `cairn callback succeed <token>`.',
  });
}

async function run(env: CliEnv, file: string, options: RunOptions): Promise<ExitCode> {
  if (options.from !== undefined && options.select === undefined) {
    throw inputError('--from needs --select.', 'name the steps to run with --select Step,Step (the others are taken from the --from execution).');
  }
  const pipeline = await loadCheckedPipeline(env.io, file, options);
  env.usePipelineFile(pipeline.file);
  if (options.on === SAGEMAKER_PIPELINES) return runOnSageMakerPipelines(env, pipeline, options);
  return followExecution(
    env,
    (runtime) =>
      runtime.startExecution({
        pipelineName: pipeline.name,
        definition: pipeline.definition,
        parameters: options.param ?? {},
        ...(options.displayName !== undefined ? { displayName: options.displayName } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.maxParallel !== undefined ? { maxParallelExecutionSteps: options.maxParallel } : {}),
        ...(options.select ? { selectiveExecution: { selectedSteps: options.select, ...(options.from !== undefined ? { sourceExecutionId: options.from } : {}) } } : {}),
      }),
    options,
  );
}

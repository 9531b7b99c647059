import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { JobState, JsonObject } from '@cairn/core';
import {
  epochSeconds,
  failedState,
  fetchSubmitDirectory,
  hasEntries,
  packAndStore,
  parseArguments,
  resourceArn,
  runContainer,
  runFailure,
  withProperties,
  type LocalJob,
} from './job.js';
import { resolveImage } from '../config.js';
import { collectMetrics } from './metrics.js';
import { OPT_ML, createSandbox, type Sandbox } from './sandbox.js';

/** The part of CreateTrainingJob (and of a tuning job's TrainingJobDefinition) the local executor reads. */
export const TrainingArgumentsSchema = z.looseObject({
  AlgorithmSpecification: z.looseObject({
    TrainingImage: z.string({ error: 'TrainingImage is required locally (AlgorithmName needs SageMaker).' }),
    TrainingInputMode: z.string().optional(),
    ContainerEntrypoint: z.array(z.string()).optional(),
    ContainerArguments: z.array(z.string()).optional(),
    MetricDefinitions: z.array(z.looseObject({ Name: z.string(), Regex: z.string() })).optional(),
  }),
  HyperParameters: z.record(z.string(), z.string()).optional(),
  InputDataConfig: z
    .array(
      z.looseObject({
        ChannelName: z.string(),
        DataSource: z.looseObject({ S3DataSource: z.looseObject({ S3Uri: z.string(), S3DataType: z.string().optional() }) }),
        ContentType: z.string().optional(),
        InputMode: z.string().optional(),
      }),
    )
    .optional(),
  OutputDataConfig: z.looseObject({ S3OutputPath: z.string() }),
  ResourceConfig: z.looseObject({ InstanceType: z.string().optional() }).optional(),
  StoppingCondition: z.looseObject({ MaxRuntimeInSeconds: z.number().int().positive().optional() }).optional(),
  Environment: z.record(z.string(), z.string()).optional(),
});
export type TrainingArguments = z.infer<typeof TrainingArgumentsSchema>;

/** One training job to run: its arguments, name and sandbox directory. */
export interface TrainingRun {
  name: string;
  args: TrainingArguments;
  /** The arguments as given, echoed in DescribeTrainingJob. */
  raw: JsonObject;
  root: string;
  /** Extra DescribeTrainingJob members (e.g. `TuningJobArn`). */
  extra?: JsonObject;
}

/** The Training step runner. */
export function runTrainingStep(job: LocalJob): Promise<JobState> {
  const args = parseArguments(TrainingArgumentsSchema, job);
  return runTraining(job, { name: job.request.jobName, args, raw: job.request.arguments, root: job.root });
}

/**
 * Runs a training job under the container contract: config files, channels, `SM_*` variables,
 * script mode, metrics from the logs, `model.tar.gz` and `output.tar.gz` under `S3OutputPath`.
 */
export async function runTraining(job: LocalJob, run: TrainingRun): Promise<JobState> {
  const { args, name } = run;
  const started = epochSeconds(job);
  const outputPrefix = `${args.OutputDataConfig.S3OutputPath.replace(/\/+$/, '')}/${name}/output`;
  const metrics = collectMetrics(args.AlgorithmSpecification.MetricDefinitions ?? [], () => epochSeconds(job));
  const describe = (status: string, extra: JsonObject = {}): JsonObject => {
    const end = epochSeconds(job);
    return {
      ...run.raw,
      TrainingJobName: name,
      TrainingJobArn: resourceArn(job, 'training-job', name),
      ...run.extra,
      TrainingJobStatus: status,
      SecondaryStatus: status,
      HyperParameters: args.HyperParameters ?? {},
      FinalMetricDataList: metrics.final(),
      CreationTime: started,
      TrainingStartTime: started,
      TrainingEndTime: end,
      LastModifiedTime: end,
      TrainingTimeInSeconds: Math.round(end - started),
      BillableTimeInSeconds: Math.round(end - started),
      ...extra,
    };
  };
  try {
    resolveImage(job.config, args.AlgorithmSpecification.TrainingImage); // fail fast, before channels are linked
    const sandbox = await createSandbox(run.root);
    const contract = await prepareTrainingContainer(job, sandbox, run);
    const maxRuntime = args.StoppingCondition?.MaxRuntimeInSeconds;
    const outcome = await runContainer(job, {
      sandbox,
      image: args.AlgorithmSpecification.TrainingImage,
      ...contract,
      env: args.Environment,
      timeoutSeconds: maxRuntime,
      onLine: metrics.onLine,
    });
    const failure = await runFailure(job, sandbox, outcome, maxRuntime);
    if (failure) {
      const secondary = outcome.timedOut ? { SecondaryStatus: 'MaxRuntimeExceeded' } : {};
      return withProperties(failure.state, describe(failure.status, { FailureReason: failure.reason, ...secondary }));
    }
    await packAndStore(job, sandbox, join(sandbox.optMl, 'model'), `${outputPrefix}/model.tar.gz`);
    const outputData = join(sandbox.optMl, 'output', 'data');
    if (await hasEntries(outputData)) await packAndStore(job, sandbox, outputData, `${outputPrefix}/output.tar.gz`);
    return { state: 'succeeded', properties: describe('Completed', { ModelArtifacts: { S3ModelArtifacts: `${outputPrefix}/model.tar.gz` } }) };
  } catch (err) {
    return failedState(err, describe('Failed', { FailureReason: err instanceof Error ? err.message : String(err) }));
  }
}

/** Writes the config files, materialises the channels and works out the command and `SM_*` environment. */
async function prepareTrainingContainer(job: LocalJob, sandbox: Sandbox, run: TrainingRun) {
  const { args } = run;
  const dir = (...parts: string[]) => join(sandbox.optMl, ...parts);
  for (const d of [['model'], ['output', 'data'], ['output', 'intermediate'], ['input', 'config'], ['code']]) {
    await mkdir(dir(...d), { recursive: true });
  }
  const hyperParameters = args.HyperParameters ?? {};
  const channels = args.InputDataConfig ?? [];
  const instanceType = args.ResourceConfig?.InstanceType ?? 'local';
  const resourceConfig = {
    current_host: 'algo-1',
    current_instance_type: instanceType,
    current_group_name: 'homogeneousCluster',
    hosts: ['algo-1'],
    instance_groups: [{ instance_group_name: 'homogeneousCluster', instance_type: instanceType, hosts: ['algo-1'] }],
    network_interface_name: 'eth0',
  };
  const inputDataConfig = Object.fromEntries(
    channels.map((c) => [
      c.ChannelName,
      {
        TrainingInputMode: c.InputMode ?? args.AlgorithmSpecification.TrainingInputMode ?? 'File',
        S3DistributionType: 'FullyReplicated',
        RecordWrapperType: 'None',
        ...(c.ContentType ? { ContentType: c.ContentType } : {}),
      },
    ]),
  );
  await writeFile(dir('input', 'config', 'hyperparameters.json'), JSON.stringify(hyperParameters));
  await writeFile(dir('input', 'config', 'inputdataconfig.json'), JSON.stringify(inputDataConfig));
  await writeFile(dir('input', 'config', 'resourceconfig.json'), JSON.stringify(resourceConfig));
  for (const c of channels) await job.artifacts.materialize(c.DataSource.S3DataSource.S3Uri, dir('input', 'data', c.ChannelName));

  const script = scriptMode(hyperParameters);
  const userHps = Object.fromEntries(Object.entries(hyperParameters).filter(([k]) => !k.startsWith('sagemaker_')).map(([k, v]) => [k, decodeHyperParameter(v)]));
  const userArgs = Object.entries(userHps).flatMap(([k, v]) => [`--${k}`, typeof v === 'string' ? v : JSON.stringify(v)]);
  if (script && !args.AlgorithmSpecification.ContainerEntrypoint) {
    await fetchSubmitDirectory(job, script.submitDirectory, dir('code'));
  }
  const opt = (...parts: string[]) => [OPT_ML, ...parts].join('/');
  const env = trainingEnvironment({
    name: run.name,
    hyperParameters: userHps,
    userArgs,
    channels: channels.map((c) => c.ChannelName),
    resourceConfig,
    inputDataConfig,
    program: script?.program,
    opt,
  });
  const relocated = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.split(OPT_ML).join(sandbox.optMl)]));
  if (script && !args.AlgorithmSpecification.ContainerEntrypoint) {
    const mapping = job.config.images[args.AlgorithmSpecification.TrainingImage];
    const entrypoint = mapping?.runtime === 'process' && mapping.entrypoint ? undefined : [script.program];
    return { entrypoint, args: userArgs, contractEnv: relocated, cwd: dir('code') };
  }
  const containerArgs = args.AlgorithmSpecification.ContainerArguments ?? (args.AlgorithmSpecification.ContainerEntrypoint ? [] : ['train']);
  return { entrypoint: args.AlgorithmSpecification.ContainerEntrypoint, args: containerArgs, contractEnv: relocated, cwd: dir('code') };
}

/** `sagemaker_program` / `sagemaker_submit_directory` (JSON-quoted, as the SDK writes them). */
function scriptMode(hps: Record<string, string>): { program: string; submitDirectory: string } | undefined {
  const program = hps['sagemaker_program'];
  const submitDirectory = hps['sagemaker_submit_directory'];
  if (program === undefined || submitDirectory === undefined) return undefined;
  return { program: String(decodeHyperParameter(program)), submitDirectory: String(decodeHyperParameter(submitDirectory)) };
}

/** The toolkit's decoding: JSON when it parses, else the string itself. */
function decodeHyperParameter(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** The `SM_*` variables of sagemaker-training-toolkit (paths as in the container). */
function trainingEnvironment(input: {
  name: string;
  hyperParameters: Record<string, unknown>;
  userArgs: string[];
  channels: string[];
  resourceConfig: JsonObject;
  inputDataConfig: JsonObject;
  program: string | undefined;
  opt: (...parts: string[]) => string;
}): Record<string, string> {
  const { opt } = input;
  const moduleName = input.program?.replace(/\.[^.]+$/, '') ?? '';
  const channelDirs = Object.fromEntries(input.channels.map((c) => [c, opt('input', 'data', c)]));
  const trainingEnv = {
    job_name: input.name,
    current_host: 'algo-1',
    hosts: ['algo-1'],
    hyperparameters: input.hyperParameters,
    channel_input_dirs: channelDirs,
    input_data_config: input.inputDataConfig,
    resource_config: input.resourceConfig,
    input_dir: opt('input'),
    input_config_dir: opt('input', 'config'),
    model_dir: opt('model'),
    output_dir: opt('output'),
    output_data_dir: opt('output', 'data'),
    output_intermediate_dir: opt('output', 'intermediate'),
    module_dir: opt('code'),
    module_name: moduleName,
    user_entry_point: input.program ?? '',
    network_interface_name: 'eth0',
    num_cpus: availableParallelism(),
    num_gpus: 0,
    log_level: 20,
  };
  return {
    SM_MODEL_DIR: opt('model'),
    SM_CHANNELS: JSON.stringify(input.channels),
    ...Object.fromEntries(input.channels.map((c) => [`SM_CHANNEL_${c.toUpperCase()}`, opt('input', 'data', c)])),
    SM_HPS: JSON.stringify(input.hyperParameters),
    ...Object.fromEntries(Object.entries(input.hyperParameters).map(([k, v]) => [`SM_HP_${k.toUpperCase()}`, typeof v === 'string' ? v : JSON.stringify(v)])),
    SM_CURRENT_HOST: 'algo-1',
    SM_CURRENT_INSTANCE_TYPE: String(input.resourceConfig['current_instance_type']),
    SM_HOSTS: JSON.stringify(['algo-1']),
    SM_NETWORK_INTERFACE_NAME: 'eth0',
    SM_NUM_CPUS: String(availableParallelism()),
    SM_NUM_GPUS: '0',
    SM_LOG_LEVEL: '20',
    SM_INPUT_DIR: opt('input'),
    SM_INPUT_CONFIG_DIR: opt('input', 'config'),
    SM_INPUT_DATA_CONFIG: JSON.stringify(input.inputDataConfig),
    SM_RESOURCE_CONFIG: JSON.stringify(input.resourceConfig),
    SM_OUTPUT_DIR: opt('output'),
    SM_OUTPUT_DATA_DIR: opt('output', 'data'),
    SM_OUTPUT_INTERMEDIATE_DIR: opt('output', 'intermediate'),
    SM_MODULE_DIR: opt('code'),
    SM_MODULE_NAME: moduleName,
    SM_USER_ENTRY_POINT: input.program ?? '',
    SM_USER_ARGS: JSON.stringify(input.userArgs),
    SM_FRAMEWORK_PARAMS: '{}',
    SM_TRAINING_ENV: JSON.stringify(trainingEnv),
    TRAINING_JOB_NAME: input.name,
  };
}

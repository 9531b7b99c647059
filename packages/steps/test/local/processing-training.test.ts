import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { list } from 'tar';
import { describe, expect, it } from 'vitest';
import { makeHarness, NODE_IMAGE, step, succeeded } from './harness.js';

const processingArgs = (mode: string, extra: Record<string, unknown> = {}) => ({
  ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 30 } },
  AppSpecification: { ImageUri: NODE_IMAGE, ContainerEntrypoint: ['node', '/opt/ml/processing/input/code/contract.ts'], ContainerArguments: ['--out', '/opt/ml/processing/output/result'] },
  RoleArn: 'arn:aws:iam::1:role/r',
  Environment: { MODE: mode, CUSTOM: '/opt/ml/processing/input/data' },
  ProcessingInputs: [
    { InputName: 'code', S3Input: { S3Uri: 's3://fixtures/code', LocalPath: '/opt/ml/processing/input/code', S3DataType: 'S3Prefix' } },
    { InputName: 'data', S3Input: { S3Uri: 's3://data/raw/data.csv', LocalPath: '/opt/ml/processing/input/data', S3DataType: 'S3Prefix' } },
  ],
  ProcessingOutputConfig: { Outputs: [{ OutputName: 'result', S3Output: { S3Uri: 's3://out/prep/result', LocalPath: '/opt/ml/processing/output/result', S3UploadMode: 'EndOfJob' } }] },
  ...extra,
});

const trainingArgs = (hps: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  AlgorithmSpecification: {
    TrainingImage: NODE_IMAGE,
    TrainingInputMode: 'File',
    MetricDefinitions: [
      { Name: 'val:mse', Regex: 'val_mse=([0-9.]+)' },
      { Name: 'train:loss', Regex: 'train_loss=([0-9.]+)' },
      { Name: 'never', Regex: 'nope=([0-9.]+)' },
    ],
  },
  RoleArn: 'arn:aws:iam::1:role/r',
  HyperParameters: { sagemaker_program: '"contract.ts"', sagemaker_submit_directory: '"s3://fixtures/code"', epochs: '5', eta: '0.1', ...hps },
  InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://data/raw' } }, ContentType: 'text/csv' }],
  OutputDataConfig: { S3OutputPath: 's3://out/models' },
  ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
  StoppingCondition: { MaxRuntimeInSeconds: 60 },
  ...extra,
});

describe('local Processing', () => {
  it('materialises inputs, honours entrypoint/arguments/environment and collects outputs', async () => {
    const h = makeHarness();
    await h.artifacts.writeText('s3://data/raw/data.csv', 'a,b\n1,2\n3,4\n');
    const { state, handle } = await h.run(step('Processing', 'Prep'), processingArgs('processing'));
    const props = succeeded(state);
    expect(props).toMatchObject({
      ProcessingJobName: 'job-prep',
      ProcessingJobArn: 'arn:aws:sagemaker:local:000000000000:processing-job/job-prep',
      ProcessingJobStatus: 'Completed',
      ProcessingOutputConfig: { Outputs: [{ OutputName: 'result', S3Output: { S3Uri: 's3://out/prep/result' } }] },
    });
    expect(await h.artifacts.readText('s3://out/prep/result/rows.txt')).toBe('3');
    const report = JSON.parse(await h.artifacts.readText('s3://out/prep/result/report.json')) as { argv: string[]; env: Record<string, string>; processingInput: string[] };
    const optMl = join(String(handle['sandbox']), 'opt', 'ml');
    expect(String(handle['sandbox'])).toBe(join(h.config.workspace, 'executions', 'exec12345678', 'Prep', 'attempt-1'));
    expect(report.argv).toEqual(['--out', `${optMl}/processing/output/result`]);
    expect(report.env['CUSTOM']).toBe(`${optMl}/processing/input/data`);
    expect(report.env['CAIRN_OPT_ML_ROOT']).toBe(optMl);
    expect(report.env['TMPDIR']).toBe(join(String(handle['sandbox']), 'tmp'));
    expect(report.processingInput).toEqual(['data.csv']);
  });

  it('fails with the tail of stderr and keeps the logs', async () => {
    const h = makeHarness();
    await h.artifacts.writeText('s3://data/raw/data.csv', 'x');
    const { state, handle } = await h.run(step('Processing', 'Prep'), processingArgs('crash'));
    expect(state.state).toBe('failed');
    if (state.state !== 'failed') return;
    expect(state.error.code).toBe('STEP_FAILED');
    expect(state.error.message).toContain('fatal: out of cheese');
    expect(state.error.message).toContain('exited with code 1');
    expect(state.properties).toMatchObject({ ProcessingJobStatus: 'Failed' });
    expect(readFileSync(join(String(handle['logDir']), 'stderr.log'), 'utf8')).toContain('out of cheese');
  });

  it('names an unmapped image with the mapping to add', async () => {
    const h = makeHarness();
    const args = processingArgs('processing');
    const { state } = await h.run(step('Processing', 'Prep'), { ...args, AppSpecification: { ...args.AppSpecification, ImageUri: 'acme/unknown:1' } }, 'job-unmapped');
    expect(state.state === 'failed' && state.error.code).toBe('IMAGE_NOT_MAPPED');
    expect(state.state === 'failed' && state.error.message).toContain('{"images":{"acme/unknown:1":{"runtime":"node"}}}');
  });
});

describe('local Processing with the process runtime', () => {
  const SH = 'local/shell:1';
  const shArgs = (entrypoint: string[]) => ({
    AppSpecification: { ImageUri: SH, ContainerEntrypoint: entrypoint },
    ProcessingInputs: [{ InputName: 'data', S3Input: { S3Uri: 's3://data/raw/data.csv', LocalPath: '/opt/ml/processing/input/data' } }],
    ProcessingOutputConfig: { Outputs: [{ OutputName: 'o', S3Output: { S3Uri: 's3://out/sh', LocalPath: '/opt/ml/processing/output' } }] },
  });

  it('runs the command with relocated arguments', async () => {
    const h = makeHarness({ images: { [SH]: { runtime: 'process', env: { GREETING: 'hi' } } } });
    await h.artifacts.writeText('s3://data/raw/data.csv', 'a,b\n');
    const script = 'cp "$1" "$2/copy.csv" && echo "$GREETING" > "$CAIRN_OPT_ML_ROOT/processing/output/greeting.txt"';
    const { state } = await h.run(step('Processing', 'Sh'), shArgs(['sh', '-c', script, 'sh', '/opt/ml/processing/input/data/data.csv', '/opt/ml/processing/output']));
    succeeded(state);
    expect(await h.artifacts.readText('s3://out/sh/copy.csv')).toBe('a,b\n');
    expect(await h.artifacts.readText('s3://out/sh/greeting.txt')).toBe('hi\n');
  });

  it('reports a command that cannot start', async () => {
    const h = makeHarness({ images: { [SH]: { runtime: 'process' } } });
    await h.artifacts.writeText('s3://data/raw/data.csv', 'a\n');
    const { state } = await h.run(step('Processing', 'Sh'), shArgs(['cairn-no-such-command-xyz']));
    expect(state.state === 'failed' && state.error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('Could not start "cairn-no-such-command-xyz"') });
  });
});

describe('local Training', () => {
  it('presents the container contract, collects metrics and packs model.tar.gz', async () => {
    const h = makeHarness();
    await h.artifacts.writeText('s3://data/raw/train.csv', '1,2\n');
    const { state, handle } = await h.run(step('Training', 'Train'), trainingArgs({}));
    const props = succeeded(state);
    const optMl = join(String(handle['sandbox']), 'opt', 'ml');
    expect(props).toMatchObject({
      TrainingJobName: 'job-train',
      TrainingJobArn: 'arn:aws:sagemaker:local:000000000000:training-job/job-train',
      TrainingJobStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: 's3://out/models/job-train/output/model.tar.gz' },
      HyperParameters: { epochs: '5' },
    });
    const metrics = props['FinalMetricDataList'] as { MetricName: string; Value: number; Timestamp: number }[];
    expect(metrics.map(({ MetricName, Value }) => ({ MetricName, Value }))).toEqual([
      { MetricName: 'val:mse', Value: 7.25 },
      { MetricName: 'train:loss', Value: 0.5 },
    ]);
    expect(typeof metrics[0]?.Timestamp).toBe('number');

    const entries: string[] = [];
    await list({ file: h.artifacts.locate('s3://out/models/job-train/output/model.tar.gz').path, onReadEntry: (e) => entries.push(e.path) });
    expect(entries).toEqual(['model.json']);
    const reportFile = join(optMl, 'output', 'data', 'report.json');
    expect(existsSync(h.artifacts.locate('s3://out/models/job-train/output/output.tar.gz').path)).toBe(true);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Record<string, unknown> & { env: Record<string, string> };
    expect(report['hyperparameters']).toEqual({ sagemaker_program: '"contract.ts"', sagemaker_submit_directory: '"s3://fixtures/code"', epochs: '5', eta: '0.1' });
    expect(report['inputdataconfig']).toEqual({ train: { TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None', ContentType: 'text/csv' } });
    expect(report['resourceconfig']).toMatchObject({ current_host: 'algo-1', hosts: ['algo-1'] });
    expect(report['trainChannel']).toEqual(['train.csv']);
    expect(report['argv']).toEqual(['--epochs', '5', '--eta', '0.1']);
    expect(report['cwd']).toBe(join(optMl, 'code'));
    expect(report.env).toMatchObject({
      SM_MODEL_DIR: `${optMl}/model`,
      SM_CHANNELS: '["train"]',
      SM_CHANNEL_TRAIN: `${optMl}/input/data/train`,
      SM_HPS: '{"epochs":5,"eta":0.1}',
      SM_HP_EPOCHS: '5',
      SM_CURRENT_HOST: 'algo-1',
      SM_HOSTS: '["algo-1"]',
      SM_NUM_GPUS: '0',
      SM_OUTPUT_DATA_DIR: `${optMl}/output/data`,
      SM_INPUT_DIR: `${optMl}/input`,
      SM_INPUT_CONFIG_DIR: `${optMl}/input/config`,
      SM_OUTPUT_DIR: `${optMl}/output`,
      SM_USER_ARGS: '["--epochs","5","--eta","0.1"]',
      SM_MODULE_NAME: 'contract',
      TRAINING_JOB_NAME: 'job-train',
    });
    expect(JSON.parse(report.env['SM_TRAINING_ENV'] ?? '{}')).toMatchObject({ job_name: 'job-train', model_dir: `${optMl}/model`, channel_input_dirs: { train: `${optMl}/input/data/train` } });
  });

  it('fails with the failure file as the reason', async () => {
    const h = makeHarness();
    await h.artifacts.writeText('s3://data/raw/train.csv', '1\n');
    const { state } = await h.run(step('Training', 'Train'), trainingArgs({}, { Environment: { MODE: 'fail' } }));
    expect(state.state).toBe('failed');
    if (state.state !== 'failed') return;
    expect(state.error.message).toContain('AlgorithmError: ValueError: learning rate must be positive');
    expect(state.error.message).toContain('exited with code 3');
    expect(state.properties).toMatchObject({ TrainingJobStatus: 'Failed', FailureReason: expect.stringContaining('learning rate') });
  });

  it('enforces MaxRuntimeInSeconds with STEP_TIMED_OUT', async () => {
    const h = makeHarness();
    await h.artifacts.writeText('s3://data/raw/train.csv', '1\n');
    const started = Date.now();
    const { state } = await h.run(step('Training', 'Train'), trainingArgs({}, { Environment: { MODE: 'hang' }, StoppingCondition: { MaxRuntimeInSeconds: 1 } }));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(state.state === 'failed' && state.error.code).toBe('STEP_TIMED_OUT');
    expect(state.state === 'failed' && state.properties).toMatchObject({ TrainingJobStatus: 'Stopped', SecondaryStatus: 'MaxRuntimeExceeded' });
  });
});

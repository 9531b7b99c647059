import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { fixture, testCli, useFakeAws, type TestCli } from './harness.js';

/**
 * `cairn publish`, `cairn run --on sagemaker-pipelines` and a run that mixes local steps with a
 * SageMaker training job, against the loopback fake of SageMaker and S3 (the real SDK signs,
 * serialises and retries; credentials and endpoints come from the environment set here).
 */

const ROLE = 'arn:aws:iam::000000000000:role/pipelines';
const ctx = useFakeAws('cairn-cli-sagemaker-');

/** Writes cairn.config.json into the test directory and runs `cairn --config <it> <argv>` in-process. */
async function cairn(argv: readonly string[], config: Record<string, unknown> = {}, cli: TestCli = testCli(ctx.dir)) {
  const file = path.join(ctx.dir, 'cairn.config.json');
  await writeFile(file, JSON.stringify({ workspace: path.join(ctx.dir, 'ws'), sagemaker: { pollIntervalMs: 5, s3ForcePathStyle: true }, ...config }));
  return cli.run(['--config', file, ...argv]);
}

describe('cairn publish', () => {
  it('creates the pipeline, then updates it to version 2, with the definition as a string', async () => {
    const first = await cairn(['publish', fixture('definition.json'), '--name', 'cli-pub', '--role-arn', ROLE, '--description', 'first']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout.trim()).toBe('Created pipeline cli-pub (version 1): arn:aws:sagemaker:us-east-1:000000000000:pipeline/cli-pub');
    const second = await cairn(['publish', fixture('definition.json'), '--name', 'cli-pub', '--role-arn', ROLE, '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ PipelineArn: 'arn:aws:sagemaker:us-east-1:000000000000:pipeline/cli-pub', PipelineVersionId: 2, Action: 'updated' });
    const versions = ctx.aws.sagemaker.pipelines.versions('cli-pub') ?? [];
    expect(versions).toHaveLength(2);
    expect(versions[0]).toMatchObject({ RoleArn: ROLE, PipelineDescription: 'first' });
    expect(JSON.parse(String(versions[1]?.['PipelineDefinition'])).Steps[0].Name).toBe('Score');
  });

  it('takes the role from cairn.config.json, and without one exits 2 saying how to give it', async () => {
    expect((await cairn(['publish', fixture('definition.json'), '--name', 'cli-role'], { sagemaker: { roleArn: ROLE } })).code).toBe(0);
    const missing = await cairn(['publish', fixture('definition.json'), '--name', 'cli-norole']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--role-arn');
    expect(ctx.aws.sagemaker.pipelines.versions('cli-norole')).toBeUndefined();
  });
});

describe('cairn run --on sagemaker-pipelines', () => {
  it('publishes, starts and follows the execution with the plain progress view; Succeeded exits 0', async () => {
    const { code, stdout } = await cairn(['run', fixture('definition.json'), '--on', 'sagemaker-pipelines', '--name', 'cli-run', '--role-arn', ROLE, '--param', 'Value=0.7']);
    expect(code).toBe(0);
    expect(stdout).toContain('Created pipeline cli-run (version 1)');
    expect(stdout).toMatch(/^\S+Z Score \[Lambda\] Executing$/m);
    expect(stdout).toMatch(/^\S+Z Approve \[Callback\] Succeeded$/m);
    expect(stdout).toMatch(/^Execution [a-z0-9]{12} Succeeded after .* on SageMaker Pipelines\.$/m);
    const [execution] = ctx.aws.sagemaker.pipelines.listExecutions();
    expect(execution?.parameters).toEqual([{ Name: 'Value', Value: '0.7' }]);
  });

  it('passes display name, description and --max-parallel to StartPipelineExecution', async () => {
    const argv = ['run', fixture('definition.json'), '--on', 'sagemaker-pipelines', '--name', 'cli-opts', '--role-arn', ROLE];
    expect((await cairn([...argv, '--display-name', 'nightly', '--description', 'from CI', '--max-parallel', '2', '--no-progress'])).code).toBe(0);
    const start = ctx.aws.sagemaker.calls.find((call) => call.operation === 'StartPipelineExecution');
    expect(start?.input).toMatchObject({
      PipelineName: 'cli-opts',
      PipelineExecutionDisplayName: 'nightly',
      PipelineExecutionDescription: 'from CI',
      ParallelismConfiguration: { MaxParallelExecutionSteps: 2 },
    });
  });

  it('the first Ctrl-C stops the execution on SageMaker Pipelines: it ends Stopped and the run exits 1', async () => {
    const cli = testCli(ctx.dir);
    const argv = ['run', fixture('definition.json'), '--on', 'sagemaker-pipelines', '--name', 'cli-stop', '--role-arn', ROLE];
    const running = cairn(argv, { sagemaker: { pollIntervalMs: 100 } }, cli);
    await vi.waitFor(() => expect(cli.stdout()).toMatch(/Score \[Lambda\] Executing/), { timeout: 10_000, interval: 10 });
    cli.interrupt();
    const { code, stdout } = await running;
    expect(code).toBe(1);
    expect(stdout).toContain('Stopping execution arn:aws:sagemaker:us-east-1:000000000000:pipeline/cli-stop/execution/');
    expect(stdout).toMatch(/^Execution [a-z0-9]{12} Stopped after /m);
    expect(ctx.aws.sagemaker.callCount('StopPipelineExecution')).toBe(1);
  });

  it('a failing step: exit 1 with the failure reasons; --json prints DescribePipelineExecution with its steps', async () => {
    ctx.aws.sagemaker.pipelines.failStep('Score', 'AlgorithmError: boom');
    const { code, stdout } = await cairn(['run', fixture('definition.json'), '--on', 'sagemaker-pipelines', '--name', 'cli-fail', '--role-arn', ROLE, '--json']);
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ PipelineExecutionStatus: 'Failed', FailureReason: 'Step failure: One or multiple steps failed.' });
    expect(result['PipelineExecutionSteps']).toEqual([expect.objectContaining({ StepName: 'Score', StepStatus: 'Failed', FailureReason: 'AlgorithmError: boom', AttemptCount: 1 })]);
  });

  it('an unknown parameter exits 2 before anything is published', async () => {
    const { code, stderr } = await cairn(['run', fixture('definition.json'), '--on', 'sagemaker-pipelines', '--name', 'cli-bad', '--role-arn', ROLE, '--param', 'Nope=1']);
    expect(code).toBe(2);
    expect(stderr).toContain('"Nope" is not a parameter');
    expect(ctx.aws.sagemaker.pipelines.versions('cli-bad')).toBeUndefined();
  });
});

describe('a mixed execution (local steps, SageMaker training, data in S3)', () => {
  /** Processing local (CSV from S3) → Training on SageMaker → Evaluate local (model.tar.gz from S3) → a condition on its report. */
  async function mixedPipeline(): Promise<string> {
    const scripts = {
      'prep.mjs': `import { readFileSync, writeFileSync } from 'node:fs';
        const ml = process.env.CAIRN_OPT_ML_ROOT;
        const rows = readFileSync(ml + '/processing/input/raw.csv', 'utf8').trim().split('\\n');
        writeFileSync(ml + '/processing/train/train.csv', rows.slice(1).join('\\n'));`,
      'evaluate.mjs': `import { readFileSync, writeFileSync } from 'node:fs';
        import { gunzipSync } from 'node:zlib';
        const ml = process.env.CAIRN_OPT_ML_ROOT;
        const model = gunzipSync(readFileSync(ml + '/processing/model/model.tar.gz')).toString();
        writeFileSync(ml + '/processing/evaluation/evaluation.json', JSON.stringify({ model, ok: model.startsWith('fake model of ') }));`,
    };
    for (const [name, text] of Object.entries(scripts)) await writeFile(path.join(ctx.dir, name), text);
    const processing = (name: string, script: string, inputs: unknown[], output: { name: string; local: string; uri: string }, extra = {}) => ({
      Name: name,
      Type: 'Processing',
      Arguments: {
        ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
        AppSpecification: { ImageUri: 'cairn-test/node:20', ContainerEntrypoint: ['node', path.join(ctx.dir, script)] },
        RoleArn: ROLE,
        ProcessingInputs: inputs,
        ProcessingOutputConfig: { Outputs: [{ OutputName: output.name, S3Output: { S3Uri: output.uri, LocalPath: output.local, S3UploadMode: 'EndOfJob' } }] },
      },
      ...extra,
    });
    const input = (name: string, uri: unknown, local: string) => ({ InputName: name, S3Input: { S3Uri: uri, LocalPath: local, S3DataType: 'S3Prefix', S3InputMode: 'File' } });
    const definition = {
      Version: '2020-12-01',
      Parameters: [],
      Steps: [
        processing('Prep', 'prep.mjs', [input('raw', 's3://mix/raw/raw.csv', '/opt/ml/processing/input')], { name: 'train', local: '/opt/ml/processing/train', uri: 's3://mix/prep/train' }),
        {
          Name: 'Train',
          Type: 'Training',
          Arguments: {
            AlgorithmSpecification: { TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1', TrainingInputMode: 'File' },
            RoleArn: ROLE,
            OutputDataConfig: { S3OutputPath: 's3://mix/models' },
            ResourceConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 5 },
            StoppingCondition: { MaxRuntimeInSeconds: 600 },
            InputDataConfig: [
              { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: { Get: "Steps.Prep.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri" } } } },
            ],
          },
        },
        processing(
          'Evaluate',
          'evaluate.mjs',
          [input('model', { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' }, '/opt/ml/processing/model')],
          { name: 'evaluation', local: '/opt/ml/processing/evaluation', uri: 's3://mix/evaluation' },
          { PropertyFiles: [{ PropertyFileName: 'Report', OutputName: 'evaluation', FilePath: 'evaluation.json' }] },
        ),
        {
          Name: 'ModelOk',
          Type: 'Condition',
          Arguments: {
            Conditions: [{ Type: 'Equals', LeftValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.Report' }, Path: 'ok' } }, RightValue: true }],
            IfSteps: [],
            ElseSteps: [{ Name: 'BadModel', Type: 'Fail', Arguments: { ErrorMessage: 'the evaluation did not read the trained model' } }],
          },
        },
      ],
    };
    const file = path.join(ctx.dir, 'mixed.json');
    await writeFile(file, JSON.stringify(definition));
    return file;
  }

  it('local Processing reads and writes S3, Training runs on SageMaker, local Evaluate reads its model.tar.gz from S3', async () => {
    ctx.aws.s3.putObject('s3://mix/raw/raw.csv', 'carat,price\n0.3,400\n0.5,900\n');
    const pipeline = await mixedPipeline();
    const config = { images: { 'cairn-test/node:20': { runtime: 'node' } }, backends: { steps: { Train: 'sagemaker' } } };
    const { code, stdout } = await cairn(['run', pipeline, '--name', 'mixed'], config);
    expect(code, stdout).toBe(0);
    expect(ctx.aws.s3.readText('s3://mix/prep/train/train.csv')).toBe('0.3,400\n0.5,900');
    const [training] = ctx.aws.sagemaker.listJobs('TrainingJob');
    expect(training?.request['InputDataConfig']).toEqual([expect.objectContaining({ DataSource: { S3DataSource: expect.objectContaining({ S3Uri: 's3://mix/prep/train' }) } })]);
    const model = `s3://mix/models/${training?.name}/output/model.tar.gz`;
    const report = JSON.parse(ctx.aws.s3.readText('s3://mix/evaluation/evaluation.json') ?? '{}') as { model: string; ok: boolean };
    expect(report).toEqual({ model: gunzipSync(ctx.aws.s3.getObject(model)?.body ?? Buffer.alloc(0)).toString(), ok: true });
    expect(ctx.aws.sagemaker.listJobs('ProcessingJob')).toEqual([]);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { describe, expect, it } from 'vitest';
import { assemble, batches, splitRecords } from '../../src/local/transform.js';
import { makeHarness, NODE_IMAGE, step, succeeded } from './harness.js';

async function modelTarball(h: ReturnType<typeof makeHarness>, factor: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-model-'));
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ factor }));
  const uri = 's3://out/models/train-1/output/model.tar.gz';
  await h.artifacts.writeText(uri, '');
  await create({ gzip: true, file: h.artifacts.locate(uri).path, cwd: dir }, ['model.json']);
  return uri;
}

describe('local Model and RegisterModel', () => {
  it('records the model in DescribeModel shape and in the workspace', async () => {
    const h = makeHarness();
    const args = { ExecutionRoleArn: 'arn:aws:iam::1:role/r', PrimaryContainer: { Image: NODE_IMAGE, ModelDataUrl: 's3://m/model.tar.gz' } };
    const props = succeeded((await h.run(step('Model', 'CreateModel'), args, 'pipelines-exec-createmodel-x')).state);
    expect(props).toMatchObject({
      ModelName: 'pipelines-exec-createmodel-x',
      ModelArn: 'arn:aws:sagemaker:local:000000000000:model/pipelines-exec-createmodel-x',
      PrimaryContainer: { ModelDataUrl: 's3://m/model.tar.gz' },
    });
  });

  it('registers versions 1, 2 with the requested approval status', async () => {
    const h = makeHarness();
    const args = { ModelPackageGroupName: 'diamonds', ModelApprovalStatus: 'PendingManualApproval', InferenceSpecification: { Containers: [{ Image: NODE_IMAGE }] } };
    const v1 = succeeded((await h.run(step('RegisterModel', 'Register'), args, 'reg-1')).state);
    const v2 = succeeded((await h.run(step('RegisterModel', 'Register'), { ...args, ModelApprovalStatus: 'Approved' }, 'reg-2')).state);
    expect(v1).toMatchObject({ ModelPackageGroupName: 'diamonds', ModelPackageVersion: 1, ModelApprovalStatus: 'PendingManualApproval' });
    expect(v2).toMatchObject({ ModelPackageVersion: 2, ModelApprovalStatus: 'Approved', ModelPackageArn: 'arn:aws:sagemaker:local:000000000000:model-package/diamonds/2' });
    expect(await h.registry.getModelPackageGroup('diamonds')).toBeDefined();
  });
});

describe('local Transform', () => {
  it('serves the model and writes one .out per input object, split by line and assembled by line', async () => {
    const h = makeHarness();
    const modelData = await modelTarball(h, 2);
    await h.run(step('Model', 'CreateModel'), {
      PrimaryContainer: { Image: NODE_IMAGE, ModelDataUrl: modelData, Environment: { SAGEMAKER_PROGRAM: 'serve.ts', SAGEMAKER_SUBMIT_DIRECTORY: 's3://fixtures/code' } },
    }, 'model-x');
    await h.artifacts.writeText('s3://in/batch/a.csv', '1\n2\n3\n');
    await h.artifacts.writeText('s3://in/batch/sub/b.csv', '10\n');
    const args = {
      ModelName: 'model-x',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://in/batch' } }, ContentType: 'text/csv', SplitType: 'Line' },
      TransformOutput: { S3OutputPath: 's3://out/transform', Accept: 'text/csv', AssembleWith: 'Line' },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      BatchStrategy: 'SingleRecord',
    };
    const props = succeeded((await h.run(step('Transform', 'Score'), args, 'transform-1')).state);
    expect(props).toMatchObject({ TransformJobName: 'transform-1', TransformJobStatus: 'Completed', TransformOutput: { S3OutputPath: 's3://out/transform' } });
    expect(await h.artifacts.readText('s3://out/transform/a.csv.out')).toBe('2|text/csv\n4|text/csv\n6|text/csv\n');
    expect(await h.artifacts.readText('s3://out/transform/sub/b.csv.out')).toBe('20|text/csv\n');

    await h.run(step('Transform', 'Score'), { ...args, BatchStrategy: 'MultiRecord', TransformOutput: { S3OutputPath: 's3://out/multi' } }, 'transform-2');
    expect(await h.artifacts.readText('s3://out/multi/a.csv.out')).toBe('2\n4\n6|*/*');
  });

  it('fails clearly when the model is unknown', async () => {
    const h = makeHarness();
    const { state } = await h.run(step('Transform', 'Score'), {
      ModelName: 'nope',
      TransformInput: { DataSource: { S3DataSource: { S3Uri: 's3://in/x' } } },
      TransformOutput: { S3OutputPath: 's3://out/t' },
    });
    expect(state.state === 'failed' && state.error.message).toMatch(/model "nope" is not known/);
  });

  it('splits, batches and assembles like SageMaker', () => {
    const b = (text: string) => Buffer.from(text);
    const texts = (buffers: Buffer[]) => buffers.map((x) => x.toString());
    expect(texts(splitRecords(b('a\nb\r\n\nc'), 'Line'))).toEqual(['a', 'b', 'c']);
    expect(texts(splitRecords(b('a\nb'), 'None'))).toEqual(['a\nb']);
    const binary = Buffer.from([0xff, 0x00, 0x0a, 0xfe]);
    expect(splitRecords(binary, 'None')[0]).toEqual(binary);
    expect(texts(batches([b('a'), b('b'), b('c')], { BatchStrategy: 'SingleRecord' }))).toEqual(['a', 'b', 'c']);
    expect(texts(batches([b('a'), b('b'), b('c')], { BatchStrategy: 'MultiRecord' }))).toEqual(['a\nb\nc']);
    expect(batches([b('x'.repeat(600_000)), b('y'.repeat(600_000))], { BatchStrategy: 'MultiRecord', MaxPayloadInMB: 1 })).toHaveLength(2);
    expect(assemble([b('1'), b('2\n')], 'Line').toString()).toBe('1\n2\n');
    expect(assemble([b('1'), b('2')], 'None').toString()).toBe('12');
  });
});

describe('local Lambda', () => {
  const arn = 'arn:aws:lambda:us-east-1:123456789012:function:notify';
  const fields = (extra = {}) => ({ FunctionArn: arn, OutputParameters: [{ OutputName: 'statusCode' }, { OutputName: 'body' }, { OutputName: 'missing' }], ...extra });

  it('calls the configured handler with the arguments and maps OutputParameters', async () => {
    const h = makeHarness();
    const { state } = await h.run(step('Lambda', 'Notify'), { model_arn: 'arn:m/1' }, 'lambda-1', fields());
    expect(succeeded(state)).toEqual({ OutputParameters: { statusCode: 200, body: '{"arn":"arn:m/1"}' } });
    expect(state.state === 'succeeded' && state.metadata).toEqual({
      Lambda: { Arn: arn, OutputParameters: [{ Name: 'statusCode', Value: 200 }, { Name: 'body', Value: '{"arn":"arn:m/1"}' }] },
    });
  });

  it('fails on timeout and on an unmapped function', async () => {
    const h = makeHarness({}, { lambdaTimeoutMs: 100 });
    const slow = await h.run(step('Lambda', 'Notify'), { sleepMs: 1_000 }, 'lambda-2', fields());
    expect(slow.state.state === 'failed' && slow.state.error.code).toBe('STEP_TIMED_OUT');
    const unmapped = await h.run(step('Lambda', 'Notify'), {}, 'lambda-3', fields({ FunctionArn: 'arn:aws:lambda:us-east-1:1:function:other' }));
    expect(unmapped.state.state === 'failed' && unmapped.state.error.message).toContain('"lambdas":{"arn:aws:lambda:us-east-1:1:function:other"');
  });
});

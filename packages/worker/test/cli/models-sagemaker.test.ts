import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testCli, useFakeAws } from './harness.js';

/**
 * A model version a SageMaker RegisterModel step registered stays in step with SageMaker's registry:
 * `cairn models approve` calls UpdateModelPackage, `describe --refresh` and `wait` read DescribeModelPackage.
 */

const ctx = useFakeAws('cairn-cli-models-sm-');

async function cairn(...argv: string[]) {
  const file = path.join(ctx.dir, 'cairn.config.json');
  await writeFile(file, JSON.stringify({ workspace: path.join(ctx.dir, 'ws'), backends: { default: 'sagemaker' }, sagemaker: { pollIntervalMs: 5, s3ForcePathStyle: true } }));
  return testCli(ctx.dir).run(['--config', file, ...argv]);
}

describe('cairn models with SageMaker-registered versions', () => {
  it('approve updates SageMaker; a rejection in SageMaker shows with --refresh and ends models wait', async () => {
    const register = { Name: 'Register', Type: 'RegisterModel', Arguments: { ModelPackageGroupName: 'churn', InferenceSpecification: { Containers: [{ Image: 'img:1', ModelDataUrl: 's3://models/model.tar.gz' }] } } };
    await writeFile(path.join(ctx.dir, 'register.json'), JSON.stringify({ Version: '2020-12-01', Steps: [register] }));
    const run = await cairn('run', 'register.json', '--no-progress');
    expect(run.code, run.stderr).toBe(0);
    const [remote] = ctx.aws.sagemaker.listModelPackages();
    const arn = String(remote?.['ModelPackageArn']);

    const approved = await cairn('models', 'approve', 'churn/1', '--reason', 'good MSE');
    expect(approved.code, approved.stderr).toBe(0);
    expect(ctx.aws.sagemaker.listModelPackages()[0]).toMatchObject({ ModelApprovalStatus: 'Approved', ApprovalDescription: 'good MSE' });

    ctx.aws.sagemaker.setModelApproval(arn, 'Rejected', 'bias found in Studio');
    const stale = JSON.parse((await cairn('models', 'describe', 'churn/1', '--json')).stdout) as { ModelApprovalStatus: string };
    expect(stale.ModelApprovalStatus).toBe('Approved');
    const refreshed = JSON.parse((await cairn('models', 'describe', 'churn/1', '--refresh', '--json')).stdout) as { ModelApprovalStatus: string; SageMakerModelPackageArn: string; ApprovalHistory: { To: string; By: string }[] };
    expect(refreshed).toMatchObject({ ModelApprovalStatus: 'Rejected', SageMakerModelPackageArn: arn });
    expect(refreshed.ApprovalHistory.at(-1)).toEqual(expect.objectContaining({ To: 'Rejected', By: 'sagemaker' }));

    ctx.aws.sagemaker.setModelApproval(arn, 'Approved', 'fixed');
    const waited = await cairn('models', 'wait', 'churn/1', '--for', 'Approved', '--timeout', '5s', '--interval', '50ms');
    expect(waited.code, waited.stderr).toBe(0);
  });
});

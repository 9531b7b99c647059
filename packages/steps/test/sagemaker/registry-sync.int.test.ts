import { describe, expect, it } from 'vitest';
import { MemoryStore, ModelRegistry, type JsonObject } from '@cairn/core';
import { sagemakerExecutor } from '../../src/sagemaker/sagemaker-executor.js';
import { SAGEMAKER_ARN_KEY, sagemakerModelPackageArn } from '../../src/sagemaker/mirrored-versions.js';
import { sagemakerModelRegistry } from '../../src/sagemaker/registry-sync.js';
import { executionContext, pollUntilDone, sagemakerClient, stepRequest, useFakeAws } from './support.js';

const fake = useFakeAws();

/** Registers a version on the fake SageMaker through the executor; returns the local store and the SageMaker ARN. */
async function registerOnSageMaker(store: MemoryStore): Promise<string> {
  const ex = sagemakerExecutor({ client: sagemakerClient(), pollIntervalMs: 10 });
  const ctx = executionContext('Register', { stepType: 'RegisterModel', registry: store });
  const args: JsonObject = { ModelPackageGroupName: 'churn', InferenceSpecification: { Containers: [{ Image: 'img:1', ModelDataUrl: 's3://models/model.tar.gz' }] } };
  const handle = await ex.start(stepRequest({ Name: 'Register', Type: 'RegisterModel', Arguments: args }, 'pipelines-exec00000001-Register-1'), ctx);
  const done = await pollUntilDone(ex, handle, ctx);
  if (done.state !== 'succeeded') throw new Error(JSON.stringify(done));
  return String(done.properties['ModelPackageArn']);
}

describe('SageMaker registry sync', () => {
  it('marks mirrored versions with their SageMaker ARN, once, even when local version numbers differ', async () => {
    const store = new MemoryStore();
    await store.createModelPackage({ request: { ModelPackageGroupName: 'churn' }, createdBy: 'local', arnPrefix: 'arn:aws:sagemaker:local:000000000000', now: 1 });
    const arn = await registerOnSageMaker(store);
    const versions = await store.listModelPackages({ groupName: 'churn' });
    expect(versions.map((v) => [v.version, sagemakerModelPackageArn(v)])).toEqual([
      [2, arn],
      [1, undefined],
    ]);
    expect(versions[0]?.description[SAGEMAKER_ARN_KEY]).toBe(arn);
  });

  it('approve calls UpdateModelPackage; a decision taken in SageMaker comes back with refresh', async () => {
    const store = new MemoryStore();
    const arn = await registerOnSageMaker(store);
    const registry = new ModelRegistry({ store, remote: sagemakerModelRegistry(sagemakerClient()) });
    const [local] = await store.listModelPackages({ groupName: 'churn' });
    await registry.approve(local!.arn, 'alice', 'good MSE');
    const remote = fake.aws.sagemaker.listModelPackages().find((p) => p['ModelPackageArn'] === arn);
    expect(remote).toMatchObject({ ModelApprovalStatus: 'Approved', ApprovalDescription: 'good MSE' });
    fake.aws.sagemaker.setModelApproval(arn, 'Rejected', 'bias found in Studio');
    expect(await registry.refresh(local!.arn)).toMatchObject({ approvalStatus: 'Rejected' });
    expect((await registry.listApprovalChanges(local!.arn)).at(-1)).toMatchObject({ from: 'Approved', to: 'Rejected', by: 'sagemaker', reason: 'bias found in Studio' });
    expect(fake.aws.sagemaker.callCount('UpdateModelPackage')).toBe(1);
  });
});

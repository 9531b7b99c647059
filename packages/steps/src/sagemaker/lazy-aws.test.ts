import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type ExecutionContext } from '@cairn/core';
import { runRecordingLoads } from '@cairn/test-support/module-loads';
import { S3ArtifactStore } from '../artifacts/s3-artifact-store.js';
import { JOB_KINDS } from './job-kinds.js';
import { lazyS3ArtifactStore, lazySageMakerExecutor, lazySageMakerModelRegistry } from './lazy-aws.js';
import { sagemakerExecutor } from './sagemaker-executor.js';
import { SAGEMAKER_STEP_TYPES } from './step-types.js';

const STEPS_PACKAGE = fileURLToPath(new URL('../../', import.meta.url));

/** `typeof` of each named member: which of them an object has, and as what. */
function shape(value: object, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, typeof (value as Record<string, unknown>)[name]]));
}

describe('the AWS SDK loads on first use', () => {
  it('SAGEMAKER_STEP_TYPES lists exactly the step types of JOB_KINDS, in order', () => {
    expect([...SAGEMAKER_STEP_TYPES]).toEqual(Object.keys(JOB_KINDS));
  });

  it('the lazy SageMaker executor has the real one’s id, step types and methods (no `wait`: a job holds no worker slot)', async () => {
    const real = sagemakerExecutor({ region: 'eu-west-1' });
    const lazy = lazySageMakerExecutor({ region: 'eu-west-1' });
    expect(lazy.id).toBe(real.id);
    expect(lazy.stepTypes).toEqual(real.stepTypes);
    const executorMembers = ['start', 'poll', 'stop', 'wait', 'close'];
    expect(shape(lazy, executorMembers)).toEqual(shape(real, executorMembers));
    expect(shape(lazy, ['wait'])).toEqual({ wait: 'undefined' });
    await real.close?.();
    await lazy.close?.();
  });

  it('the lazy SageMaker executor hands calls to the real one', async () => {
    const lazy = lazySageMakerExecutor({ region: 'eu-west-1' });
    // The real executor's own check of a handle: it got the call.
    await expect(lazy.poll({ executor: 'local' }, {} as ExecutionContext)).rejects.toMatchObject({ code: ErrorCode.Internal, message: expect.stringContaining('not a SageMaker job handle') });
    await lazy.close?.();
  });

  it('the lazy S3 store has the methods of S3ArtifactStore and hands calls to it', async () => {
    const lazy = lazyS3ArtifactStore({ region: 'eu-west-1' });
    const storeMembers = ['readText', 'digest', 'materialize', 'upload', 'localFile', 'putFile', 'list', 'writeText', 'close'];
    const real = new S3ArtifactStore({ region: 'eu-west-1' });
    expect(shape(lazy, storeMembers)).toEqual(shape(real, storeMembers));
    real.close();
    expect(lazy.id).toBe('s3');
    await expect(lazy.readText('file:///not/s3')).rejects.toMatchObject({ code: ErrorCode.InputUnreadable, message: expect.stringContaining('s3://bucket/key') });
    await lazy.close();
  });

  it('the lazy SageMaker registry reads mirrored ARNs without a client; close() before any call loads nothing', async () => {
    const remote = lazySageMakerModelRegistry('eu-west-1');
    expect(remote.remoteArn({ description: { SageMakerModelPackageArn: 'arn:x' } } as never)).toBe('arn:x');
    await remote.close();
  });

  it('importing @cairn/steps and configuring SageMaker and S3 loads no AWS SDK module', async () => {
    const script = [
      "const { configuredBackends, resolveCairnConfig, lazySageMakerModelRegistry } = await import('@cairn/steps');",
      "const backends = configuredBackends(resolveCairnConfig({ backends: { default: 'sagemaker' }, artifacts: { backend: 's3' } }, process.cwd()));",
      'const remote = lazySageMakerModelRegistry();',
      'await backends.close(); await remote.close();',
      "process.stdout.write(backends.executors.map((e) => e.id).join(',') + ' ' + backends.artifacts.id);",
    ].join('\n');
    const run = await runRecordingLoads(['--conditions=@cairn/source', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: STEPS_PACKAGE });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('sagemaker,local s3');
    expect(run.loaded.some((url) => url.includes('/packages/steps/src/index.ts'))).toBe(true);
    expect(run.loaded.filter((url) => /@aws-sdk|@smithy/.test(url))).toEqual([]);
  });
});

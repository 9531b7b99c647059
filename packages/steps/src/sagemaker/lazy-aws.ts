import type * as Aws from '../aws.js';
import type { ExecutionContext, ExecutionHandle, JobState, RemoteModelRegistry, StepExecutor, StepRequest } from '@cairn/core';
import type { JobArtifactStore } from '../artifacts/job-artifact-store.js';
import type { S3ArtifactStore, S3ArtifactStoreOptions } from '../artifacts/s3-artifact-store.js';
import { sagemakerModelPackageArn } from './mirrored-versions.js';
import type { SageMakerExecutorOptions } from './sagemaker-executor.js';
import { SAGEMAKER_STEP_TYPES } from './step-types.js';

/**
 * Stand-ins that load the AWS SDK (`@cairn/steps/aws`) on first use, so a process that has
 * SageMaker or S3 configured but never calls them (a scheduler of local steps, `cairn validate`)
 * does not pay for the SDK in memory and start-up time.
 */

type AwsModule = typeof Aws;

let aws: Promise<AwsModule> | undefined;

/** The AWS-backed entry of this package, imported once. */
function loadAws(): Promise<AwsModule> {
  aws ??= import('../aws.js');
  return aws;
}

/** A value made from the AWS entry on first use; `ifMade` sees it only if it was. */
function onFirstUse<T>(make: (m: AwsModule) => T): { get(): Promise<T>; ifMade(use: (value: T) => void | Promise<void>): Promise<void> } {
  let made: Promise<T> | undefined;
  return {
    get: () => (made ??= loadAws().then(make)),
    ifMade: async (use) => {
      if (made) await use(await made);
    },
  };
}

/**
 * The SageMaker executor, made (with its client) when a step first reaches it. Like the real one it
 * has no `wait`: workers start the job and poll it, holding no slot.
 */
export function lazySageMakerExecutor(options: SageMakerExecutorOptions = {}): StepExecutor {
  const executor = onFirstUse((m) => m.sagemakerExecutor(options));
  return {
    id: 'sagemaker',
    stepTypes: SAGEMAKER_STEP_TYPES,
    start: async (request: StepRequest, ctx: ExecutionContext) => (await executor.get()).start(request, ctx),
    poll: async (handle: ExecutionHandle, ctx: ExecutionContext): Promise<JobState> => (await executor.get()).poll(handle, ctx),
    stop: async (handle: ExecutionHandle, ctx: ExecutionContext) => (await executor.get()).stop(handle, ctx),
    close: () => executor.ifMade((e) => e.close?.()),
  };
}

/** The S3 artifact store, made (with its client) on the first object read or written. */
export function lazyS3ArtifactStore(options: S3ArtifactStoreOptions = {}): JobArtifactStore & { close(): Promise<void> } {
  const store = onFirstUse((m): S3ArtifactStore => new m.S3ArtifactStore(options));
  return {
    id: 's3',
    readText: async (uri) => (await store.get()).readText(uri),
    digest: async (uri) => (await store.get()).digest(uri),
    materialize: async (uri, dir) => (await store.get()).materialize(uri, dir),
    upload: async (dir, uri) => (await store.get()).upload(dir, uri),
    localFile: async (uri, scratchDir) => (await store.get()).localFile(uri, scratchDir),
    putFile: async (file, uri) => (await store.get()).putFile(file, uri),
    list: async (uri) => (await store.get()).list(uri),
    writeText: async (uri, text) => (await store.get()).writeText(uri, text),
    close: () => store.ifMade((s) => s.close()),
  };
}

/**
 * SageMaker's Model Registry as the remote of mirrored versions (see `sagemakerModelRegistry`),
 * with its client made for `region` on the first approval sent or read; `close()` destroys it.
 */
export function lazySageMakerModelRegistry(region?: string): RemoteModelRegistry & { close(): Promise<void> } {
  const client = onFirstUse((m) => m.createSageMakerClient(region));
  const remote = onFirstUse(async (m) => m.sagemakerModelRegistry(await client.get()));
  return {
    remoteArn: sagemakerModelPackageArn,
    updateApprovalStatus: async (arn, status, reason) => (await remote.get()).updateApprovalStatus(arn, status, reason),
    describeApproval: async (arn) => (await remote.get()).describeApproval(arn),
    close: () => client.ifMade((c) => c.destroy()),
  };
}

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@cairn/core';
import { S3ArtifactStore } from '../artifacts/s3-artifact-store.js';
import { sagemakerExecutor } from './sagemaker-executor.js';

describe('options of public constructors', () => {
  it('invalid SageMaker executor options are CONFIG_INVALID, naming the option', () => {
    expect(() => sagemakerExecutor({ pollIntervalMs: -5 })).toThrow(expect.objectContaining({ code: ErrorCode.ConfigInvalid, message: expect.stringContaining('pollIntervalMs') }));
    expect(() => sagemakerExecutor({ client: {} as never })).toThrow(expect.objectContaining({ code: ErrorCode.ConfigInvalid }));
  });

  it('invalid S3 store options are CONFIG_INVALID', () => {
    expect(() => new S3ArtifactStore({ forcePathStyle: 'yes' as never })).toThrow(expect.objectContaining({ code: ErrorCode.ConfigInvalid }));
  });
});

import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { LocalArtifactStore } from '../artifacts/local-artifact-store.js';
import { resolveCairnConfig } from '../config.js';
import { configuredBackends } from './backends.js';
import type * as lazyAws from './lazy-aws.js';
import { lazyS3ArtifactStore } from './lazy-aws.js';

// The real stand-ins, watched: which options the S3 store is made with.
vi.mock('./lazy-aws.js', async (importOriginal) => {
  const original = await importOriginal<typeof lazyAws>();
  return { ...original, lazyS3ArtifactStore: vi.fn(original.lazyS3ArtifactStore) };
});

function backendsOf(raw: unknown) {
  const backends = configuredBackends(resolveCairnConfig(raw, '/tmp/cairn-backends-test'));
  onTestFinished(() => backends.close());
  return backends;
}

describe('configuredBackends', () => {
  it('without SageMaker routes: only the local executor, local artifacts', () => {
    const backends = backendsOf({});
    expect(backends.executors.map((e) => e.id)).toEqual(['local']);
    expect(backends.artifacts).toBeInstanceOf(LocalArtifactStore);
    expect(backends.routes).toEqual({});
  });

  it('a step routed to SageMaker adds its executor after the local one and makes s3:// real S3', () => {
    const backends = backendsOf({ backends: { steps: { Train: 'sagemaker' } }, sagemaker: { region: 'eu-west-1', s3ForcePathStyle: true } });
    expect(backends.executors.map((e) => e.id)).toEqual(['local', 'sagemaker']);
    expect(backends.artifacts.id).toBe('s3');
    expect(backends.routes).toEqual({ steps: { Train: 'sagemaker' } });
  });

  it('default sagemaker puts SageMaker first (the router picks the first executor of a type)', () => {
    const backends = backendsOf({ backends: { default: 'sagemaker', images: { 'local:*': 'local' } } });
    expect(backends.executors.map((e) => e.id)).toEqual(['sagemaker', 'local']);
  });

  it('an explicit artifacts.backend wins over the default', () => {
    expect(backendsOf({ artifacts: { backend: 's3' } }).artifacts.id).toBe('s3');
    expect(backendsOf({ artifacts: { backend: 'local' }, backends: { default: 'sagemaker' } }).artifacts).toBeInstanceOf(LocalArtifactStore);
  });

  it('artifacts.s3 sets the S3 store\'s multipart threshold, part size and queue size', () => {
    const MiB = 1024 * 1024;
    vi.mocked(lazyS3ArtifactStore).mockClear();
    backendsOf({ artifacts: { backend: 's3', s3: { multipartThresholdBytes: 64 * MiB, multipartPartSizeBytes: 16 * MiB, multipartQueueSize: 8 } }, sagemaker: { region: 'eu-west-1' } });
    expect(vi.mocked(lazyS3ArtifactStore).mock.calls).toEqual([
      [{ region: 'eu-west-1', multipartThresholdBytes: 64 * MiB, multipartPartSizeBytes: 16 * MiB, multipartQueueSize: 8 }],
    ]);
  });

  it('artifacts.s3 is checked against S3\'s bounds when the file is read', () => {
    expect(() => resolveCairnConfig({ artifacts: { s3: { multipartPartSizeBytes: 1024, multipartQueueSize: 0, partSize: 1 } } }, '/tmp')).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        details: expect.objectContaining({
          issues: expect.arrayContaining([
            expect.objectContaining({ path: ['artifacts', 's3', 'multipartPartSizeBytes'] }),
            expect.objectContaining({ path: ['artifacts', 's3', 'multipartQueueSize'] }),
            expect.objectContaining({ path: ['artifacts', 's3'], message: expect.stringContaining('partSize') }),
          ]),
        }),
      }),
    );
  });
});

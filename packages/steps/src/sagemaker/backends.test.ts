import { describe, expect, it, onTestFinished } from 'vitest';
import { LocalArtifactStore } from '../artifacts/local-artifact-store.js';
import { resolveCairnConfig } from '../config.js';
import { configuredBackends } from './backends.js';

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
});

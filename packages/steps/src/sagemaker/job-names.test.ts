import { describe, expect, it } from 'vitest';
import { idempotencyToken, prefixedName, sagemakerName } from './job-names.js';

describe('sagemakerName', () => {
  it('keeps a valid name that fits', () => {
    expect(sagemakerName('pipelines-abc123def456-Train-1', 63)).toBe('pipelines-abc123def456-Train-1');
  });

  it('cleans invalid characters and adds a hash of the original, so distinct names stay distinct', () => {
    const a = sagemakerName('pipelines-abc123def456-my_step-1', 63);
    const b = sagemakerName('pipelines-abc123def456-my-step-1', 63);
    expect(a).toMatch(/^pipelines-abc123def456-my-step-1-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(sagemakerName('pipelines-abc123def456-my_step-1', 63)).toBe(a);
  });

  it('shortens to the limit (32 for tuning jobs) and stays valid', () => {
    const name = sagemakerName('pipelines-abc123def456-HyperparameterSearch-3', 32);
    expect(name.length).toBeLessThanOrEqual(32);
    expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/);
    expect(sagemakerName('___', 32)).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('idempotencyToken', () => {
  it('is 32 hex characters, stable per job name', () => {
    expect(idempotencyToken('a')).toMatch(/^[0-9a-f]{32}$/);
    expect(idempotencyToken('a')).toBe(idempotencyToken('a'));
    expect(idempotencyToken('a')).not.toBe(idempotencyToken('b'));
  });
});

describe('prefixedName', () => {
  it('keeps a custom prefix and makes the name unique per attempt', () => {
    const a = prefixedName('churn-train', 'pipelines-abc123def456-Train-1', 63);
    expect(a).toMatch(/^churn-train-[0-9a-f]{10}$/);
    expect(prefixedName('churn-train', 'pipelines-abc123def456-Train-2', 63)).not.toBe(a);
    expect(prefixedName('a-very-long-custom-prefix-for-tuning', 'x', 32).length).toBeLessThanOrEqual(32);
  });
});

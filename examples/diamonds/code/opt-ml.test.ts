import { afterEach, describe, expect, it, vi } from 'vitest';
import { optMl } from './opt-ml.js';

describe('optMl', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('returns /opt/ml paths unchanged when CAIRN_OPT_ML_ROOT is not set (SageMaker)', () => {
    vi.stubEnv('CAIRN_OPT_ML_ROOT', undefined);
    expect(optMl('/opt/ml/model/model.json')).toBe('/opt/ml/model/model.json');
  });

  it('re-roots /opt/ml and everything under it into CAIRN_OPT_ML_ROOT', () => {
    vi.stubEnv('CAIRN_OPT_ML_ROOT', '/sandbox/opt/ml');
    expect(optMl('/opt/ml/processing/input/data')).toBe('/sandbox/opt/ml/processing/input/data');
    expect(optMl('/opt/ml')).toBe('/sandbox/opt/ml');
  });

  it('leaves paths outside /opt/ml alone', () => {
    vi.stubEnv('CAIRN_OPT_ML_ROOT', '/sandbox/opt/ml');
    expect(optMl('/opt/mlflow/x')).toBe('/opt/mlflow/x');
    expect(optMl('/tmp/data.csv')).toBe('/tmp/data.csv');
    expect(optMl('relative/opt/ml')).toBe('relative/opt/ml');
  });
});

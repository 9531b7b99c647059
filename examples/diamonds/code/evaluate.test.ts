import { mkdir, readFile } from 'node:fs/promises';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { formatCsv } from './dataset.js';
import { evaluate, regressionMetrics } from './evaluate.js';
import type { GbtModel } from './gbt.js';
import { optMl } from './opt-ml.js';
import { silentLogger, useOptMlRoot, writeOptMlFile } from './test-support.js';

/** One stump: feature 0 ≤ 0.5 → 10 + 0, else 10 + 5. */
const STUMP: GbtModel = {
  format: 'cairn-gbt',
  version: 1,
  featureCount: 1,
  baseScore: 10,
  trees: [[{ feature: 0, threshold: 0.5, left: 1, right: 2 }, { value: 0 }, { value: 5 }]],
};

/** Packs `model` as model.json into /opt/ml/processing/model/model.tar.gz, as a training job's output. */
async function packModel(model: unknown): Promise<void> {
  await writeOptMlFile('/opt/ml/model/model.json', JSON.stringify(model));
  await mkdir(optMl('/opt/ml/processing/model'), { recursive: true });
  await tar.c({ gzip: true, file: optMl('/opt/ml/processing/model/model.tar.gz'), cwd: optMl('/opt/ml/model') }, ['model.json']);
}

describe('regressionMetrics', () => {
  it('computes mse, the standard deviation of the squared errors, rmse, mae and r2', () => {
    // Squared errors 0, 0, 4: mse 4/3, population std sqrt(32/9); SST = 2, so r2 = 1 - 4/2.
    const { regression_metrics: m } = regressionMetrics([1, 2, 3], [1, 2, 5]);
    expect(m.mse.value).toBeCloseTo(4 / 3, 12);
    expect(m.mse.standard_deviation).toBeCloseTo(Math.sqrt(32 / 9), 12);
    expect(m.rmse.value).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(m.mae.value).toBeCloseTo(2 / 3, 12);
    expect(m.r2.value).toBeCloseTo(-1, 12);
  });

  it('reports a perfect fit as mse 0 and r2 1', () => {
    const { regression_metrics: m } = regressionMetrics([4, 8], [4, 8]);
    expect(m).toEqual({ mse: { value: 0, standard_deviation: 0 }, rmse: { value: 0 }, mae: { value: 0 }, r2: { value: 1 } });
  });
});

describe('evaluate', () => {
  it('extracts model.tar.gz, scores the test CSV and writes evaluation.json', async () => {
    await useOptMlRoot();
    await packModel(STUMP);
    // Predictions 10, 15, 15 against targets 10, 15, 17: squared errors 0, 0, 4.
    await writeOptMlFile('/opt/ml/processing/test/test.csv', formatCsv([[10, 0.2], [15, 0.9], [17, 0.7]]));
    await evaluate([], silentLogger);
    const report: unknown = JSON.parse(await readFile(optMl('/opt/ml/processing/evaluation/evaluation.json'), 'utf8'));
    expect(report).toEqual(regressionMetrics([10, 15, 17], [10, 15, 15]));
    expect(report).toMatchObject({ regression_metrics: { mse: { value: 4 / 3 } } });
  });

  it('fails with a fix when the archive holds no cairn-gbt model', async () => {
    await useOptMlRoot();
    await packModel({ format: 'xgboost' });
    await writeOptMlFile('/opt/ml/processing/test/test.csv', formatCsv([[1, 0]]));
    await expect(evaluate([], silentLogger)).rejects.toThrow(/is not a cairn-gbt model[\s\S]*To fix:/);
  });
});

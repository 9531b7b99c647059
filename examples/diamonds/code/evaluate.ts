/**
 * Processing step: scores the trained model on the test split and writes
 * `/opt/ml/processing/evaluation/evaluation.json` in the shape of SageMaker's abalone example
 * (`regression_metrics.mse.value`, which the pipeline's condition reads), plus rmse, mae and r2.
 * Usage: `node evaluate.ts`.
 */
import { mean } from 'd3-array';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import * as tar from 'tar';
import { readCsvDir, splitTarget } from './dataset.js';
import { loadModel, predict } from './gbt.js';
import { optMl } from './opt-ml.js';
import { FailureFile, runIfMain } from './script.js';

/** The evaluation report: each metric as `{ value }`, mse also with the standard deviation of the squared errors. */
export interface EvaluationReport {
  regression_metrics: {
    mse: { value: number; standard_deviation: number };
    rmse: { value: number };
    mae: { value: number };
    r2: { value: number };
  };
}

/** Computes the report from targets and predictions of equal length (at least one). */
export function regressionMetrics(targets: readonly number[], predictions: readonly number[]): EvaluationReport {
  const squaredErrors = targets.map((y, i) => (y - predictions[i]!) ** 2);
  const mse = mean(squaredErrors)!;
  const targetMean = mean(targets)!;
  const totalSquares = targets.reduce((s, y) => s + (y - targetMean) ** 2, 0);
  return {
    regression_metrics: {
      // Population standard deviation (numpy's default ddof=0).
      mse: { value: mse, standard_deviation: Math.sqrt(mean(squaredErrors, (e) => (e - mse) ** 2)!) },
      rmse: { value: Math.sqrt(mse) },
      mae: { value: mean(targets, (y, i) => Math.abs(y - predictions[i]!))! },
      r2: { value: 1 - (mse * targets.length) / totalSquares },
    },
  };
}

/** Extracts `model.tar.gz` into a temporary directory and loads its `model.json`. */
async function loadPackedModel(archive: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'cairn-model-'));
  try {
    await tar.x({ file: archive, cwd: dir });
    return await loadModel(path.join(dir, 'model.json'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Entry point: evaluates the model on the test CSV files and writes `evaluation.json`. */
export async function evaluate(_argv: readonly string[], log: Logger): Promise<void> {
  const model = await loadPackedModel(optMl('/opt/ml/processing/model/model.tar.gz'));
  const test = splitTarget(await readCsvDir(optMl('/opt/ml/processing/test')));
  const report = regressionMetrics(test.targets, predict(model, test.features));
  const outputDir = optMl('/opt/ml/processing/evaluation');
  await mkdir(outputDir, { recursive: true });
  await writeFile(path.join(outputDir, 'evaluation.json'), JSON.stringify(report));
  log.info({ rows: test.targets.length, ...report.regression_metrics }, 'evaluation written');
}

runIfMain(import.meta.url, { name: 'evaluate', failureFile: FailureFile.Processing }, evaluate);

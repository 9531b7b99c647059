/**
 * Training step (script mode): fits gradient-boosted trees to the train channel, reports
 * `[<round>] train-rmse: <x> validation-rmse: <y>` every 10 rounds and after the last, and
 * writes the model to `$SM_MODEL_DIR/model.json`.
 * Usage: `node train.ts --num_round 100 --max_depth 5 --eta 0.2` (also read from `SM_HPS`).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { z } from 'zod';
import { readCsvDir, splitTarget } from './dataset.js';
import { fitGbt, type GbtParams, type LabelledData } from './gbt.js';
import { optMl } from './opt-ml.js';
import { FailureFile, runIfMain } from './script.js';

/** Hyperparameters (XGBoost's names); SageMaker passes them as strings. */
export const HyperparametersSchema = z.object({
  num_round: z.coerce.number().int().min(1).max(10_000).default(100),
  max_depth: z.coerce.number().int().min(0).max(20).default(5),
  eta: z.coerce.number().gt(0).max(1).default(0.2),
  min_child_weight: z.coerce.number().min(0).default(1),
  subsample: z.coerce.number().gt(0).max(1).default(1),
  lambda: z.coerce.number().min(0).default(1),
  max_bin: z.coerce.number().int().min(2).max(256).default(256),
  seed: z.coerce.number().int().default(0),
});

/** Prints metric lines every this many rounds (and after the last). */
const METRIC_EVERY = 10;

/** Hyperparameters from `SM_HPS`, else from `/opt/ml/input/config/hyperparameters.json`. */
async function configuredHyperparameters(): Promise<Record<string, unknown>> {
  const file = optMl('/opt/ml/input/config/hyperparameters.json');
  const text = process.env.SM_HPS ?? (existsSync(file) ? await readFile(file, 'utf8') : '{}');
  return z.record(z.string(), z.unknown()).parse(JSON.parse(text));
}

/** Resolves the fit's settings: configured hyperparameters, overridden by `--name value` arguments. */
export async function resolveParams(argv: readonly string[]): Promise<GbtParams> {
  const options = Object.fromEntries(
    Object.keys(HyperparametersSchema.shape).map((name) => [name, { type: 'string' as const }]),
  );
  // strict: false lets through the extra arguments SageMaker adds (they are not hyperparameters here).
  const { values } = parseArgs({ args: [...argv], options, strict: false });
  const result = HyperparametersSchema.safeParse({ ...(await configuredHyperparameters()), ...values });
  if (!result.success) {
    throw new Error(`Invalid hyperparameters: ${z.prettifyError(result.error)} To fix: correct the step's HyperParameters.`);
  }
  const hp = result.data;
  return {
    numRound: hp.num_round,
    maxDepth: hp.max_depth,
    eta: hp.eta,
    minChildWeight: hp.min_child_weight,
    subsample: hp.subsample,
    lambda: hp.lambda,
    maxBin: hp.max_bin,
    seed: hp.seed,
  };
}

/** Reads a channel's CSV files (target first); `undefined` when the channel is absent. */
async function readChannel(name: string, envDir: string | undefined): Promise<LabelledData | undefined> {
  const dir = envDir ?? optMl(`/opt/ml/input/data/${name}`);
  return existsSync(dir) ? splitTarget(await readCsvDir(dir)) : undefined;
}

/** Formats one metric line in XGBoost's style (what the step's MetricDefinitions match). */
export function formatMetricLine(round: number, rmseByName: Readonly<Record<string, number>>): string {
  const metrics = Object.entries(rmseByName).map(([name, value]) => `${name}-rmse: ${value.toFixed(4)}`);
  return `[${round}] ${metrics.join(' ')}`;
}

/** Entry point: fits the model and writes `model.json` into the model directory. */
export async function train(argv: readonly string[], log: Logger): Promise<void> {
  const params = await resolveParams(argv);
  const trainData = await readChannel('train', process.env.SM_CHANNEL_TRAIN);
  if (!trainData) {
    throw new Error('The train channel is missing. To fix: add an InputDataConfig channel named "train".');
  }
  const validation = await readChannel('validation', process.env.SM_CHANNEL_VALIDATION);
  log.info({ params, train: trainData.targets.length, validation: validation?.targets.length ?? 0 }, 'training');
  const started = performance.now();
  const model = fitGbt(trainData, params, {
    ...(validation && { evalSets: { validation } }),
    onRound: (round, rmseByName) => {
      if (round % METRIC_EVERY === 0 || round === params.numRound - 1) {
        process.stdout.write(`${formatMetricLine(round, rmseByName)}\n`);
      }
    },
  });
  const modelDir = process.env.SM_MODEL_DIR ?? optMl('/opt/ml/model');
  await mkdir(modelDir, { recursive: true });
  await writeFile(path.join(modelDir, 'model.json'), JSON.stringify(model));
  log.info({ seconds: (performance.now() - started) / 1000, trees: model.trees.length, modelDir }, 'model written');
}

runIfMain(import.meta.url, { name: 'train', failureFile: FailureFile.Training }, train);

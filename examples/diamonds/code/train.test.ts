import { existsSync } from 'node:fs';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { formatCsv } from './dataset.js';
import { loadModel, predict, rmse } from './gbt.js';
import { optMl } from './opt-ml.js';
import { silentLogger, useOptMlRoot, writeOptMlFile } from './test-support.js';
import { formatMetricLine, resolveParams, train } from './train.js';

/** Rows of `price = 100 * a + 10 * b` over a grid (target first, like preprocess writes). */
function gridRows(offset: number): number[][] {
  return Array.from({ length: 400 }, (_, i) => {
    const a = (i % 20) + offset;
    const b = Math.floor(i / 20);
    return [100 * a + 10 * b, a, b];
  });
}

describe('resolveParams', () => {
  it('uses the defaults without configuration', async () => {
    await useOptMlRoot();
    vi.stubEnv('SM_HPS', undefined);
    await expect(resolveParams([])).resolves.toEqual({
      numRound: 100,
      maxDepth: 5,
      eta: 0.2,
      minChildWeight: 1,
      subsample: 1,
      lambda: 1,
      maxBin: 256,
      seed: 0,
    });
  });

  it('reads SM_HPS (strings or numbers) and lets --name value arguments override it', async () => {
    await useOptMlRoot();
    vi.stubEnv('SM_HPS', JSON.stringify({ num_round: '7', eta: 0.5, sagemaker_program: 'train.ts' }));
    const params = await resolveParams(['--eta', '0.1', '--max_depth', '3', '--unrelated', 'x']);
    expect(params).toMatchObject({ numRound: 7, eta: 0.1, maxDepth: 3 });
  });

  it('falls back to /opt/ml/input/config/hyperparameters.json without SM_HPS', async () => {
    await useOptMlRoot();
    vi.stubEnv('SM_HPS', undefined);
    await writeOptMlFile('/opt/ml/input/config/hyperparameters.json', JSON.stringify({ subsample: '0.5' }));
    await expect(resolveParams([])).resolves.toMatchObject({ subsample: 0.5 });
  });

  it('rejects an out-of-range hyperparameter with a fix', async () => {
    await useOptMlRoot();
    vi.stubEnv('SM_HPS', JSON.stringify({ eta: '2' }));
    await expect(resolveParams([])).rejects.toThrow(/eta[\s\S]*To fix:/);
  });
});

describe('formatMetricLine', () => {
  it('prints XGBoost-style metric lines', () => {
    expect(formatMetricLine(9, { train: 1.23456, validation: 2 })).toBe('[9] train-rmse: 1.2346 validation-rmse: 2.0000');
  });
});

describe('train', () => {
  it('fits the SM_CHANNEL_* data, prints metric lines and writes SM_MODEL_DIR/model.json', async () => {
    await useOptMlRoot();
    await writeOptMlFile('/opt/ml/input/data/train/part-1.csv', formatCsv(gridRows(0)));
    await writeOptMlFile('/opt/ml/input/data/validation/validation.csv', formatCsv(gridRows(0.5)));
    vi.stubEnv('SM_CHANNEL_TRAIN', optMl('/opt/ml/input/data/train'));
    vi.stubEnv('SM_CHANNEL_VALIDATION', optMl('/opt/ml/input/data/validation'));
    vi.stubEnv('SM_MODEL_DIR', optMl('/opt/ml/model'));
    vi.stubEnv('SM_HPS', '{}');
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => lines.push(String(chunk)) > 0);
    onTestFinished(() => write.mockRestore());
    await train(['--num_round', '25', '--max_depth', '4', '--eta', '0.3'], silentLogger);
    expect(lines.map((line) => line.split(' ')[0])).toEqual(['[0]', '[10]', '[20]', '[24]']);
    expect(lines[3]).toMatch(/^\[24\] train-rmse: \d+\.\d{4} validation-rmse: \d+\.\d{4}\n$/);
    const model = await loadModel(optMl('/opt/ml/model/model.json'));
    expect(model.trees).toHaveLength(25);
    const validation = gridRows(0.5);
    const targets = validation.map((row) => row[0]!);
    // The targets span 0–2090; a fitted model is far better than predicting the mean.
    expect(rmse(targets, predict(model, validation.map((row) => row.slice(1))))).toBeLessThan(60);
  });

  it('fails with a fix when the train channel is missing', async () => {
    await useOptMlRoot();
    vi.stubEnv('SM_CHANNEL_TRAIN', undefined);
    vi.stubEnv('SM_HPS', '{}');
    await expect(train([], silentLogger)).rejects.toThrow(/train channel is missing\. To fix:/);
    expect(existsSync(optMl('/opt/ml/model/model.json'))).toBe(false);
  });
});

import { randomLcg, randomNormal, randomUniform } from 'd3-random';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { binCuts, fitGbt, GbtModelSchema, loadModel, predict, rmse, type GbtParams, type LabelledData } from './gbt.js';

const PARAMS: GbtParams = {
  numRound: 50,
  maxDepth: 3,
  eta: 0.3,
  minChildWeight: 1,
  subsample: 1,
  lambda: 1,
  maxBin: 64,
  seed: 0,
};

/** `n` rows of `featureCount` uniform features in [0, 1) and targets `f(row) + N(0, noise)`. */
function synthetic(n: number, featureCount: number, f: (row: number[]) => number, noise: number, seed: number): LabelledData {
  const source = randomLcg(seed);
  const uniform = randomUniform.source(source)();
  const normal = randomNormal.source(source)(0, noise);
  const features = Array.from({ length: n }, () => Array.from({ length: featureCount }, uniform));
  return { features, targets: features.map((row) => f(row) + normal()) };
}

describe('fitGbt', () => {
  it('fits a linear function to within the noise', () => {
    const linear = (row: number[]) => 3 * row[0]!;
    const train = synthetic(2000, 3, linear, 0.1, 1);
    const test = synthetic(500, 3, linear, 0, 2);
    const model = fitGbt(train, { ...PARAMS, numRound: 100 });
    // The noise-free test targets: only the model's own error remains (the signal's std is ~0.87).
    expect(rmse(test.targets, predict(model, test.features))).toBeLessThan(0.1);
  });

  it('recovers a step function exactly with one depth-1 tree, eta 1 and no regularisation', () => {
    const step = (row: number[]) => (row[1]! > 0.5 ? 10 : -4);
    // Fewer distinct values than bins: the cut falls exactly between the two levels.
    const train = synthetic(200, 2, step, 0, 3);
    const model = fitGbt(train, { ...PARAMS, numRound: 1, maxDepth: 1, eta: 1, lambda: 0, maxBin: 256 });
    expect(model.trees[0]).toHaveLength(3);
    expect(model.trees[0]![0]).toMatchObject({ feature: 1 });
    const predictions = predict(model, train.features);
    predictions.forEach((p, i) => expect(p).toBeCloseTo(train.targets[i]!, 9));
  });

  it('is deterministic for a seed, and the seed drives row subsampling', () => {
    const data = synthetic(500, 4, (row) => row[0]! * row[1]! + row[2]!, 0.05, 4);
    const params = { ...PARAMS, numRound: 10, subsample: 0.7, seed: 7 };
    const first = fitGbt(data, params);
    expect(fitGbt(data, params)).toEqual(first);
    expect(fitGbt(data, { ...params, seed: 8 })).not.toEqual(first);
  });

  it('reports the RMSE of the training rows and each eval set after every round', () => {
    const f = (row: number[]) => Math.sin(6 * row[0]!) + row[1]!;
    const train = synthetic(1000, 2, f, 0.05, 5);
    const validation = synthetic(300, 2, f, 0.05, 6);
    const reports: Array<[number, Readonly<Record<string, number>>]> = [];
    fitGbt(train, { ...PARAMS, numRound: 20 }, { evalSets: { validation }, onRound: (r, m) => reports.push([r, m]) });
    expect(reports.map(([round]) => round)).toEqual([...Array(20).keys()]);
    expect(Object.keys(reports[0]![1])).toEqual(['train', 'validation']);
    expect(reports[19]![1]['validation']).toBeLessThan(reports[0]![1]['validation']! / 3);
  });

  it('keeps each leaf above min_child_weight rows', () => {
    const data = synthetic(100, 1, (row) => row[0]!, 0, 8);
    const model = fitGbt(data, { ...PARAMS, numRound: 1, maxDepth: 10, minChildWeight: 30 });
    // 100 rows with at least 30 per leaf allow at most 3 leaves.
    expect(model.trees[0]!.filter((node) => 'value' in node).length).toBeLessThanOrEqual(3);
  });

  it('refuses an empty training set', () => {
    expect(() => fitGbt({ features: [], targets: [] }, PARAMS)).toThrow(/To fix:/);
  });
});

describe('binCuts', () => {
  it('cuts between distinct values when there are few', () => {
    expect(binCuts([3, 1, 2, 2, 1], 256)).toEqual([1.5, 2.5]);
  });

  it('cuts at quantiles when there are more distinct values than bins', () => {
    const cuts = binCuts(
      Array.from({ length: 1000 }, (_, i) => i),
      4,
    );
    expect(cuts).toEqual([249.75, 499.5, 749.25]);
  });
});

describe('model files', () => {
  it('round-trips through JSON and predicts the same', async () => {
    const data = synthetic(200, 2, (row) => row[0]! - row[1]!, 0.01, 9);
    const model = fitGbt(data, { ...PARAMS, numRound: 5 });
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'gbt-')), 'model.json');
    await writeFile(file, JSON.stringify(model));
    const loaded = await loadModel(file);
    expect(predict(loaded, data.features)).toEqual(predict(model, data.features));
  });

  it.each([
    ['a child that points backwards (it could loop)', [{ feature: 0, threshold: 1, left: 1, right: 0 }, { value: 1 }]],
    ['a split on a feature the model does not have', [{ feature: 1, threshold: 1, left: 1, right: 2 }, { value: 1 }, { value: 2 }]],
  ])('rejects a tree with %s', (_, tree) => {
    const model = { format: 'cairn-gbt', version: 1, featureCount: 1, baseScore: 0, trees: [tree] };
    expect(GbtModelSchema.safeParse(model).success).toBe(false);
    expect(GbtModelSchema.safeParse({ ...model, trees: [] }).success).toBe(true);
  });

  it('refuses rows with the wrong number of features', () => {
    const model = fitGbt(synthetic(50, 2, (row) => row[0]!, 0, 10), { ...PARAMS, numRound: 1 });
    expect(() => predict(model, [[1, 2, 3]])).toThrow(/Row 1 has 3 features; the model expects 2/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  bayesianStrategy,
  decodePoint,
  dimensionsFromRanges,
  expectedImprovement,
  fitGaussianProcess,
  gridStrategy,
  randomStrategy,
  seededRandom,
  type Strategy,
  type Trial,
} from './tuning-strategies.js';

const dims = dimensionsFromRanges({
  ContinuousParameterRanges: [
    { Name: 'x', MinValue: '0', MaxValue: '1', ScalingType: 'Linear' },
    { Name: 'lr', MinValue: '0.0001', MaxValue: '1', ScalingType: 'Auto' },
  ],
  IntegerParameterRanges: [{ Name: 'depth', MinValue: '2', MaxValue: '8' }],
  CategoricalParameterRanges: [{ Name: 'kernel', Values: ['linear', 'rbf'] }],
});

function search(strategy: Strategy, f: (p: readonly number[]) => number, n: number): Trial[] {
  const trials: Trial[] = [];
  for (let i = 0; i < n; i++) {
    const point = strategy(trials);
    if (!point) break;
    trials.push({ point, objective: f(point) });
  }
  return trials;
}

describe('dimensions and decoding', () => {
  it('maps the unit cube with each scaling (Auto picks log for wide positive ranges)', () => {
    expect(dims.map((d) => (d.kind === 'Categorical' ? d.kind : d.scaling))).toEqual(['Linear', 'Logarithmic', 'Linear', 'Categorical']);
    expect(decodePoint(dims, [0.5, 0.5, 1, 0.99])).toEqual({ x: '0.5', lr: '0.01', depth: '8', kernel: 'rbf' });
    expect(decodePoint(dims, [0, 0, 0, 0])).toEqual({ x: '0', lr: '0.0001', depth: '2', kernel: 'linear' });
    const reverse = dimensionsFromRanges({ ContinuousParameterRanges: [{ Name: 'm', MinValue: '0.9', MaxValue: '0.999', ScalingType: 'ReverseLogarithmic' }] });
    expect(Number(decodePoint(reverse, [0])['m'])).toBeCloseTo(0.9);
    expect(Number(decodePoint(reverse, [1])['m'])).toBeCloseTo(0.999);
  });

  it('rejects inverted ranges', () => {
    expect(() => dimensionsFromRanges({ IntegerParameterRanges: [{ Name: 'n', MinValue: '5', MaxValue: '1' }] })).toThrow(/not a valid range/);
  });
});

describe('strategies', () => {
  it('Random is deterministic for a seed and differs across seeds', () => {
    const a = search(randomStrategy(dims, seededRandom(7)), () => 0, 5).map((t) => t.point);
    const b = search(randomStrategy(dims, seededRandom(7)), () => 0, 5).map((t) => t.point);
    const c = search(randomStrategy(dims, seededRandom(8)), () => 0, 5).map((t) => t.point);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('Grid enumerates every combination once, then stops; continuous ranges are refused', () => {
    const grid = dimensionsFromRanges({
      IntegerParameterRanges: [{ Name: 'depth', MinValue: '3', MaxValue: '5' }],
      CategoricalParameterRanges: [{ Name: 'kernel', Values: ['linear', 'rbf'] }],
    });
    const points = search(gridStrategy(grid), () => 0, 100).map((t) => decodePoint(grid, t.point));
    expect(points).toHaveLength(6);
    expect(new Set(points.map((p) => `${p['depth']}/${p['kernel']}`)).size).toBe(6);
    expect(() => gridStrategy(dims)).toThrow(/continuous parameter "x"/);
  });

  it('Bayesian (GP + expected improvement) beats Random on a smooth objective with the same budget', () => {
    const box = dimensionsFromRanges({ ContinuousParameterRanges: [{ Name: 'a', MinValue: '0', MaxValue: '1' }, { Name: 'b', MinValue: '0', MaxValue: '1' }] });
    const f = (p: readonly number[]) => -(((p[0] ?? 0) - 0.73) ** 2) - ((p[1] ?? 0) - 0.21) ** 2;
    const best = (ts: Trial[]) => Math.max(...ts.map((t) => t.objective ?? -Infinity));
    let bayesWins = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const bayes = best(search(bayesianStrategy(box, seededRandom(seed)), f, 15));
      const random = best(search(randomStrategy(box, seededRandom(seed)), f, 15));
      if (bayes >= random) bayesWins++;
      expect(bayes).toBeGreaterThan(-0.01);
    }
    expect(bayesWins).toBeGreaterThanOrEqual(4);
    const again = search(bayesianStrategy(box, seededRandom(1)), f, 6).map((t) => t.point);
    expect(search(bayesianStrategy(box, seededRandom(1)), f, 6).map((t) => t.point)).toEqual(again);
  });

  it('the GP interpolates its observations and EI prefers uncertain or better points', () => {
    const gp = fitGaussianProcess([[0], [0.5], [1]], [1, 3, 2]);
    expect(gp.predict([0.5]).mean).toBeCloseTo(3, 1);
    expect(gp.predict([0.5]).sd).toBeLessThan(0.1);
    expect(expectedImprovement({ mean: 3, sd: 1 }, 3)).toBeGreaterThan(expectedImprovement({ mean: 3, sd: 0.1 }, 3));
    expect(expectedImprovement({ mean: 2, sd: 0 }, 3)).toBe(0);
  });
});

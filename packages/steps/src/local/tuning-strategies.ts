import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { errorFunction } from 'simple-statistics';
import { ErrorCode, OrchestratorError } from '@cairn/core';

/**
 * Search strategies of the local tuning executor. Every strategy works in the unit cube: one
 * coordinate per parameter, mapped to a value by the range's scaling (Linear, Logarithmic,
 * ReverseLogarithmic; Auto = Logarithmic when the range is positive and spans ≥ 2 decades, else
 * Linear); a categorical parameter of k values uses one coordinate split into k equal buckets.
 */

/** One tunable parameter. */
export type Dimension =
  | { kind: 'Continuous' | 'Integer'; name: string; min: number; max: number; scaling: 'Linear' | 'Logarithmic' | 'ReverseLogarithmic' }
  | { kind: 'Categorical'; name: string; values: readonly string[] };

/**
 * A trial: its point and objective (always maximised; `undefined` while it runs;
 * `-Infinity` when it failed, which the Bayesian strategy leaves out of its model).
 */
export interface Trial {
  point: readonly number[];
  objective: number | undefined;
}

/** Proposes the next point, or `undefined` when the strategy has nothing left (Grid). */
export type Strategy = (trials: readonly Trial[]) => number[] | undefined;

/** A `ContinuousParameterRange` or `IntegerParameterRange` (bounds are strings, as in the API). */
export interface NumericRange {
  Name: string;
  MinValue: string;
  MaxValue: string;
  ScalingType?: string | undefined;
}

/** The `ParameterRanges` of a tuning job config as dimensions. */
export function dimensionsFromRanges(ranges: {
  ContinuousParameterRanges?: readonly NumericRange[] | undefined;
  IntegerParameterRanges?: readonly NumericRange[] | undefined;
  CategoricalParameterRanges?: readonly { Name: string; Values: readonly string[] }[] | undefined;
}): Dimension[] {
  const numeric = (kind: 'Continuous' | 'Integer') => (r: NumericRange): Dimension => {
    const min = Number(r.MinValue);
    const max = Number(r.MaxValue);
    if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
      throw new OrchestratorError(ErrorCode.DefinitionInvalid, `The ${kind} range "${r.Name}" (${r.MinValue}..${r.MaxValue}) is not a valid range.`, {
        fix: 'give numeric MinValue ≤ MaxValue as strings, e.g. "MinValue": "0.01".',
      });
    }
    return { kind, name: r.Name, min, max, scaling: scalingOf(r.ScalingType, min, max) };
  };
  return [
    ...(ranges.ContinuousParameterRanges ?? []).map(numeric('Continuous')),
    ...(ranges.IntegerParameterRanges ?? []).map(numeric('Integer')),
    ...(ranges.CategoricalParameterRanges ?? []).map((r): Dimension => ({ kind: 'Categorical', name: r.Name, values: r.Values })),
  ];
}

function scalingOf(type: string | undefined, min: number, max: number): 'Linear' | 'Logarithmic' | 'ReverseLogarithmic' {
  if (type === 'Logarithmic' || type === 'ReverseLogarithmic' || type === 'Linear') return type;
  return min > 0 && max / min >= 100 ? 'Logarithmic' : 'Linear';
}

/** Maps a point of the unit cube to hyperparameter strings (as SageMaker passes them). */
export function decodePoint(dims: readonly Dimension[], point: readonly number[]): Record<string, string> {
  return Object.fromEntries(dims.map((d, i) => [d.name, decodeValue(d, Math.min(Math.max(point[i] ?? 0, 0), 1))]));
}

function decodeValue(d: Dimension, u: number): string {
  if (d.kind === 'Categorical') return d.values[Math.min(Math.floor(u * d.values.length), d.values.length - 1)] ?? '';
  const value = scale(d, u);
  return d.kind === 'Integer' ? String(Math.round(value)) : String(Number(value.toPrecision(12)));
}

function scale(d: { min: number; max: number; scaling: string }, u: number): number {
  if (d.min === d.max) return d.min;
  if (d.scaling === 'Logarithmic') return Math.exp(Math.log(d.min) + u * (Math.log(d.max) - Math.log(d.min)));
  // Reverse log (ranges inside [0, 1)): log scale on 1 - value, so values crowd towards max.
  if (d.scaling === 'ReverseLogarithmic') return 1 - Math.exp(Math.log(1 - d.max) + (1 - u) * (Math.log(1 - d.min) - Math.log(1 - d.max)));
  return d.min + u * (d.max - d.min);
}

/** A seeded source of uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  const rng = xoroshiro128plus(seed);
  return () => uniformFloat64(rng);
}

/** Random search: independent uniform points (scaling applies when decoding). */
export function randomStrategy(dims: readonly Dimension[], random: () => number): Strategy {
  return () => dims.map(() => random());
}

/**
 * Grid search over categorical (and integer) parameters, in row-major order; continuous ranges
 * are rejected, as on SageMaker.
 */
export function gridStrategy(dims: readonly Dimension[]): Strategy {
  const axes = dims.map((d) => {
    if (d.kind === 'Categorical') return d.values.map((_, i) => (i + 0.5) / d.values.length);
    if (d.kind === 'Integer') {
      const count = d.max - d.min + 1;
      return Array.from({ length: count }, (_, i) => (count === 1 ? 0 : i / (count - 1)));
    }
    throw new OrchestratorError(ErrorCode.DefinitionInvalid, `Grid search cannot enumerate the continuous parameter "${d.name}".`, {
      fix: 'use CategoricalParameterRanges (or IntegerParameterRanges) with the Grid strategy, or choose Random or Bayesian.',
    });
  });
  const grid = axes.reduce<number[][]>((points, axis) => points.flatMap((p) => axis.map((v) => [...p, v])), [[]]);
  return (trials) => grid[trials.length];
}

/** Number of random points before the Gaussian process takes over. */
const BAYESIAN_WARMUP = 3;
const CANDIDATES = 512;
const LENGTH_SCALES = [0.05, 0.1, 0.2, 0.4, 0.8];
const NOISE = 1e-4;

/**
 * Bayesian optimisation: a Gaussian-process surrogate (RBF kernel on the unit cube, length scale
 * chosen by marginal likelihood, objectives standardised) and the expected-improvement
 * acquisition maximised over random candidates. Trials still running count at the current mean
 * prediction ("kriging believer"), so parallel proposals spread out.
 */
export function bayesianStrategy(dims: readonly Dimension[], random: () => number): Strategy {
  const draw = () => dims.map(() => random());
  return (trials) => {
    const done = trials.filter((t): t is { point: readonly number[]; objective: number } => Number.isFinite(t.objective));
    if (done.length < BAYESIAN_WARMUP || dims.length === 0) return draw();
    const gp = fitGaussianProcess(done.map((t) => t.point), done.map((t) => t.objective));
    const pending = trials.filter((t) => t.objective === undefined).map((t) => t.point);
    const believed = pending.length === 0 ? gp : fitGaussianProcess(
      [...done.map((t) => t.point), ...pending],
      [...done.map((t) => t.objective), ...pending.map((p) => gp.predict(p).mean)],
    );
    const best = Math.max(...done.map((t) => t.objective));
    let choice = draw();
    let bestEi = -1;
    for (let i = 0; i < CANDIDATES; i++) {
      const candidate = draw();
      const ei = expectedImprovement(believed.predict(candidate), best);
      if (ei > bestEi) [choice, bestEi] = [candidate, ei];
    }
    return choice;
  };
}

interface Prediction {
  mean: number;
  sd: number;
}

/** A fitted Gaussian process; predictions are in the objective's own units. */
export interface GaussianProcess {
  predict(point: readonly number[]): Prediction;
}

/** Fits a GP to observations, picking the RBF length scale with the highest marginal likelihood. */
export function fitGaussianProcess(points: readonly (readonly number[])[], values: readonly number[]): GaussianProcess {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length) || 1;
  const y = Matrix.columnVector(values.map((v) => (v - mean) / sd));
  const fits = LENGTH_SCALES.map((ell) => {
    const k = new Matrix(points.map((a) => points.map((b) => rbf(a, b, ell))));
    for (let i = 0; i < points.length; i++) k.set(i, i, k.get(i, i) + NOISE);
    const chol = new CholeskyDecomposition(k);
    const alpha = chol.solve(y);
    const l = chol.lowerTriangularMatrix;
    let logDet = 0;
    for (let i = 0; i < points.length; i++) logDet += Math.log(l.get(i, i));
    return { ell, chol, alpha, logLikelihood: -0.5 * y.transpose().mmul(alpha).get(0, 0) - logDet };
  });
  const fit = fits.reduce((a, b) => (b.logLikelihood > a.logLikelihood ? b : a));
  return {
    predict(point) {
      const kStar = Matrix.columnVector(points.map((p) => rbf(p, point, fit.ell)));
      const mu = kStar.transpose().mmul(fit.alpha).get(0, 0);
      const v = fit.chol.solve(kStar);
      const variance = Math.max(1 + NOISE - kStar.transpose().mmul(v).get(0, 0), 1e-12);
      return { mean: mean + sd * mu, sd: sd * Math.sqrt(variance) };
    },
  };
}

function rbf(a: readonly number[], b: readonly number[], ell: number): number {
  let d2 = 0;
  for (let i = 0; i < a.length; i++) d2 += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return Math.exp(-d2 / (2 * ell * ell));
}

/** Expected improvement over `best` (maximisation). */
export function expectedImprovement({ mean, sd }: Prediction, best: number): number {
  if (sd <= 0) return Math.max(mean - best, 0);
  const z = (mean - best) / sd;
  const cdf = 0.5 * (1 + errorFunction(z / Math.SQRT2));
  const pdf = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  return (mean - best) * cdf + sd * pdf;
}

/**
 * Gradient-boosted regression trees: squared-error loss, histogram-binned split finding,
 * depth-limited trees, shrinkage, L2-regularised leaves and optional seeded row subsampling.
 * The fitted model is plain JSON (`GbtModel`), validated by `GbtModelSchema` when loaded.
 */
import { bisectLeft, mean, quantileSorted } from 'd3-array';
import { randomLcg } from 'd3-random';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/** Settings of one fit; names follow XGBoost's hyperparameters. */
export interface GbtParams {
  /** Number of boosting rounds (trees). */
  numRound: number;
  /** Maximum depth of each tree (a depth-0 tree is a single leaf). */
  maxDepth: number;
  /** Shrinkage applied to every leaf value, in (0, 1]. */
  eta: number;
  /** Minimum number of rows (the hessian sum under squared error) in each child of a split. */
  minChildWeight: number;
  /** Fraction of rows sampled (Bernoulli, seeded) for each tree, in (0, 1]. */
  subsample: number;
  /** L2 regularisation of leaf values (XGBoost's `lambda`). */
  lambda: number;
  /** Maximum number of histogram bins per feature, 2–256. */
  maxBin: number;
  /** Seed of the row-subsampling random number generator. */
  seed: number;
}

/** Labelled rows: `features[i]` predicts `targets[i]`. */
export interface LabelledData {
  readonly features: readonly (readonly number[])[];
  readonly targets: readonly number[];
}

/** Reports the RMSE of the model after `round` (0-based) on the training rows and every eval set. */
export type RoundCallback = (round: number, rmse: Readonly<Record<string, number>>) => void;

const SplitNodeSchema = z.strictObject({
  feature: z.int().nonnegative(),
  threshold: z.number(),
  left: z.int().positive(),
  right: z.int().positive(),
});
const LeafNodeSchema = z.strictObject({ value: z.number() });

/** One tree as a node list; node 0 is the root, a row goes left when `row[feature] <= threshold`. */
const TreeSchema = z
  .array(z.union([SplitNodeSchema, LeafNodeSchema]))
  .min(1)
  .superRefine((nodes, ctx) => {
    // Children must point forward inside the tree, so prediction always ends at a leaf.
    nodes.forEach((node, index) => {
      if ('value' in node) return;
      for (const child of [node.left, node.right]) {
        if (child <= index || child >= nodes.length) {
          ctx.addIssue({ code: 'custom', path: [index], message: `child ${child} of node ${index} is out of order` });
        }
      }
    });
  });

/** The JSON model file written by training and read by evaluation and serving. */
export const GbtModelSchema = z
  .strictObject({
    format: z.literal('cairn-gbt'),
    version: z.literal(1),
    featureCount: z.int().positive(),
    baseScore: z.number(),
    trees: z.array(TreeSchema),
  })
  .superRefine((model, ctx) => {
    model.trees.forEach((tree, t) =>
      tree.forEach((node, n) => {
        if ('feature' in node && node.feature >= model.featureCount) {
          ctx.addIssue({ code: 'custom', path: ['trees', t, n, 'feature'], message: 'feature index out of range' });
        }
      }),
    );
  });

/** A fitted gradient-boosted trees model. */
export type GbtModel = z.infer<typeof GbtModelSchema>;
type Tree = GbtModel['trees'][number];
type TreeNode = Tree[number];

/** Predicts one row with one tree. */
function predictTree(tree: Tree, row: readonly number[]): number {
  let node = tree[0];
  while (node && !('value' in node)) {
    node = tree[row[node.feature]! <= node.threshold ? node.left : node.right];
  }
  return node?.value ?? 0;
}

/** Predicts every row; each must have exactly `model.featureCount` values. */
export function predict(model: GbtModel, rows: readonly (readonly number[])[]): number[] {
  return rows.map((row, i) => {
    if (row.length !== model.featureCount) {
      throw new Error(
        `Row ${i + 1} has ${row.length} features; the model expects ${model.featureCount}. ` +
          'To fix: send the features in training order, one row per line, without the target column.',
      );
    }
    return model.trees.reduce((sum, tree) => sum + predictTree(tree, row), model.baseScore);
  });
}

/** Reads and validates a model file written by `fitGbt` (via JSON.stringify). */
export async function loadModel(file: string): Promise<GbtModel> {
  const result = GbtModelSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!result.success) {
    throw new Error(
      `${file} is not a cairn-gbt model: ${z.prettifyError(result.error)} To fix: point at the model.json that train.ts wrote.`,
    );
  }
  return result.data;
}

/** Root-mean-square error of predictions against targets. */
export function rmse(targets: readonly number[], predictions: ArrayLike<number>): number {
  return Math.sqrt(mean(targets, (y, i) => (y - predictions[i]!) ** 2) ?? Number.NaN);
}

/**
 * Cut points of one feature: midpoints between distinct values when there are few, else
 * quantiles. A value's bin is the number of cut points below it, so `bin <= b` ⇔ `value <= cuts[b]`.
 */
export function binCuts(values: readonly number[], maxBin: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const distinct = sorted.filter((v, i) => i === 0 || v !== sorted[i - 1]);
  const cuts =
    distinct.length <= maxBin
      ? distinct.slice(1).map((v, i) => (distinct[i]! + v) / 2)
      : Array.from({ length: maxBin - 1 }, (_, k) => quantileSorted(sorted, (k + 1) / maxBin)!);
  return cuts.filter((c, i) => i === 0 || c !== cuts[i - 1]);
}

interface Split {
  feature: number;
  bin: number;
  gain: number;
  /** Residual sum of the rows that go left. */
  leftSum: number;
}

/** Residual sums and row counts per (feature, bin) slot; feature f's bins start at f * HISTOGRAM_STRIDE. */
interface Histogram {
  sums: Float64Array;
  counts: Uint32Array;
}

/**
 * Grows the trees of one fit. Histograms use the subtraction trick: only the smaller child of a
 * split is scanned, the larger one's histogram is its parent's minus the smaller one's.
 */
class TreeGrower {
  /** `levels[d]` holds the histogram of the node being grown at depth d. */
  private readonly levels: Histogram[];

  constructor(
    private readonly params: GbtParams,
    private readonly binned: BinnedFeatures,
    private readonly residuals: Float64Array,
  ) {
    const size = binned.featureCount * HISTOGRAM_STRIDE;
    this.levels = Array.from({ length: params.maxDepth + 1 }, () => ({
      sums: new Float64Array(size),
      counts: new Uint32Array(size),
    }));
  }

  /** Grows one tree over `rows` (reordered in place) and returns its node list. */
  grow(rows: Uint32Array): Tree {
    const nodes: TreeNode[] = [];
    const visit = (part: Uint32Array, total: number, depth: number): number => {
      const index = nodes.push({ value: 0 }) - 1;
      const split = depth < this.params.maxDepth ? this.bestSplit(this.levels[depth]!, part.length, total) : undefined;
      if (!split) {
        // An empty part (a subsample that drew no rows) gets a zero leaf, even with lambda 0.
        const value = part.length === 0 ? 0 : (this.params.eta * total) / (part.length + this.params.lambda);
        nodes[index] = { value };
        return index;
      }
      const leftCount = this.partition(part, split);
      const left = { part: part.subarray(0, leftCount), total: split.leftSum, index: 0 };
      const right = { part: part.subarray(leftCount), total: total - split.leftSum, index: 0 };
      const [small, large] = left.part.length <= right.part.length ? [left, right] : [right, left];
      const childrenSplit = depth + 1 < this.params.maxDepth;
      if (childrenSplit) this.childHistograms(depth, small.part);
      small.index = visit(small.part, small.total, depth + 1);
      if (childrenSplit) this.swapLevels(depth);
      large.index = visit(large.part, large.total, depth + 1);
      const threshold = this.binned.cuts[split.feature]![split.bin]!;
      nodes[index] = { feature: split.feature, threshold, left: left.index, right: right.index };
      return index;
    };
    if (this.params.maxDepth > 0) this.fillHistogram(this.levels[0]!, rows);
    visit(
      rows,
      rows.reduce((s, i) => s + this.residuals[i]!, 0),
      0,
    );
    return nodes;
  }

  /** Scans `rows` into `histogram` (the hot loop of a fit). */
  private fillHistogram({ sums, counts }: Histogram, rows: Uint32Array): void {
    const { residuals } = this;
    const { codes, featureCount } = this.binned;
    sums.fill(0);
    counts.fill(0);
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k]!;
      const residual = residuals[i]!;
      const rowStart = i * featureCount;
      for (let f = 0; f < featureCount; f++) {
        const slot = f * HISTOGRAM_STRIDE + codes[rowStart + f]!;
        sums[slot]! += residual;
        counts[slot]!++;
      }
    }
  }

  /** Leaves the smaller child's histogram in `levels[depth + 1]` and the larger one's in `levels[depth]`. */
  private childHistograms(depth: number, smallRows: Uint32Array): void {
    const parent = this.levels[depth]!;
    const small = this.levels[depth + 1]!;
    this.fillHistogram(small, smallRows);
    parent.sums.forEach((_, j) => {
      parent.sums[j]! -= small.sums[j]!;
      parent.counts[j]! -= small.counts[j]!;
    });
  }

  /** Moves the larger child's histogram to `levels[depth + 1]`, where its subtree expects it. */
  private swapLevels(depth: number): void {
    const parent = this.levels[depth]!;
    this.levels[depth] = this.levels[depth + 1]!;
    this.levels[depth + 1] = parent;
  }

  /** The split with the largest positive gain in a node's histogram, if any. */
  private bestSplit({ sums, counts }: Histogram, n: number, total: number): Split | undefined {
    const { lambda, minChildWeight } = this.params;
    const parentScore = (total * total) / (n + lambda);
    let best: Split | undefined;
    this.binned.cuts.forEach((featureCuts, feature) => {
      const offset = feature * HISTOGRAM_STRIDE;
      let leftSum = 0;
      let leftCount = 0;
      for (let b = 0; b < featureCuts.length; b++) {
        leftSum += sums[offset + b]!;
        leftCount += counts[offset + b]!;
        const rightCount = n - leftCount;
        if (rightCount < minChildWeight) break;
        if (leftCount < minChildWeight || counts[offset + b] === 0) continue;
        const rightSum = total - leftSum;
        const gain =
          (leftSum * leftSum) / (leftCount + lambda) + (rightSum * rightSum) / (rightCount + lambda) - parentScore;
        if (gain > (best?.gain ?? 1e-9)) best = { feature, bin: b, gain, leftSum };
      }
    });
    return best;
  }

  /** Moves the rows that go left to the front of `rows`; returns how many there are. */
  private partition(rows: Uint32Array, { feature, bin }: Split): number {
    const { codes, featureCount } = this.binned;
    let front = 0;
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k]!;
      if (codes[i * featureCount + feature]! <= bin) {
        rows[k] = rows[front]!;
        rows[front++] = i;
      }
    }
    return front;
  }
}

/** Slots per feature histogram: enough for the largest `maxBin` (bin codes fit a byte). */
const HISTOGRAM_STRIDE = 256;

/** The training features as bin codes, row-major (`codes[row * featureCount + feature]`). */
interface BinnedFeatures {
  featureCount: number;
  /** Cut points per feature (see `binCuts`). */
  cuts: number[][];
  codes: Uint8Array;
}

/** Bins every feature column of `features` into at most `maxBin` bins. */
function binFeatures(features: LabelledData['features'], maxBin: number): BinnedFeatures {
  const featureCount = features[0]?.length ?? 0;
  const cuts = Array.from({ length: featureCount }, (_, f) =>
    binCuts(
      features.map((row) => row[f]!),
      maxBin,
    ),
  );
  const codes = new Uint8Array(features.length * featureCount);
  features.forEach((row, i) => cuts.forEach((featureCuts, f) => (codes[i * featureCount + f] = bisectLeft(featureCuts, row[f]!))));
  return { featureCount, cuts, codes };
}

/** Fits a model to `train`; `evalSets` (by name) are scored after every round through `onRound`. */
export function fitGbt(
  train: LabelledData,
  params: GbtParams,
  options: { evalSets?: Readonly<Record<string, LabelledData>>; onRound?: RoundCallback } = {},
): GbtModel {
  const n = train.targets.length;
  if (n === 0 || train.features.length !== n) {
    throw new Error(
      `Training needs rows with one target each (got ${train.features.length} rows, ${n} targets). To fix: check the train channel's CSV files.`,
    );
  }
  if (options.evalSets && 'train' in options.evalSets) {
    throw new Error('An eval set is named "train", the name of the training rows\' metric. To fix: rename it.');
  }
  const binned = binFeatures(train.features, params.maxBin);
  const baseScore = mean(train.targets)!;
  const scored = Object.entries({ train, ...options.evalSets }).map(([name, data]) => ({
    name,
    data,
    predictions: new Float64Array(data.targets.length).fill(baseScore),
  }));
  const trainPredictions = scored[0]!.predictions;
  const residuals = new Float64Array(n);
  const grower = new TreeGrower(params, binned, residuals);
  const allRows = Uint32Array.from({ length: n }, (_, i) => i);
  const random = randomLcg(params.seed);
  const trees: Tree[] = [];
  for (let round = 0; round < params.numRound; round++) {
    for (let i = 0; i < n; i++) residuals[i] = train.targets[i]! - trainPredictions[i]!;
    const rows = params.subsample < 1 ? allRows.filter(() => random() < params.subsample) : allRows.slice();
    const tree = grower.grow(rows);
    trees.push(tree);
    const rmseByName: Record<string, number> = {};
    for (const { name, data, predictions } of scored) {
      data.features.forEach((row, i) => (predictions[i]! += predictTree(tree, row)));
      rmseByName[name] = rmse(data.targets, predictions);
    }
    options.onRound?.(round, rmseByName);
  }
  return { format: 'cairn-gbt', version: 1, featureCount: binned.featureCount, baseScore, trees };
}

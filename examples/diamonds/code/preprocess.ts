/**
 * Processing step: reads the diamonds CSV, encodes cut/color/clarity as ordinals, shuffles with a
 * seeded RNG and writes train/validation/test splits (70/15/15; price first, no header) and a
 * batch file of the test rows' features for the batch transform.
 * Usage: `node preprocess.ts [--seed 42]`.
 */
import { parse } from 'csv-parse/sync';
import { shuffler } from 'd3-array';
import { randomLcg } from 'd3-random';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { z } from 'zod';
import { formatCsv } from './dataset.js';
import { optMl } from './opt-ml.js';
import { FailureFile, runIfMain } from './script.js';

/** Cut grades from worst to best; a diamond's `cut` feature is its index here. */
export const CUT_ORDER = ['Fair', 'Good', 'Very Good', 'Premium', 'Ideal'] as const;
/** Colour grades from worst (J) to best (D); the `color` feature is the index here. */
export const COLOR_ORDER = ['J', 'I', 'H', 'G', 'F', 'E', 'D'] as const;
/** Clarity grades from worst (I1) to best (IF); the `clarity` feature is the index here. */
export const CLARITY_ORDER = ['I1', 'SI2', 'SI1', 'VS2', 'VS1', 'VVS2', 'VVS1', 'IF'] as const;
/** The model's features, in column order after the target (`price`). */
export const FEATURE_NAMES = ['carat', 'cut', 'color', 'clarity', 'depth', 'table', 'x', 'y', 'z'] as const;
/** Fractions of the shuffled rows that go to train and validation; the rest is the test split. */
export const SPLIT_FRACTIONS = { train: 0.7, validation: 0.15 } as const;

const INPUT_DIR = '/opt/ml/processing/input/data';
const INPUT_FILE = 'diamonds.csv';

const DiamondSchema = z.object({
  carat: z.number(),
  cut: z.enum(CUT_ORDER),
  color: z.enum(COLOR_ORDER),
  clarity: z.enum(CLARITY_ORDER),
  depth: z.number(),
  table: z.number(),
  price: z.number(),
  x: z.number(),
  y: z.number(),
  z: z.number(),
});
type Diamond = z.infer<typeof DiamondSchema>;

/** One diamond as a numeric row: price, then the features in `FEATURE_NAMES` order. */
function encodeDiamond(d: Diamond): number[] {
  return [
    d.price,
    d.carat,
    CUT_ORDER.indexOf(d.cut),
    COLOR_ORDER.indexOf(d.color),
    CLARITY_ORDER.indexOf(d.clarity),
    d.depth,
    d.table,
    d.x,
    d.y,
    d.z,
  ];
}

/** Parses the diamonds CSV (with its header line) into encoded numeric rows. */
export function encodeDiamonds(csv: string, source: string): number[][] {
  const records: unknown = parse(csv, { columns: true, cast: true, skip_empty_lines: true, trim: true });
  const result = z.array(DiamondSchema).safeParse(records);
  if (!result.success) {
    const issue = result.error.issues[0];
    const [row = 0, column = '?'] = issue?.path ?? [];
    throw new Error(
      `${source} line ${Number(row) + 2}, column "${String(column)}": ${issue?.message ?? 'invalid'}. ` +
        `To fix: give the file the header ${Object.keys(DiamondSchema.shape).join(',')} and grades from the documented orders.`,
    );
  }
  return result.data.map(encodeDiamond);
}

/** The three splits of a data set. */
export interface Splits<T> {
  train: T[];
  validation: T[];
  test: T[];
}

/** Shuffles a copy of `rows` with a seeded RNG and splits it 70/15/15. */
export function splitRows<T>(rows: readonly T[], seed: number): Splits<T> {
  const shuffled = shuffler(randomLcg(seed))([...rows]);
  const trainEnd = Math.round(shuffled.length * SPLIT_FRACTIONS.train);
  const validationEnd = trainEnd + Math.round(shuffled.length * SPLIT_FRACTIONS.validation);
  return {
    train: shuffled.slice(0, trainEnd),
    validation: shuffled.slice(trainEnd, validationEnd),
    test: shuffled.slice(validationEnd),
  };
}

/** The input CSV: `diamonds.csv`, or the only CSV file of the input directory. */
async function findInput(dir: string): Promise<string> {
  const csvFiles = (await readdir(dir)).filter((f) => f.endsWith('.csv'));
  const file = csvFiles.includes(INPUT_FILE) ? INPUT_FILE : csvFiles.length === 1 ? csvFiles[0] : undefined;
  if (!file) {
    throw new Error(
      `${dir} holds ${csvFiles.length} CSV files and no ${INPUT_FILE}. To fix: give the processing input one CSV file, or name it ${INPUT_FILE}.`,
    );
  }
  return path.join(dir, file);
}

/** Writes `rows` as `/opt/ml/processing/<name>/<name>.csv`. */
async function writeSplit(name: string, rows: readonly (readonly number[])[]): Promise<void> {
  const dir = optMl(`/opt/ml/processing/${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${name}.csv`), formatCsv(rows));
}

/** Entry point: reads the input CSV and writes the splits and the batch file. */
export async function preprocess(argv: readonly string[], log: Logger): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { seed: { type: 'string', default: '42' } } });
  const seed = z.coerce.number().int().parse(values.seed);
  const input = await findInput(optMl(INPUT_DIR));
  const rows = encodeDiamonds(await readFile(input, 'utf8'), input);
  const splits = splitRows(rows, seed);
  await Promise.all([
    writeSplit('train', splits.train),
    writeSplit('validation', splits.validation),
    writeSplit('test', splits.test),
    writeSplit(
      'batch',
      splits.test.map((row) => row.slice(1)),
    ),
  ]);
  log.info(
    { input, seed, rows: rows.length, train: splits.train.length, validation: splits.validation.length, test: splits.test.length },
    'preprocessing done',
  );
}

runIfMain(import.meta.url, { name: 'preprocess', failureFile: FailureFile.Processing }, preprocess);

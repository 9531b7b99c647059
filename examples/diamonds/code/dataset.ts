/** Headerless numeric CSV files, the format the scripts exchange (target first, when there is one). */
import { parse } from 'csv-parse/sync';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { LabelledData } from './gbt.js';

const NumericRowsSchema = z.array(z.array(z.number()).min(1));

/** Parses headerless CSV text whose every field is a number; `source` names it in errors. */
export function parseNumericCsv(text: string, source: string): number[][] {
  let records: unknown;
  try {
    records = parse(text, { cast: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    throw new Error(`${source} is not valid CSV: ${(err as Error).message}. To fix: give every line the same number of fields.`, {
      cause: err,
    });
  }
  const result = NumericRowsSchema.safeParse(records);
  if (!result.success) {
    const issue = result.error.issues[0];
    const [row = 0, column = 0] = (issue?.path ?? []).map(Number);
    throw new Error(
      `${source} line ${row + 1}, field ${column + 1}: ${issue?.message ?? 'not a number'}. ` +
        'To fix: write numbers only, without a header line.',
    );
  }
  return result.data;
}

/** Reads every `*.csv` file of `dir`, in name order, as one numeric table. */
export async function readCsvDir(dir: string): Promise<number[][]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.csv')).sort();
  if (files.length === 0) {
    throw new Error(`${dir} holds no .csv file. To fix: connect the step's input to the previous step's CSV output.`);
  }
  const tables = await Promise.all(
    files.map(async (f) => parseNumericCsv(await readFile(path.join(dir, f), 'utf8'), path.join(dir, f))),
  );
  return tables.flat();
}

/** Splits rows whose first column is the target into targets and features. */
export function splitTarget(rows: readonly (readonly number[])[]): LabelledData {
  return { targets: rows.map((row) => row[0]!), features: rows.map((row) => row.slice(1)) };
}

/** Formats rows of numbers as headerless CSV text, one row per line. */
export function formatCsv(rows: readonly (readonly number[])[]): string {
  return rows.map((row) => row.join(',')).join('\n') + '\n';
}
